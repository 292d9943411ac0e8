// CallMetrics and CallScope: admission (draining, --max-concurrent-calls),
// what each finished call counts, and the default deadline turning a failure
// into DEADLINE_EXCEEDED. The contexts carry no call: no network needed.
#include "server/service/call_metrics.h"

#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(CallMetrics, AdmitsUpToTheLimit) {
  CallMetrics metrics({.max_concurrent_calls = 2});
  EXPECT_EQ(metrics.TryStart(), CallMetrics::Admission::kAdmitted);
  EXPECT_EQ(metrics.TryStart(), CallMetrics::Admission::kAdmitted);
  EXPECT_EQ(metrics.TryStart(), CallMetrics::Admission::kBusy);
  EXPECT_EQ(metrics.Get().active_calls, 2);
  metrics.Finished("Stats", grpc::StatusCode::OK, 0.001, /*admitted=*/true);
  EXPECT_EQ(metrics.Get().active_calls, 1);
  EXPECT_EQ(metrics.TryStart(), CallMetrics::Admission::kAdmitted);
}

TEST(CallMetrics, AddsUpWhatTheCallsFoundPerMethod) {
  CallMetrics metrics;
  metrics.Finished("Validate", grpc::StatusCode::OK, 0.01, false,
                   {.files = 10, .invalid_sidecars = 2, .orphans = 1});
  metrics.Finished("Validate", grpc::StatusCode::OK, 0.01, false, {.files = 5});
  metrics.Finished("Cleanup", grpc::StatusCode::OK, 0.01, false, {.files = 3, .orphans = 3});
  const CallMetrics::Snapshot snapshot = metrics.Get();
  const auto& validate = snapshot.methods.at("Validate");
  EXPECT_EQ(validate.files, 15);
  EXPECT_EQ(validate.invalid_sidecars, 2);
  EXPECT_EQ(validate.orphans, 1);
  EXPECT_EQ(snapshot.methods.at("Cleanup").orphans, 3);
}

TEST(CallMetrics, NoLimitMeansNoLimit) {
  CallMetrics metrics;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(metrics.TryStart(), CallMetrics::Admission::kAdmitted);
  EXPECT_EQ(metrics.Get().active_calls, 1000);
}

TEST(CallMetrics, DrainingRefusesNewCallsAndWaitsForRunningOnes) {
  CallMetrics metrics;
  ASSERT_EQ(metrics.TryStart(), CallMetrics::Admission::kAdmitted);
  metrics.BeginDraining();
  EXPECT_EQ(metrics.TryStart(), CallMetrics::Admission::kDraining);
  EXPECT_FALSE(metrics.WaitUntilIdle(absl::Now() + absl::Milliseconds(20)));
  std::thread finisher([&] {
    absl::SleepFor(absl::Milliseconds(20));
    metrics.Finished("Validate", grpc::StatusCode::OK, 0.02, true);
  });
  EXPECT_TRUE(metrics.WaitUntilIdle(absl::Now() + absl::Seconds(10)));
  finisher.join();
  EXPECT_EQ(metrics.Get().active_calls, 0);
}

TEST(CallMetrics, CountsCallsByMethodAndCode) {
  CallMetrics metrics;
  metrics.Finished("Stats", grpc::StatusCode::OK, 0.01, false);
  metrics.Finished("Stats", grpc::StatusCode::OK, 0.02, false);
  metrics.Finished("Stats", grpc::StatusCode::NOT_FOUND, 0.03, false);
  metrics.Finished("Validate", grpc::StatusCode::PERMISSION_DENIED, 0.5, false);
  const CallMetrics::Snapshot snapshot = metrics.Get();
  EXPECT_EQ(snapshot.failed_calls, 2);
  ASSERT_EQ(snapshot.methods.size(), 2u);
  const auto& stats = snapshot.methods.at("Stats");
  EXPECT_EQ(stats.calls, 3);
  EXPECT_EQ(stats.failed_calls, 1);
  EXPECT_THAT(stats.calls_by_code, ElementsAre(Pair("NOT_FOUND", 1), Pair("OK", 2)));
  EXPECT_EQ(stats.latency.count(), 3);
  EXPECT_DOUBLE_EQ(stats.latency.max_seconds(), 0.03);
  const auto& validate = snapshot.methods.at("Validate");
  EXPECT_EQ(validate.calls, 1);
  EXPECT_THAT(validate.calls_by_code, ElementsAre(Pair("PERMISSION_DENIED", 1)));
}

