// The daemon's life: start-up refusals, SIGTERM/SIGINT with calls in flight
// and clients connected, and surviving clients that go away mid-stream.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr int kGraceSeconds = 2;
constexpr int kSlowTreeFiles = 3000;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class LifecycleTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.grace_period_seconds = kGraceSeconds;
    return options;
  }

  // `count` orphaned sidecars in a few folders. Each holds 100 unknown keys,
  // so its report carries 100 warnings (~3.5 KB): the whole stream is far
  // larger than what gRPC buffers, and a slow reader really holds the call.
  void BuildManySidecars(int count) {
    std::string document = R"({"sidecar_info":{"operation_type":"face_detection"})";
    for (int key = 0; key < 100; ++key) {
      char member[32];
      std::snprintf(member, sizeof(member), ",\"unknown_key_%03d\":0", key);
      document += member;
    }
    document += "}";
    for (int i = 0; i < count; ++i) {
      char name[64];
      std::snprintf(name, sizeof(name), "d%d/s%05d.bin", i % 4, i);
      tree_.WriteBin(name, document);
    }
  }

  struct DrainOutcome {
    ValidateRun run;
    bool stopped_serving = false;
    bool killed = false;
    int exit_code = -1;
    long long exit_ms = -1;        // SIGTERM to process exit
    long long stream_end_ms = -1;  // SIGTERM to the end of the Validate call
  };

  // A Validate stream of kSlowTreeFiles reports in batches of 10, read
  // slowly (20 ms a message, 6 s in all); SIGTERM after the first message.
  // From the grace period + 1 s on, the reader takes what is buffered without
  // waiting, so the end of the call shows when the daemon cut the stream.
  DrainOutcome SigtermDuringSlowValidate(std::chrono::milliseconds exit_timeout) {
    BuildManySidecars(kSlowTreeFiles);
    Share();
    DrainOutcome outcome;
    std::atomic<Clock::rep> slow_until{Clock::time_point::max().time_since_epoch().count()};
    std::atomic<int> messages{0};
    std::atomic<bool> finished{false};
    std::atomic<Clock::rep> ended{0};
    std::thread reader([&] {
      v1::ValidateRequest request;
      request.set_root(tree_.root());
      request.set_batch_size(10);
      outcome.run.status = client_->Validate(request, [&](const v1::ValidateResponse& message) {
        for (const v1::FileReport& report : message.reports()) {
          outcome.run.reports.push_back(report);
        }
        if (message.has_summary()) ++outcome.run.summaries;
        ++messages;
        if (Clock::now().time_since_epoch().count() < slow_until.load()) {
          std::this_thread::sleep_for(20ms);
        }
      });
      ended = Clock::now().time_since_epoch().count();
      finished = true;
    });
    if (!WaitFor([&] { return messages.load() > 0; }, 10s)) {
      ADD_FAILURE() << "no Validate message arrived";
    }
    EXPECT_FALSE(finished.load()) << "the stream ended before SIGTERM";
    const Clock::time_point terminated = Clock::now();
    slow_until = (terminated + std::chrono::seconds(kGraceSeconds + 1)).time_since_epoch().count();
    daemon_.Terminate();

    // While it drains, the daemon no longer reports SERVING to new probes.
    Client probe({.address = daemon_.address(), .timeout = 500ms});
    HealthStatus health = grpc::health::v1::HealthCheckResponse::SERVING;
    outcome.stopped_serving = WaitFor(
        [&] {
          return !probe.CheckHealth("", &health).ok() ||
                 health != grpc::health::v1::HealthCheckResponse::SERVING;
        },
        std::chrono::seconds(kGraceSeconds));

    outcome.exit_code = daemon_.WaitExit(exit_timeout, &outcome.killed);
    outcome.exit_ms = MillisSince(terminated);
    reader.join();
    outcome.stream_end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                Clock::time_point(Clock::duration(ended.load())) - terminated)
                                .count();
    RecordProperty("exit_ms_after_sigterm", std::to_string(outcome.exit_ms));
    RecordProperty("stream_end_ms_after_sigterm", std::to_string(outcome.stream_end_ms));
    return outcome;
  }

  // Builds `files` sidecars and starts a slowly read Validate stream that a
  // 300 ms client deadline cuts; returns the stream's status.
  grpc::StatusCode CutStreamByDeadline(int files) {
    BuildManySidecars(files);
    Share();
    Client impatient({.address = daemon_.address(), .timeout = 300ms});
    v1::ValidateRequest request;
    request.set_root(tree_.root());
    request.set_batch_size(10);
    int received = 0;
    const grpc::Status status = impatient.Validate(request, [&](const v1::ValidateResponse& m) {
      received += m.reports_size();
      std::this_thread::sleep_for(20ms);
    });
    EXPECT_LT(received, files);
    return status.error_code();
  }

  // Waits until `predicate` holds or `timeout` passes.
  template <typename Predicate>
  static bool WaitFor(Predicate predicate, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!predicate()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
};

