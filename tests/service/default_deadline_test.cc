// DefaultDeadline: a call without a deadline of its own is marked expired
// once the daemon's default passes, unless it ended (was forgotten) first.
// The hard cancel a grace period later needs a real call; sidecar_service_test
// and the integration tests' limits cover what a client sees.
#include "server/service/default_deadline.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

// Long enough that the hard cancel (TryCancel on a context without a call)
// never comes within a test.
constexpr absl::Duration kNoHardCancel = absl::Hours(1);

bool ExpiresWithin(const DefaultDeadline::Watched& watched, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!watched.expired()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(DefaultDeadline, NoneWatchesNothing) {
  DefaultDeadline none(absl::ZeroDuration());
  const grpc::ServerContext context;
  EXPECT_EQ(none.deadline(), absl::ZeroDuration());
  EXPECT_EQ(none.Watch(context), nullptr);
  none.Forget(nullptr);  // what a call without a watch does at its end
}

TEST(DefaultDeadline, ACallWithoutADeadlineExpiresAfterTheDefault) {
  DefaultDeadline deadline(absl::Milliseconds(30), kNoHardCancel);
  EXPECT_EQ(deadline.deadline(), absl::Milliseconds(30));
  const grpc::ServerContext context;
  const absl::Time start = absl::Now();
  const auto watched = deadline.Watch(context);
  ASSERT_NE(watched, nullptr);
  EXPECT_FALSE(watched->expired());
  ASSERT_TRUE(ExpiresWithin(*watched, absl::Seconds(10)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
  deadline.Forget(watched);
}

TEST(DefaultDeadline, AForgottenCallNeverExpires) {
  DefaultDeadline deadline(absl::Milliseconds(20), kNoHardCancel);
  const grpc::ServerContext context;
  const auto watched = deadline.Watch(context);
  ASSERT_NE(watched, nullptr);
  deadline.Forget(watched);
  EXPECT_FALSE(ExpiresWithin(*watched, absl::Milliseconds(150)));
}

TEST(DefaultDeadline, EachCallHasItsOwnClock) {
  DefaultDeadline deadline(absl::Milliseconds(500), kNoHardCancel);
  const grpc::ServerContext early_context;
  const grpc::ServerContext late_context;
  const auto early = deadline.Watch(early_context);
  ASSERT_TRUE(ExpiresWithin(*early, absl::Seconds(10)));
  const auto late = deadline.Watch(late_context);
  // Watched after the first expired: still has its whole 500 ms ahead.
  EXPECT_FALSE(late->expired());
  EXPECT_FALSE(ExpiresWithin(*late, absl::Milliseconds(50)));
  EXPECT_TRUE(ExpiresWithin(*late, absl::Seconds(10)));
  deadline.Forget(early);
  deadline.Forget(late);
}

}  // namespace
}  // namespace sidecard::service
