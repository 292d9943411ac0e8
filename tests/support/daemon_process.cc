#include "support/daemon_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <utility>

namespace sidecard::testing {

std::unique_ptr<Client> MakeClient(const std::string& address, std::chrono::milliseconds timeout) {
  ClientOptions options;
  options.address = address;
  options.timeout = timeout;
  options.max_attempts = 1;
  return std::make_unique<Client>(std::move(options));
}

DaemonProcess::DaemonProcess(std::string binary) : binary_(std::move(binary)) {
  run_dir_.WriteFile("sidecard.log", "");
  // A daemon that drops root must be able to make its socket here.
  ShareWithDaemon(run_dir_.root());
}

DaemonProcess::~DaemonProcess() { Kill(); }

::testing::AssertionResult DaemonProcess::Start(const Options& options,
                                                std::chrono::milliseconds timeout) {
  SpawnSpec spec;
  spec.argv = {binary_,
               "--listen",
               address(),
               "--workers",
               std::to_string(options.workers),
               "--grace-period",
               std::to_string(options.grace_period_seconds),
               "--log-level",
               "info"};
  for (const std::string& root : options.allowed_roots) {
    spec.argv.push_back("--allowed-root");
    spec.argv.push_back(root);
  }
  spec.argv.insert(spec.argv.end(), options.extra_args.begin(), options.extra_args.end());
  spec.drop_root = true;
  spec.max_file_bytes = options.max_file_bytes;
  if (auto started = Launch(std::move(spec)); !started) return started;
  return WaitServing(timeout);
}

::testing::AssertionResult DaemonProcess::StartWith(const std::vector<std::string>& args,
                                                    const std::vector<std::string>& env,
                                                    bool wait_serving) {
  SpawnSpec spec;
  spec.argv = {binary_, "--listen", address()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = env;
  if (auto started = Launch(std::move(spec)); !started) return started;
  if (!wait_serving) return ::testing::AssertionSuccess();
  return WaitServing();
}

::testing::AssertionResult DaemonProcess::Launch(SpawnSpec spec) {
  spec.stdout_path = spec.stderr_path = log_path();
  spec.append = true;
  std::string error;
  exit_code_ = -1;
  pid_ = Spawn(spec, error);
  if (pid_ < 0) return ::testing::AssertionFailure() << "cannot start " << binary_ << ": " << error;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult DaemonProcess::WaitServing(std::chrono::milliseconds timeout) {
  // A gRPC channel that failed to connect backs off for a second or more
  // before it tries again, so first wait until the socket accepts
  // connections, and only then ask the health service.
  std::unique_ptr<Client> probe;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      return ::testing::AssertionFailure()
             << "sidecard exited with " << exit_code_ << " before serving; its log:\n"
             << Log();
    }
    if (probe == nullptr && SocketAccepts(socket_path())) probe = MakeClient(address(), 1s);
    HealthResponse::ServingStatus status = HealthResponse::UNKNOWN;
    if (probe != nullptr && probe->CheckHealth("", &status).ok() &&
        status == HealthResponse::SERVING) {
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(5ms);
  }
  return ::testing::AssertionFailure()
         << "sidecard did not report SERVING within " << timeout.count() << " ms; its log:\n"
         << Log();
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int wait_status = 0;
  if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
    exit_code_ = ExitCodeOf(wait_status);
    exited_unasked_ = true;
    pid_ = -1;
    return false;
  }
  return true;
}

void DaemonProcess::Signal(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

void DaemonProcess::Terminate() const { Signal(SIGTERM); }

int DaemonProcess::WaitExit(std::chrono::milliseconds timeout, bool* killed) {
  if (killed != nullptr) *killed = false;
  if (pid_ > 0) {
    int wait_status = 0;
    if (WaitForExit(pid_, timeout, wait_status)) {
      exit_code_ = ExitCodeOf(wait_status);
    } else {
      if (killed != nullptr) *killed = true;
      kill(pid_, SIGKILL);
      waitpid(pid_, &wait_status, 0);
      exit_code_ = -1;
    }
    pid_ = -1;
  }
  return exit_code_;
}

::testing::AssertionResult DaemonProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0 && exit_code_ == -1) {
    return ::testing::AssertionFailure() << "sidecard is not running";
  }
  Terminate();
  bool killed = false;
  const int code = WaitExit(timeout, &killed);
  if (killed) {
    return ::testing::AssertionFailure() << "sidecard did not exit within " << timeout.count()
                                         << " ms of SIGTERM (killed); its log:\n"
                                         << Log();
  }
  if (code != 0) {
    return ::testing::AssertionFailure() << "sidecard exited with " << code << "; its log:\n"
                                         << Log();
  }
  return ::testing::AssertionSuccess();
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int wait_status = 0;
  waitpid(pid_, &wait_status, 0);
  exit_code_ = ExitCodeOf(wait_status);
  pid_ = -1;
}

bool DaemonProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
  return Eventually([&] { return Log().find(text) != std::string::npos; }, timeout);
}

RunResult DaemonProcess::Ctl(const std::vector<std::string>& args, const std::string& cwd) const {
  std::vector<std::string> argv = {SIDECARCTL_BINARY, "--address", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, cwd);
}

}  // namespace sidecard::testing
