// One daemon per TCP address: gRPC's default SO_REUSEPORT would let a second
// daemon (with other roots) start on a running one's port and take half of
// its connections. The second must refuse to start, naming the address, and
// the first must go on serving; the same for --health-listen.
#include <sys/stat.h>

#include <regex>

#include "support/daemon_process.h"

namespace sidecard::testing {
namespace {

constexpr char kToken[] = "rw-token-listen-3f2e1d0c9b8a";

// The address in the first log line matching `pattern` (one capture group).
std::string AddressIn(const std::string& log, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(log, match, std::regex(pattern)) ? match[1].str() : "";
}

class OneDaemonPerAddress : public ::testing::Test {
 protected:
  void SetUp() override {
    files_.WriteFile("tokens", std::string("read-write ") + kToken + "\n");
    chmod(files_.Path("tokens").c_str(), 0600);
  }

  void TearDown() override {
    if (HasFailure())
      std::fprintf(stderr, "--- first sidecard's log ---\n%s", first_.Log().c_str());
  }

  // --allowed-root, TCP without TLS (tokens still required) on `tcp`, and `more`.
  std::vector<std::string> Args(const std::string& tcp, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--allowed-root", photos_.root(), "--listen",           tcp,
                                     "--insecure",     "--token-file", files_.Path("tokens")};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // Starts a daemon that must refuse to start; its log.
  std::string Refused(const std::vector<std::string>& args) {
    DaemonProcess second;
    EXPECT_TRUE(second.StartWith(args, {}, /*wait_serving=*/false));
    EXPECT_EQ(second.WaitExit(), 1) << second.Log();
    return second.Log();
  }

  testing::TempTree photos_;
  testing::TempTree files_;
  DaemonProcess first_;
};

TEST_F(OneDaemonPerAddress, ASecondDaemonOnTheSamePortRefusesToStart) {
  ASSERT_TRUE(first_.StartWith(Args("127.0.0.1:0", {"--health-listen", "127.0.0.1:0"})));
  const std::string tcp = AddressIn(first_.Log(), R"(listening on (127\.0\.0\.1:[0-9]+) \()");
  const std::string health =
      AddressIn(first_.Log(), R"(health checks .* on (127\.0\.0\.1:[0-9]+))");
  ASSERT_FALSE(tcp.empty()) << first_.Log();
  ASSERT_FALSE(health.empty()) << first_.Log();

  std::string log = Refused(Args(tcp));
  EXPECT_NE(log.find("cannot listen on " + tcp + ": address already in use (another sidecard?)"),
            std::string::npos)
      << log;
  log = Refused(Args("127.0.0.1:0", {"--health-listen", health}));
  EXPECT_NE(log.find("cannot listen on " + health + ": address already in use (another sidecard?)"),
            std::string::npos)
      << log;

  // Every new connection still reaches the first daemon, on both ports.
  for (int i = 0; i < 8; ++i) {
    ClientOptions options{.address = tcp, .timeout = 10s, .max_attempts = 1, .token = kToken};
    Client client(options);
    v1::GetServerInfoResponse info;
    ASSERT_TRUE(client.GetServerInfo(&info).ok());
    EXPECT_EQ(info.pid(), first_.pid());
    HealthResponse::ServingStatus status = HealthResponse::UNKNOWN;
    EXPECT_TRUE(MakeClient(health)->CheckHealth("", &status).ok());
    EXPECT_EQ(status, HealthResponse::SERVING);
  }
  EXPECT_TRUE(first_.Stop());
}

}  // namespace
}  // namespace sidecard::testing