TEST(CallScope, AnAdmittedCallIsCountedWhenItFinishes) {
  CallMetrics metrics;
  const grpc::ServerContext context;
  {
    CallScope call(metrics, "GetServerInfo", context);
    ASSERT_TRUE(call.admitted());
    EXPECT_EQ(call.method(), "GetServerInfo");
    EXPECT_EQ(metrics.Get().active_calls, 1);
    EXPECT_FALSE(call.cancellation().cancelled());
    call.add_files(3);
    EXPECT_TRUE(call.Finish(grpc::Status::OK).ok());
  }
  const CallMetrics::Snapshot snapshot = metrics.Get();
  EXPECT_EQ(snapshot.active_calls, 0);
  EXPECT_EQ(snapshot.methods.at("GetServerInfo").calls, 1);
  EXPECT_EQ(snapshot.failed_calls, 0);
}

TEST(CallScope, ABusyDaemonRefusesAndCountsResourceExhausted) {
  CallMetrics metrics({.max_concurrent_calls = 1});
  const grpc::ServerContext first_context;
  const grpc::ServerContext second_context;
  CallScope first(metrics, "Validate", first_context);
  ASSERT_TRUE(first.admitted());
  {
    CallScope second(metrics, "Stats", second_context);
    EXPECT_FALSE(second.admitted());
    EXPECT_EQ(second.refusal().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(second.refusal().error_message(),
              "1 calls already in progress (--max-concurrent-calls); retry later");
    EXPECT_EQ(second.Finish(second.refusal()).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  const CallMetrics::Snapshot snapshot = metrics.Get();
  EXPECT_EQ(snapshot.active_calls, 1);  // the refused call never counted in
  EXPECT_THAT(snapshot.methods.at("Stats").calls_by_code,
              ElementsAre(Pair("RESOURCE_EXHAUSTED", 1)));
  first.Finish(grpc::Status::OK);
  EXPECT_EQ(metrics.Get().active_calls, 0);
}

TEST(CallScope, ADrainingDaemonRefusesWithUnavailableAndDoesNotCountIt) {
  CallMetrics metrics;
  metrics.BeginDraining();
  const grpc::ServerContext context;
  {
    CallScope call(metrics, "Stats", context);
    EXPECT_FALSE(call.admitted());
    EXPECT_EQ(call.refusal().error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(call.refusal().error_message(), HasSubstr("shutting down"));
    call.Finish(call.refusal());
  }
  EXPECT_TRUE(metrics.Get().methods.empty());
}

TEST(CallScope, TheDefaultDeadlineCancelsAndNamesItself) {
  CallMetrics metrics({.default_deadline = absl::Milliseconds(50)});
  const grpc::ServerContext context;  // sets no deadline of its own
  CallScope call(metrics, "Validate", context);
  ASSERT_TRUE(call.admitted());
  const engine::Cancellation cancellation = call.cancellation();
  const absl::Time give_up = absl::Now() + absl::Seconds(4);  // well before the hard cancel
  while (!cancellation.cancelled() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(cancellation.cancelled());
  // The engine reports a cancelled run; the caller learns why.
  const grpc::Status status = call.Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stopped"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("daemon's default of 50ms (--default-deadline)"));
  EXPECT_THAT(metrics.Get().methods.at("Validate").calls_by_code,
              ElementsAre(Pair("DEADLINE_EXCEEDED", 1)));
}

TEST(CallScope, ASuccessPastTheDefaultDeadlineStaysASuccess) {
  CallMetrics metrics({.default_deadline = absl::Milliseconds(1)});
  const grpc::ServerContext context;
  CallScope call(metrics, "Stats", context);
  const engine::Cancellation cancellation = call.cancellation();
  const absl::Time give_up = absl::Now() + absl::Seconds(4);
  while (!cancellation.cancelled() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(cancellation.cancelled());
  EXPECT_TRUE(call.Finish(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace sidecard::service
