// The token file must belong to the user the daemon runs as (README,
// "Security"): a mode-0600 file that another user owns, and so may rewrite,
// is refused at start (exit status 1) and on SIGHUP, where the old tokens
// stay. The daemon here keeps the test's user, so only a root run can hand
// the file to someone else (nobody, uid 65534) and still let the daemon read it.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <regex>

#include "support/daemon_process.h"

namespace sidecard::testing {
namespace {

constexpr char kToken[] = "rw-token-owner-5d4c3b2a1f0e";
constexpr char kNewToken[] = "rw-token-owner-rotated-9e8d7c6b";
constexpr uid_t kOtherUid = 65534;

class SecurityTokenOwner : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to give the token file to another user";
    files_.WriteFile("tokens", std::string("read-write ") + kToken + "\n");
    chmod(tokens().c_str(), 0600);
  }

  std::string tokens() const { return files_.Path("tokens"); }

  std::vector<std::string> Args() const {
    return {"--allowed-root", photos_.root(), "--listen",           "127.0.0.1:0",
            "--insecure",     "--token-file", files_.Path("tokens")};
  }

  testing::TempTree photos_;
  testing::TempTree files_;
};

TEST_F(SecurityTokenOwner, AFileAnotherUserOwnsIsRefusedAtStart) {
  ASSERT_EQ(chown(tokens().c_str(), kOtherUid, kOtherUid), 0);
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.StartWith(Args(), {}, /*wait_serving=*/false));
  EXPECT_EQ(daemon.WaitExit(), 1) << daemon.Log();
  const std::regex refusal(
      "--token-file " + tokens() +
      R"(: owned by (nobody \()?uid 65534\)?, not by root \(uid 0\), the user )"
      R"(sidecard runs as; chown it to that user)");
  EXPECT_TRUE(std::regex_search(daemon.Log(), refusal)) << daemon.Log();
  EXPECT_EQ(daemon.Log().find(kToken), std::string::npos);
}

TEST_F(SecurityTokenOwner, AReloadKeepsTheOldTokensWhenAnotherUserOwnsTheFile) {
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.StartWith(Args()));
  std::smatch match;
  const std::string log = daemon.Log();
  ASSERT_TRUE(std::regex_search(log, match, std::regex(R"(listening on (127\.0\.0\.1:[0-9]+) \()")))
      << log;
  const auto serves = [&](const char* token) {
    Client client({.address = match[1].str(), .timeout = 10s, .max_attempts = 1, .token = token});
    v1::GetServerInfoResponse info;
    return client.GetServerInfo(&info).ok();
  };
  ASSERT_TRUE(serves(kToken));

  // A rotation in a file that nobody owns: refused, the old token stays.
  files_.WriteFile("tokens", std::string("read-write ") + kNewToken + "\n");
  chmod(tokens().c_str(), 0600);
  ASSERT_EQ(chown(tokens().c_str(), kOtherUid, kOtherUid), 0);
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(daemon.WaitForLog("reload failed, keeping the old settings: --token-file " +
                                tokens() + ": owned by "))
      << daemon.Log();
  EXPECT_TRUE(serves(kToken));
  EXPECT_FALSE(serves(kNewToken));

  // Given back to the daemon's user, the same file is taken.
  ASSERT_EQ(chown(tokens().c_str(), 0, 0), 0);
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(daemon.WaitForLog("reloaded: bearer tokens 1 token")) << daemon.Log();
  EXPECT_TRUE(serves(kNewToken));
  EXPECT_FALSE(serves(kToken));
  EXPECT_TRUE(daemon.Stop());
}

}  // namespace
}  // namespace sidecard::testing
