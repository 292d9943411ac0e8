// The daemon's gRPC message limits follow --max-payload-bytes and
// --max-sidecar-bytes, never past gRPC's bound (INT_MAX).
#include <climits>

#include "gtest/gtest.h"
#include "server/daemon/daemon_options.h"

namespace sidecard {
namespace {

TEST(MessageLimits, FollowTheFlags) {
  DaemonOptions options;
  options.max_payload_bytes = 16u << 20;
  options.max_sidecar_bytes = 5u << 20;
  const MessageLimits limits = MessageLimitsFor(options);
  EXPECT_EQ(limits.max_receive_bytes, (16 << 20) + (1 << 20));
  EXPECT_EQ(limits.max_send_bytes, 2 * (5 << 20) + (1 << 20));
}

TEST(MessageLimits, StopAtGrpcsBound) {
  DaemonOptions options;
  options.max_payload_bytes = size_t{8} << 30;
  options.max_sidecar_bytes = size_t{8} << 30;
  const MessageLimits limits = MessageLimitsFor(options);
  EXPECT_EQ(limits.max_receive_bytes, INT_MAX);
  EXPECT_EQ(limits.max_send_bytes, INT_MAX - 1);  // twice a whole number, plus 1 MiB
}

}  // namespace
}  // namespace sidecard
