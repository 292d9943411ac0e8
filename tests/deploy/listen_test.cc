// One daemon per address. TCP: gRPC's default SO_REUSEPORT would let a
// second daemon (with other roots) start on a running one's port and take
// half of its connections. Unix socket: gRPC unlinks the path before it
// binds, so a second daemon would take the socket over, and remove it when it
// exits. Either way the second must refuse to start, naming the address, and
// the first must go on serving; the same for --health-listen. A socket left
// by a crash is replaced.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
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

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// The pid of the daemon that answers on `daemon`'s socket; -1 if none does.
int64_t PidAnswering(const DaemonProcess& daemon) {
  v1::GetServerInfoResponse info;
  return MakeClient(daemon.address())->GetServerInfo(&info).ok() ? info.pid() : -1;
}

TEST(OneDaemonPerSocket, ASecondDaemonOnARunningOnesSocketRefusesToStart) {
  testing::TempTree photos;
  DaemonProcess first;
  ASSERT_TRUE(first.StartWith({"--allowed-root", photos.root()}));
  EXPECT_TRUE(Exists(first.socket_path() + ".lock"));

  DaemonProcess second;
  second.UseSocket(first.socket_path());
  ASSERT_TRUE(second.StartWith({"--allowed-root", photos.root()}, {}, /*wait_serving=*/false));
  EXPECT_EQ(second.WaitExit(), 1) << second.Log();
  EXPECT_NE(second.Log().find("another sidecard is already listening on " + first.address() +
                              " (pid " + std::to_string(first.pid()) + "); not starting"),
            std::string::npos)
      << second.Log();

  // The socket is still there, and new connections still reach the first.
  ASSERT_TRUE(Exists(first.socket_path()));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(PidAnswering(first), first.pid());
  const RunResult ctl = first.Ctl({"health"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl;

  // A clean stop takes the socket and its lock file away.
  EXPECT_TRUE(first.Stop());
  EXPECT_FALSE(Exists(first.socket_path()));
  EXPECT_FALSE(Exists(first.socket_path() + ".lock"));
}

TEST(OneDaemonPerSocket, ASocketLeftByACrashIsReplaced) {
  testing::TempTree photos;
  DaemonProcess crashed;
  ASSERT_TRUE(crashed.StartWith({"--allowed-root", photos.root()}));
  crashed.Kill();  // SIGKILL: the socket and the lock file stay behind
  ASSERT_TRUE(Exists(crashed.socket_path()));
  ASSERT_TRUE(Exists(crashed.socket_path() + ".lock"));

  DaemonProcess next;
  next.UseSocket(crashed.socket_path());
  ASSERT_TRUE(next.StartWith({"--allowed-root", photos.root()}));
  EXPECT_EQ(PidAnswering(next), next.pid());
  EXPECT_TRUE(next.Stop());
}

TEST(OneDaemonPerSocket, OfDaemonsStartedTogetherOneServes) {
  testing::TempTree photos;
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  for (int i = 0; i < 3; ++i) {
    daemons.push_back(std::make_unique<DaemonProcess>());
    if (i > 0) daemons.back()->UseSocket(daemons.front()->socket_path());
  }
  for (auto& daemon : daemons) {
    ASSERT_TRUE(daemon->StartWith({"--allowed-root", photos.root()}, {}, /*wait_serving=*/false));
  }
  ASSERT_TRUE(Eventually([&] { return SocketAccepts(daemons.front()->socket_path()); }));
  // Those that refused have exited by now (they refuse before they listen).
  const int64_t serving = PidAnswering(*daemons.front());
  int running = 0;
  for (auto& daemon : daemons) {
    if (daemon->pid() == serving) {
      ++running;
      EXPECT_TRUE(daemon->running());
      continue;
    }
    EXPECT_EQ(daemon->WaitExit(), 1) << daemon->Log();
    EXPECT_NE(daemon->Log().find("another sidecard is already listening on"), std::string::npos)
        << daemon->Log();
  }
  EXPECT_EQ(running, 1);
  EXPECT_EQ(PidAnswering(*daemons.front()), serving);
}

TEST(OneDaemonPerSocket, AnotherProgramListeningOnTheSocketIsLeftAlone) {
  // What a sidecard older than the lock file looks like: a listener, no lock.
  testing::TempTree run;
  const std::string path = run.Path("sidecard.sock");
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  struct stat before {};
  ASSERT_EQ(stat(path.c_str(), &before), 0);

  testing::TempTree photos;
  DaemonProcess daemon;
  daemon.UseSocket(path);
  ASSERT_TRUE(daemon.StartWith({"--allowed-root", photos.root()}, {}, /*wait_serving=*/false));
  EXPECT_EQ(daemon.WaitExit(), 1) << daemon.Log();
  EXPECT_NE(daemon.Log().find("something is already listening on unix:" + path), std::string::npos)
      << daemon.Log();
  struct stat after {};
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // the same socket, not unlinked and bound again
  EXPECT_TRUE(SocketAccepts(path));
  close(listener);
}

}  // namespace
}  // namespace sidecard::testing