// Draining: new probes stop seeing SERVING, and the in-flight stream gets the
// grace period and is then cut (within the grace period + 1.5 s).
TEST_F(LifecycleTest, SigtermDuringALongValidateStreamDrainsWithinTheGracePeriod) {
  const DrainOutcome outcome =
      SigtermDuringSlowValidate(/*exit_timeout=*/std::chrono::seconds(kGraceSeconds + 3));
  EXPECT_TRUE(outcome.stopped_serving) << "health still SERVING after SIGTERM";
  EXPECT_LE(outcome.stream_end_ms, kGraceSeconds * 1000 + 1500)
      << "the in-flight stream was not cut within the grace period; daemon stderr:\n"
      << daemon_.Log();
  // The slow reader cannot have read everything within the grace period, so
  // the stream was cut, not completed; what arrived is a sorted prefix.
  EXPECT_FALSE(outcome.run.status.ok());
  EXPECT_GT(outcome.run.reports.size(), 0u);
  EXPECT_LT(outcome.run.reports.size(), static_cast<size_t>(kSlowTreeFiles));
  EXPECT_EQ(outcome.run.summaries, 0);
  const std::vector<std::string> paths = ReportPaths(outcome.run);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

// ... and then the process exits 0, promptly (1 s margin).
TEST_F(LifecycleTest, SigtermDuringALongValidateStreamExitsZeroWithinTheGracePeriod) {
  const DrainOutcome outcome =
      SigtermDuringSlowValidate(/*exit_timeout=*/std::chrono::seconds(kGraceSeconds + 3));
  EXPECT_FALSE(outcome.killed) << "no exit within the grace period + 3 s; killed";
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_LE(outcome.exit_ms, (kGraceSeconds + 1) * 1000)
      << "SIGTERM to exit took " << outcome.exit_ms << " ms with a " << kGraceSeconds
      << " s grace period; the in-flight stream ended " << outcome.stream_end_ms
      << " ms after SIGTERM; daemon stderr:\n"
      << daemon_.Log();
}

TEST_F(LifecycleTest, SigtermWithAnIdleClientConnectedExitsZero) {
  tree_.WriteBin("a.bin", kFaceDoc);
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());  // client_ stays connected
  const Clock::time_point terminated = Clock::now();
  daemon_.Terminate();
  bool killed = false;
  const int code = daemon_.WaitExit(std::chrono::seconds(kGraceSeconds + 3), &killed);
  const long long exit_ms = MillisSince(terminated);
  RecordProperty("exit_ms_after_sigterm", std::to_string(exit_ms));
  EXPECT_FALSE(killed);
  EXPECT_EQ(code, 0) << daemon_.Log();
  // Nothing is in flight: an idle connection is no reason to wait out the grace period.
  EXPECT_LE(exit_ms, 1000) << daemon_.Log();
}

TEST_F(LifecycleTest, SigtermWhenIdleExitsZeroQuickly) {
  client_.reset();
  const Clock::time_point terminated = Clock::now();
  EXPECT_TRUE(daemon_.Stop(std::chrono::seconds(kGraceSeconds + 3)));
  EXPECT_LT(MillisSince(terminated), kGraceSeconds * 1000);
  EXPECT_THAT(daemon_.Log(), HasSubstr("draining"));
}

