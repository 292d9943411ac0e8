// The daemon talks to systemd the way Type=notify expects: READY=1 only once
// it answers calls, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 when
// it starts draining, WATCHDOG=1 pings when (and only when) systemd asks for
// them. A datagram socket bound by the test stands in for systemd's.
#include <csignal>

#include "support/daemon_process.h"
#include "support/notify_socket.h"

namespace sidecard::testing {
namespace {

class NotifyTest : public ::testing::Test {
 protected:
  // Starts the daemon with NOTIFY_SOCKET (and `env`), without waiting.
  void StartNotifying(const std::vector<std::string>& env = {}) {
    std::vector<std::string> all_env = {"NOTIFY_SOCKET=" + notify_.path()};
    all_env.insert(all_env.end(), env.begin(), env.end());
    ASSERT_TRUE(daemon_.StartWith(
        {"--allowed-root", photos_.root(), "--workers", "1", "--grace-period", "2"}, all_env,
        /*wait_serving=*/false));
  }

  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "--- sidecard log ---\n%s", daemon_.Log().c_str());
  }

  testing::TempTree photos_;
  DaemonProcess daemon_;
  NotifySocket notify_{daemon_.run_dir().Path("notify.sock")};
};

TEST_F(NotifyTest, ReadyOnlyOnceServingThenReloadingThenStopping) {
  StartNotifying();

  const std::vector<std::string> until_ready = notify_.ReceiveUntil("READY=1");
  ASSERT_FALSE(until_ready.empty()) << "no READY=1";
  // READY=1 is the first state sent, and by then the daemon answers calls.
  ASSERT_EQ(until_ready.size(), 1u) << until_ready.front();
  EXPECT_NE(until_ready[0].find("STATUS=serving on " + daemon_.address() + " with 1 workers"),
            std::string::npos)
      << until_ready[0];
  HealthResponse::ServingStatus status = HealthResponse::UNKNOWN;
  ASSERT_TRUE(MakeClient(daemon_.address())->CheckHealth("", &status).ok());
  EXPECT_EQ(status, HealthResponse::SERVING);

  daemon_.Signal(SIGHUP);
  const std::vector<std::string> reload = notify_.ReceiveUntil("READY=1");
  ASSERT_EQ(reload.size(), 2u);
  EXPECT_TRUE(NotifySocket::HasState(reload[0], "RELOADING=1")) << reload[0];
  EXPECT_TRUE(NotifySocket::HasState(reload[1], "READY=1")) << reload[1];

  daemon_.Signal(SIGTERM);
  const std::vector<std::string> stopping = notify_.ReceiveUntil("STOPPING=1");
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_NE(stopping[0].find("STATUS=draining"), std::string::npos) << stopping[0];
  EXPECT_EQ(daemon_.WaitExit(), 0);
  // Nothing after STOPPING=1 (in particular no READY=1).
  EXPECT_EQ(notify_.Receive(100ms), std::nullopt);
}

TEST_F(NotifyTest, FailedReloadStillEndsWithReadyAndSaysWhy) {
  const std::string config = daemon_.run_dir().Path("sidecard.conf");
  daemon_.run_dir().WriteFile("sidecard.conf", "allowed-root=" + photos_.root() + "\n");
  ASSERT_TRUE(daemon_.StartWith({"--config", config}, {"NOTIFY_SOCKET=" + notify_.path()}, false));
  ASSERT_FALSE(notify_.ReceiveUntil("READY=1").empty());

  daemon_.run_dir().WriteFile("sidecard.conf", "allowed-root=/no/such/root\n");
  daemon_.Signal(SIGHUP);
  const std::vector<std::string> reload = notify_.ReceiveUntil("READY=1");
  ASSERT_EQ(reload.size(), 2u);
  EXPECT_TRUE(NotifySocket::HasState(reload[0], "RELOADING=1"));
  EXPECT_NE(reload[1].find("last reload failed"), std::string::npos) << reload[1];
  EXPECT_TRUE(daemon_.Stop());
}

TEST_F(NotifyTest, WatchdogPingsAtHalfTheTimeoutWhenEnabled) {
  // 200 ms: pings every 100 ms.
  StartNotifying({"WATCHDOG_USEC=200000"});
  ASSERT_FALSE(notify_.ReceiveUntil("READY=1").empty());
  const auto start = std::chrono::steady_clock::now();
  int pings = 0;
  while (std::chrono::steady_clock::now() - start < 650ms) {
    const std::optional<std::string> message = notify_.Receive(1s);
    ASSERT_TRUE(message.has_value()) << "no watchdog ping within a second";
    if (NotifySocket::HasState(*message, "WATCHDOG=1")) ++pings;
  }
  // About 6; the margins absorb a busy machine.
  EXPECT_GE(pings, 3);
  EXPECT_LE(pings, 12);
  EXPECT_TRUE(daemon_.Stop());
}

TEST_F(NotifyTest, NoWatchdogPingsWithoutWatchdogUsec) {
  StartNotifying();
  ASSERT_FALSE(notify_.ReceiveUntil("READY=1").empty());
  EXPECT_EQ(notify_.Receive(400ms), std::nullopt);
  EXPECT_TRUE(daemon_.Stop());
}

TEST_F(NotifyTest, WatchdogMeantForAnotherProcessIsIgnored) {
  // systemd names the watched process in WATCHDOG_PID; pid 1 is not us.
  StartNotifying({"WATCHDOG_USEC=200000", "WATCHDOG_PID=1"});
  ASSERT_FALSE(notify_.ReceiveUntil("READY=1").empty());
  EXPECT_EQ(notify_.Receive(400ms), std::nullopt);
  EXPECT_TRUE(daemon_.Stop());
}

TEST(NotifyWithoutSystemd, DaemonRunsWithoutNotifySocket) {
  testing::TempTree photos;
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.StartWith({"--allowed-root", photos.root()}));
  EXPECT_TRUE(daemon.Stop());
  EXPECT_EQ(daemon.Log().find("cannot notify"), std::string::npos) << daemon.Log();
}

}  // namespace
}  // namespace sidecard::testing
