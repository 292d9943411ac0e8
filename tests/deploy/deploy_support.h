// Support for the deployment tests: the REAL sidecard binary started the way
// systemd starts it (extra environment: NOTIFY_SOCKET, WATCHDOG_USEC,
// JOURNAL_STREAM), a datagram socket standing in for systemd's notification
// socket, and a tiny HTTP client for the metrics endpoint.
//
// It reuses the process helpers of tests/integration/daemon_fixture.h
// (RunProcess, WaitForExit, SocketAccepts, ...). Unlike that fixture's
// DaemonProcess, the daemon here keeps the test's own user: these tests are
// about the daemon's life cycle and interfaces, not about file modes.
//
// Header-only: tests/CMakeLists.txt compiles tests/deploy/*_test.cc.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"

extern char** environ;

namespace sidecard::deploytest {

namespace v1 = ::sidecar::v1;
using namespace std::chrono_literals;
using itest::ReadWholeFile;
using itest::RunProcess;
using itest::RunResult;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

inline constexpr char kServiceName[] = "sidecar.v1.SidecarService";

// A client of `address` that does not retry: a test sees each answer as it is.
inline std::unique_ptr<Client> MakeClient(const std::string& address,
                                          std::chrono::milliseconds timeout = 10s) {
  ClientOptions options;
  options.address = address;
  options.timeout = timeout;
  options.max_attempts = 1;
  return std::make_unique<Client>(std::move(options));
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// ------------------------------------------------------------ notify socket

// A Unix datagram socket like the one systemd passes in NOTIFY_SOCKET; each
// datagram is one sd_notify(3) message ("READY=1\nSTATUS=...").
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ADD_FAILURE() << "cannot bind the notify socket " << path_ << ": " << std::strerror(errno);
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next message, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t size = recv(fd_, buffer, sizeof(buffer), 0);
    if (size < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(size));
  }

  // Receives until a message contains `state` (e.g. "READY=1"); returns
  // every message received on the way, that one last. Empty if it never came.
  std::vector<std::string> ReceiveUntil(const std::string& state,
                                        std::chrono::milliseconds timeout = 10s) {
    std::vector<std::string> messages;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return {};
      std::optional<std::string> message = Receive(left);
      if (!message) return {};
      messages.push_back(*message);
      if (HasState(*message, state)) return messages;
    }
  }

  // Whether `message` holds the line `state` ("READY=1").
  static bool HasState(const std::string& message, const std::string& state) {
    return ("\n" + message + "\n").find("\n" + state + "\n") != std::string::npos;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// ----------------------------------------------------------------- daemon

// fork+execve of `argv` with the test's environment plus `extra_env`
// ("NAME=value"), stdin from /dev/null, stdout and stderr to `output_path`.
// Returns the pid, or -1. The child resets the signal mask the test runner may
// have set (the daemon blocks its own signals).
inline pid_t SpawnWithEnv(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env,
                          const std::string& output_path) {
  // The test's own systemd variables (it may run under systemd) never leak.
  const auto replaced = [&extra_env](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('='));
    for (const char* systemd :
         {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"}) {
      if (name == systemd) return true;
    }
    for (const std::string& extra : extra_env) {
      if (std::string_view(extra).substr(0, extra.find('=')) == name) return true;
    }
    return false;
  };
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!replaced(*entry)) env_strings.emplace_back(*entry);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args;
  std::vector<char*> env;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  for (const std::string& entry : env_strings) env.push_back(const_cast<char*>(entry.c_str()));
  args.push_back(nullptr);
  env.push_back(nullptr);
  const int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in_fd < 0 || out_fd < 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  return pid;
}