TEST_F(LifecycleTest, SigintDrainsLikeSigterm) {
  client_.reset();
  ASSERT_TRUE(daemon_.running());
  kill(daemon_.pid(), SIGINT);
  bool killed = false;
  const int code = daemon_.WaitExit(std::chrono::seconds(kGraceSeconds + 3), &killed);
  EXPECT_FALSE(killed);
  EXPECT_EQ(code, 0) << daemon_.Log();
}

TEST_F(LifecycleTest, ClientGivingUpMidStreamLeavesTheDaemonServing) {
  EXPECT_EQ(CutStreamByDeadline(2000), grpc::StatusCode::DEADLINE_EXCEEDED);

  // The daemon carries on: a full run still works, and nothing is left running.
  v1::ValidateRequest request;
  request.set_root(tree_.root());
  request.set_summary_only(true);
  const ValidateRun run = Validate(request);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.summary.total_files(), 2000);
  v1::GetServerInfoResponse info;
  EXPECT_TRUE(
      WaitFor([&] { return client_->GetServerInfo(&info).ok() && info.active_calls() <= 1; }, 5s))
      << "calls still active: " << info.active_calls();

  // Not a test of shutting down (SigtermAfterACancelledStreamExitsPromptly
  // is): skip the teardown's SIGTERM.
  daemon_.Kill();
}

// Nothing in flight and no client connected: the daemon drains at once and
// must exit at once, even when an earlier stream was cut by its deadline.
TEST_F(LifecycleTest, SigtermAfterACancelledStreamExitsPromptly) {
  EXPECT_EQ(CutStreamByDeadline(2000), grpc::StatusCode::DEADLINE_EXCEEDED);
  client_.reset();
  const Clock::time_point terminated = Clock::now();
  daemon_.Terminate();
  bool killed = false;
  const int code = daemon_.WaitExit(3s, &killed);
  const long long exit_ms = MillisSince(terminated);
  RecordProperty("exit_ms_after_sigterm", std::to_string(exit_ms));
  EXPECT_FALSE(killed) << "no exit within 3 s of SIGTERM; killed";
  EXPECT_EQ(code, 0);
  EXPECT_LE(exit_ms, 1000) << "SIGTERM to exit took " << exit_ms
                           << " ms with nothing in flight; daemon stderr:\n"
                           << daemon_.Log();
}

// Start-up refusals: the binary run directly, no daemon fixture.
TEST(DaemonStartupTest, RefusesToStartWithoutAnAllowedRoot) {
  const RunResult run = RunProcess({SIDECARD_BINARY, "--listen", "unix:/nonexistent/x.sock"});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr("--allowed-root"));
}

TEST(DaemonStartupTest, RefusesAMissingAllowedRoot) {
  testing::TempTree dir;
  const RunResult run = RunProcess({SIDECARD_BINARY, "--listen", "unix:" + dir.Path("s.sock"),
                                    "--allowed-root", dir.Path("missing")},
                                   "", 10s);
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, HasSubstr(dir.Path("missing")));
}

TEST(DaemonStartupTest, RefusesBadFlags) {
  testing::TempTree dir;
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--workers", "many"}, {"--allowed-root", "relative"}, {"--bogus", "1"}}) {
    std::vector<std::string> argv = {SIDECARD_BINARY, "--allowed-root", dir.root()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const RunResult run = RunProcess(argv, "", 10s);
    EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(flags) << ": " << run;
    EXPECT_THAT(run.err, HasSubstr("sidecard: ")) << run;
  }
}

TEST(DaemonStartupTest, HelpAndVersionExitZero) {
  const RunResult help = RunProcess({SIDECARD_BINARY, "--help"});
  EXPECT_EQ(help.exit_code, 0) << help;
  EXPECT_THAT(help.out, HasSubstr("--allowed-root"));
  const RunResult version = RunProcess({SIDECARD_BINARY, "--version"});
  EXPECT_EQ(version.exit_code, 0) << version;
  EXPECT_THAT(version.out, HasSubstr("sidecard "));
}

}  // namespace
}  // namespace sidecard::testing
