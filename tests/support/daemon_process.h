// DaemonProcess: the REAL sidecard binary as a child process on a Unix
// socket in a run directory of its own, for the tests above the service
// (integration, faults, deploy).
//
// Two ways to start it:
//   Start(Options)   the library daemon most tests want: allowed roots, two
//                    workers, a 5 s grace period, info logging, extra flags;
//                    as `nobody` when the tests run as root (child_process.h),
//                    so file modes hold.
//   StartWith(args, env)  exactly `--listen <socket> args...`, as the test's
//                    own user, with extra environment (NOTIFY_SOCKET,
//                    WATCHDOG_USEC, JOURNAL_STREAM: how systemd starts it),
//                    optionally without waiting for it to serve.
// Either way stdout and stderr go to one log file (Log()) that exists before
// the start, so JOURNAL_STREAM can name its inode; a restart appends to it.
// The run directory also holds config files and a notify socket stand-in.
// Still running at destruction: killed (SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/cpp/client.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/temp_tree.h"

#ifndef SIDECARD_BINARY
#error "SIDECARD_BINARY must be defined (tests/CMakeLists.txt does)"
#endif
#ifndef SIDECARCTL_BINARY
#error "SIDECARCTL_BINARY must be defined (tests/CMakeLists.txt does)"
#endif

namespace sidecard::testing {

namespace v1 = ::sidecar::v1;
using namespace std::chrono_literals;
using HealthResponse = grpc::health::v1::HealthCheckResponse;
using HealthStatus = HealthResponse::ServingStatus;

// A client of `address` that does not retry: a test sees each answer as it is.
std::unique_ptr<Client> MakeClient(const std::string& address,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

class DaemonProcess {
 public:
  struct Options {
    std::vector<std::string> allowed_roots;
    int workers = 2;
    int grace_period_seconds = 5;
    std::vector<std::string> extra_args;
    long max_file_bytes = -1;  // see SpawnSpec
  };

  explicit DaemonProcess(std::string binary = SIDECARD_BINARY);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts the library daemon and waits (up to `timeout`) until it answers SERVING.
  ::testing::AssertionResult Start(const Options& options,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts `binary --listen unix:<run dir>/sidecard.sock args...` with `env`
  // added; when `wait_serving`, waits until health says SERVING.
  ::testing::AssertionResult StartWith(const std::vector<std::string>& args,
                                       const std::vector<std::string>& env = {},
                                       bool wait_serving = true);

  // Waits until health says SERVING; fails at once when the daemon exits.
  ::testing::AssertionResult WaitServing(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Whether the process still runs (reaps it, keeping its exit code, if not).
  bool running();
  // Whether running() ever found the daemon ended, rather than Stop, Kill or
  // WaitExit ending it: a crash, unless the test signalled it itself.
  bool exited_unasked() const { return exited_unasked_; }
  // The exit code of the last run that ended (128 + signal); -1 if none did.
  int exit_code() const { return exit_code_; }

  void Signal(int signal_number) const;
  void Terminate() const;  // SIGTERM

  // Waits up to `timeout` for the daemon to end; kills it (SIGKILL) if it
  // does not, setting `killed`. Its exit code (128 + signal when a signal
  // ended it), or -1 when it was killed here or never ran.
  int WaitExit(std::chrono::milliseconds timeout = std::chrono::seconds(10),
               bool* killed = nullptr);

  // SIGTERM, then the daemon must exit 0 within `timeout`.
  ::testing::AssertionResult Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // SIGKILL and reap, for tests that are not about shutting down.
  void Kill();

  // Waits until the log contains `text`.
  bool WaitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  pid_t pid() const { return pid_; }
  // The next start listens on `path` instead of <run dir>/sidecard.sock
  // (e.g. another daemon's socket).
  void UseSocket(std::string path) { socket_path_ = std::move(path); }
  std::string socket_path() const {
    return socket_path_.empty() ? run_dir_.Path("sidecard.sock") : socket_path_;
  }
  std::string address() const { return "unix:" + socket_path(); }
  std::string log_path() const { return run_dir_.Path("sidecard.log"); }
  std::string Log() const { return ReadWholeFile(log_path()); }
  // For config files, the notify socket and the test's scratch files (not an
  // allowed root).
  TempTree& run_dir() { return run_dir_; }
  const TempTree& run_dir() const { return run_dir_; }

  // `sidecarctl --address <this daemon> args...` in `cwd`.
  RunResult Ctl(const std::vector<std::string>& args, const std::string& cwd = "") const;

 private:
  ::testing::AssertionResult Launch(SpawnSpec spec);

  std::string binary_;
  TempTree run_dir_;
  std::string socket_path_;  // empty: <run dir>/sidecard.sock
  pid_t pid_ = -1;
  int exit_code_ = -1;
  bool exited_unasked_ = false;
};

}  // namespace sidecard::testing