// One sidecard process with a run directory of its own: socket, stderr log,
// config file, notify socket. Killed (SIGKILL) if still running at the end.
class Daemon {
 public:
  explicit Daemon(std::string binary = SIDECARD_BINARY) : binary_(std::move(binary)) {
    // The log exists before the daemon starts, so its inode can be named in
    // JOURNAL_STREAM.
    run_dir_.WriteFile("sidecard.log", "");
  }
  ~Daemon() { Kill(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts `binary --listen unix:<run dir>/sidecard.sock args...` with the
  // extra environment; when `wait_serving`, waits until health says SERVING.
  ::testing::AssertionResult Start(const std::vector<std::string>& args,
                                   const std::vector<std::string>& env = {},
                                   bool wait_serving = true) {
    std::vector<std::string> argv = {binary_, "--listen", address()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = SpawnWithEnv(argv, env, log_path());
    if (pid_ < 0) return ::testing::AssertionFailure() << "cannot start " << binary_;
    if (!wait_serving) return ::testing::AssertionSuccess();
    return WaitServing();
  }

  ::testing::AssertionResult WaitServing(std::chrono::milliseconds timeout = 10s) {
    std::unique_ptr<Client> probe;
    const bool serving = Eventually(
        [&] {
          if (!running()) return true;
          if (probe == nullptr && itest::SocketAccepts(socket_path())) {
            probe = MakeClient(address(), 1s);
          }
          HealthResponse::ServingStatus status = HealthResponse::UNKNOWN;
          return probe != nullptr && probe->CheckHealth("", &status).ok() &&
                 status == HealthResponse::SERVING;
        },
        timeout);
    if (serving && running()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "sidecard is not serving; its log:\n" << Log();
  }

  // Whether the process still runs (reaps it, keeping its exit code, if not).
  bool running() {
    if (pid_ <= 0) return false;
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      exit_code_ = itest::ExitCodeOf(wait_status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  void Signal(int signal_number) const {
    if (pid_ > 0) kill(pid_, signal_number);
  }

  // Waits for the process to end; its exit code, or -1 after `timeout`
  // (then it is killed).
  int WaitExit(std::chrono::milliseconds timeout = 10s) {
    if (pid_ > 0) {
      int wait_status = 0;
      if (itest::WaitForExit(pid_, timeout, wait_status)) {
        exit_code_ = itest::ExitCodeOf(wait_status);
      } else {
        kill(pid_, SIGKILL);
        waitpid(pid_, &wait_status, 0);
        exit_code_ = -1;
      }
      pid_ = -1;
    }
    return exit_code_;
  }

  // SIGTERM; true when the daemon then exits 0 within `timeout`.
  ::testing::AssertionResult Stop(std::chrono::milliseconds timeout = 10s) {
    Signal(SIGTERM);
    const int code = WaitExit(timeout);
    if (code == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "sidecard exited with " << code << "; its log:\n"
                                         << Log();
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int wait_status = 0;
    waitpid(pid_, &wait_status, 0);
    pid_ = -1;
  }

  // Waits until the log contains `text`.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout = 10s) const {
    return Eventually([&] { return Log().find(text) != std::string::npos; }, timeout);
  }

  pid_t pid() const { return pid_; }
  std::string socket_path() const { return run_dir_.Path("sidecard.sock"); }
  std::string address() const { return "unix:" + socket_path(); }
  std::string log_path() const { return run_dir_.Path("sidecard.log"); }
  std::string Log() const { return ReadWholeFile(log_path()); }
  // The run directory, for config files and the notify socket.
  testing::TempTree& run_dir() { return run_dir_; }

  // `sidecarctl --address <this daemon> args...`.
  RunResult Ctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {SIDECARCTL_BINARY, "--address", address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }

 private:
  std::string binary_;
  testing::TempTree run_dir_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// ------------------------------------------------------------------- HTTP

// GET http://127.0.0.1:<port><path> over a plain socket (HTTP/1.0, so the
// server closes the connection after the body). The whole response, headers
// included; empty when the connection fails.
inline std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd >= 0) close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[8192];
  ssize_t size = 0;
  while ((size = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    response.append(buffer, static_cast<size_t>(size));
  }
  close(fd);
  return response;
}

// The value of the sample `series` (a metric name with its labels exactly as
// exposed, e.g. `sidecard_calls_total{method="Stats",code="OK"}`) in a
// Prometheus text exposition, or nullopt when absent.
inline std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// The port in the daemon's "metrics at http://127.0.0.1:PORT/metrics" line.
inline std::optional<int> MetricsPort(const std::string& log) {
  static const std::regex kLine(R"(metrics at http://127\.0\.0\.1:(\d+)/metrics)");
  std::smatch match;
  if (!std::regex_search(log, match, kLine)) return std::nullopt;
  return std::stoi(match[1]);
}

}  // namespace sidecard::deploytest
