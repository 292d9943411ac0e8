// Child processes for the tests that run the real binaries (integration,
// faults, deploy): fork+exec with the standard files redirected, waiting with
// a timeout, running a program to completion, and handing files to the user
// a root test run starts the daemon as.
//
// Root and file modes: CI runs as root, and root ignores file modes, so an
// unreadable (chmod 000) file would not be unreadable to a root daemon. A
// daemon that must see file modes is therefore started as `nobody` (uid/gid
// 65534) when the tests run as root, and the trees it reads must be handed
// to it with ShareWithDaemon() (chown -R, lchown for symlinks) once they are
// built. As any other user ShareWithDaemon() does nothing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace sidecard::testing {

// Whether this build runs under AddressSanitizer or ThreadSanitizer
// (scripts/test-hardening), where some figures and third-party code behave
// differently.
#if defined(__has_feature)  // clang; gcc defines __SANITIZE_*__ instead
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SIDECARD_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    defined(SIDECARD_UNDER_SANITIZER)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif

// The user a root test run starts a file-mode-sensitive daemon as (nobody:nogroup).
inline constexpr uid_t kUnprivilegedUid = 65534;
inline constexpr gid_t kUnprivilegedGid = 65534;

bool RunningAsRoot();

// The whole content of `path`; empty when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// Makes `path` and everything under it owned by `uid`:`gid`, never following
// symlinks (lchown). Failures are test failures.
void ChownTree(const std::string& path, uid_t uid, gid_t gid);

// Hands `path` (recursively) to the daemon's user when the daemon drops root.
void ShareWithDaemon(const std::string& path);

// Whether a Unix stream socket at `path` accepts a connection now.
bool SocketAccepts(const std::string& path);

struct SpawnSpec {
  std::vector<std::string> argv;
  std::string cwd;          // empty: inherit
  std::string stdout_path;  // empty: /dev/null
  std::string stderr_path;  // empty: /dev/null; the same path as stdout: one file
  bool append = false;      // append to the output files instead of truncating them
  // Added to the test's environment ("NAME=value", replacing a variable of
  // that name). systemd's own variables (NOTIFY_SOCKET, WATCHDOG_USEC,
  // WATCHDOG_PID, JOURNAL_STREAM) of a test run under systemd never pass.
  std::vector<std::string> env;
  bool drop_root = false;  // when running as root: setgroups/setgid/setuid to nobody
  // When >= 0: RLIMIT_FSIZE for the child, with SIGXFSZ ignored, so a write
  // past it fails with EFBIG (an injected write failure; both survive exec).
  long max_file_bytes = -1;
};

// fork+exec; returns the child's pid or -1 (with `error` set). Only
// async-signal-safe calls run in the child (the parent has gRPC threads).
// The child starts with an empty signal mask whatever the test runner set.
pid_t Spawn(const SpawnSpec& spec, std::string& error);

// Exit code of a wait status: the exit status, or 128 + signal.
int ExitCodeOf(int wait_status);

// Waits up to `timeout` for `pid` to end; true with its wait status if it did.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout, int& wait_status);

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it could not run
  std::string out;
  std::string err;
  bool timed_out = false;
};

std::ostream& operator<<(std::ostream& os, const RunResult& run);

// Runs `argv` to completion (killed after `timeout`), capturing its output.
RunResult RunProcess(const std::vector<std::string>& argv, const std::string& cwd = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace sidecard::testing
