// Integration-test support: runs the REAL sidecard binary on a Unix socket and
// drives it through the C++ client library and through sidecarctl.
//
// DaemonProcess starts `SIDECARD_BINARY` with fork+exec on a socket in a fresh
// temporary directory, waits until grpc.health.v1 answers SERVING and on Stop()
// sends SIGTERM and checks that the daemon exits 0. Its stderr goes to a file
// (Stderr()) for diagnostics.
//
// Root and file modes: CI runs as root, and root ignores file modes, so an
// unreadable (chmod 000) file would not be unreadable to a root daemon. When
// the tests run as root the daemon is therefore started as `nobody`
// (uid/gid 65534), and trees must be handed to it with ShareWithDaemon()
// (chown -R, lchown for symlinks) once they are built. As any other user the
// daemon runs as that user and ShareWithDaemon() does nothing.
//
// DaemonTest is the gtest fixture most tests use: a TempTree `tree_` that is
// the daemon's only allowed root, a running daemon and a Client, plus helpers
// that collect whole Validate/Cleanup streams.
//
// Header-only on purpose: tests/CMakeLists.txt compiles tests/integration/*_test.cc.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/cpp/client.h"
#include "gtest/gtest.h"
#include "support/temp_tree.h"

#ifndef SIDECARD_BINARY
#error "SIDECARD_BINARY must be defined (tests/CMakeLists.txt does)"
#endif
#ifndef SIDECARCTL_BINARY
#error "SIDECARCTL_BINARY must be defined (tests/CMakeLists.txt does)"
#endif

namespace sidecard::itest {

namespace v1 = ::sidecar::v1;
using namespace std::chrono_literals;
using HealthStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

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

// The user a root test run starts the daemon as (nobody:nogroup).
inline constexpr uid_t kUnprivilegedUid = 65534;
inline constexpr gid_t kUnprivilegedGid = 65534;

inline bool RunningAsRoot() { return geteuid() == 0; }

// ------------------------------------------------------------- documents

// Sidecar documents with known facts, compact as the Rust writer makes them.
// Two faces, detector "insightface", 1.5 s, success.
inline constexpr std::string_view kFaceDoc =
    R"({"face_detection":{"insightface":{"faces":[{"face_id":0},{"face_id":1}],)"
    R"("metadata":{"detector":"insightface","faces_found":2,"processing_time":1.5},)"
    R"("success":true}},"sidecar_info":{"operation_type":"face_detection"}})";
// Two objects (person, sports ball), model "yolov8n.pt", 0.25 s, success.
inline constexpr std::string_view kYoloDoc =
    R"({"sidecar_info":{"operation_type":"yolov8"},"yolov8":{"yolov8":{"metadata":)"
    R"({"detection_time":0.25,"model_path":"yolov8n.pt","objects_found":2},"objects":)"
    R"([{"class_name":"person","confidence":0.9},{"class_name":"sports ball",)"
    R"("confidence":0.8}],"success":true}}})";
// Both of the above merged: 1 face, 1 object.
inline constexpr std::string_view kBothDoc =
    R"({"face_detection":{"insightface":{"faces":[{"face_id":0}],"metadata":)"
    R"({"detector":"insightface","processing_time":0.5},"success":true}},)"
    R"("sidecar_info":{"last_operation":"yolov8","operation_type":"face_detection"},)"
    R"("yolov8":{"yolov8":{"metadata":{"detection_time":0.75,"model_path":"yolov8n.pt"},)"
    R"("objects":[{"class_name":"person"}],"success":true}}})";
// A sidecar document without any operation result (valid, with a warning).
inline constexpr std::string_view kInfoOnlyDoc =
    R"({"sidecar_info":{"operation_type":"face_detection"}})";
// Bytes that do not decode as .bin (the length header is far too large) nor as JSON.
inline std::string RandomBytes() {
  static constexpr char kBytes[] =
      "\x13\x37\xC0\xDE\xFF\xFF\x7F\x00\x00\x9F\x92\x96\xFE\x01 garbage";
  return std::string(kBytes, sizeof(kBytes) - 1);
}

// The bytes of a .bin file holding `json` (what TempTree::WriteBin writes).
inline std::string BinBytes(std::string_view json) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  out.append(json);
  return out;
}

inline int64_t BinSize(std::string_view json) { return static_cast<int64_t>(json.size()) + 8; }

// ------------------------------------------------------------- processes

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Makes `path` and everything under it owned by `uid`:`gid`, never following
// symlinks (lchown).
inline void ChownTree(const std::string& path, uid_t uid, gid_t gid) {
  namespace fs = std::filesystem;
  if (lchown(path.c_str(), uid, gid) != 0) {
    ADD_FAILURE() << "lchown " << path << ": " << std::strerror(errno);
    return;
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  std::error_code error;
  for (fs::recursive_directory_iterator it(path, fs::directory_options::none, error), end;
       !error && it != end; it.increment(error)) {
    const std::string entry = it->path().string();
    if (lchown(entry.c_str(), uid, gid) != 0) {
      ADD_FAILURE() << "lchown " << entry << ": " << std::strerror(errno);
    }
  }
  if (error) ADD_FAILURE() << "listing " << path << ": " << error.message();
}

// Hands `path` (recursively) to the daemon's user when the daemon drops root.
inline void ShareWithDaemon(const std::string& path) {
  if (RunningAsRoot()) ChownTree(path, kUnprivilegedUid, kUnprivilegedGid);
}

// Whether a Unix stream socket at `path` accepts a connection now.
inline bool SocketAccepts(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

struct SpawnSpec {
  std::vector<std::string> argv;
  std::string cwd;          // empty: inherit
  std::string stdout_path;  // empty: /dev/null
  std::string stderr_path;  // empty: /dev/null
  bool drop_root = false;   // setgroups/setgid/setuid to nobody before exec
  // When >= 0: RLIMIT_FSIZE for the child, with SIGXFSZ ignored, so a write
  // past it fails with EFBIG (an injected write failure; both survive exec).
  long max_file_bytes = -1;
};

// fork+exec; returns the child's pid or -1 (with `error` set). Only
// async-signal-safe calls run in the child (the parent has gRPC threads).
inline pid_t Spawn(const SpawnSpec& spec, std::string& error) {
  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const auto open_out = [&](const std::string& path) {
    return open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
  };
  const int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = open_out(spec.stdout_path);
  const int err_fd = open_out(spec.stderr_path);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
    error = std::string("cannot open the child's standard files: ") + std::strerror(errno);
    for (int fd : {in_fd, out_fd, err_fd}) {
      if (fd >= 0) close(fd);
    }
    return -1;
  }
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
    if (cwd != nullptr && chdir(cwd) != 0) _exit(126);
    if (spec.drop_root) {
      if (setgroups(0, nullptr) != 0 || setgid(kUnprivilegedGid) != 0 ||
          setuid(kUnprivilegedUid) != 0) {
        _exit(125);
      }
    }
    if (spec.max_file_bytes >= 0) {
      const rlimit limit{static_cast<rlim_t>(spec.max_file_bytes),
                         static_cast<rlim_t>(spec.max_file_bytes)};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(124);
      signal(SIGXFSZ, SIG_IGN);
    }
    // Undo the test runner's signal state: the daemon relies on its own mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const int fork_error = errno;
  close(in_fd);
  close(out_fd);
  close(err_fd);
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(fork_error);
    return -1;
  }
  return pid;
}

// Exit code of a wait status: the exit status, or 128 + signal.
inline int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// Waits up to `timeout` for `pid` to end; true with its wait status if it did.
inline bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout, int& wait_status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it could not run
  std::string out;
  std::string err;
  bool timed_out = false;
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& run) {
  return os << "exit " << run.exit_code << (run.timed_out ? " (timed out)" : "")
            << "\n--- stdout ---\n"
            << run.out << "\n--- stderr ---\n"
            << run.err;
}

// Runs `argv` to completion (killed after `timeout`), capturing its output.
inline RunResult RunProcess(const std::vector<std::string>& argv, const std::string& cwd = "",
                            std::chrono::milliseconds timeout = 30s) {
  testing::TempTree capture;
  RunResult result;
  std::string error;
  const pid_t pid =
      Spawn({argv, cwd, capture.Path("stdout"), capture.Path("stderr"), false}, error);
  if (pid < 0) {
    result.err = error;
    return result;
  }
  int wait_status = 0;
  if (!WaitForExit(pid, timeout, wait_status)) {
    result.timed_out = true;
    kill(pid, SIGKILL);
    waitpid(pid, &wait_status, 0);
  }
  result.exit_code = ExitCodeOf(wait_status);
  result.out = ReadWholeFile(capture.Path("stdout"));
  result.err = ReadWholeFile(capture.Path("stderr"));
  return result;
}

// ---------------------------------------------------------------- daemon

class DaemonProcess {
 public:
  struct Options {
    std::vector<std::string> allowed_roots;
    int workers = 2;
    int grace_period_seconds = 5;
    std::vector<std::string> extra_args;
    long max_file_bytes = -1;  // see SpawnSpec
  };

  DaemonProcess() { ShareWithDaemon(run_dir_.root()); }
  ~DaemonProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int wait_status = 0;
      waitpid(pid_, &wait_status, 0);
    }
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts the daemon and waits (up to `timeout`) until it answers SERVING.
  ::testing::AssertionResult Start(const Options& options,
                                   std::chrono::milliseconds timeout = 10s) {
    std::vector<std::string> argv = {SIDECARD_BINARY,
                                     "--listen",
                                     address(),
                                     "--workers",
                                     std::to_string(options.workers),
                                     "--grace-period",
                                     std::to_string(options.grace_period_seconds),
                                     "--log-level",
                                     "info"};
    for (const std::string& root : options.allowed_roots) {
      argv.push_back("--allowed-root");
      argv.push_back(root);
    }
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    std::string error;
    pid_ = Spawn({argv, "", "", stderr_path(), RunningAsRoot(), options.max_file_bytes}, error);
    if (pid_ < 0) return ::testing::AssertionFailure() << "cannot start sidecard: " << error;

    // A gRPC channel that failed to connect backs off for a second or more
    // before it tries again, so first wait until the socket accepts
    // connections, and only then ask the health service.
    std::unique_ptr<Client> probe;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int wait_status = 0;
      if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure() << "sidecard exited with " << ExitCodeOf(wait_status)
                                             << " before serving; its stderr:\n"
                                             << Stderr();
      }
      if (probe == nullptr && SocketAccepts(socket_path())) {
        probe = std::make_unique<Client>(ClientOptions{.address = address(), .timeout = 1s});
      }
      HealthStatus status = grpc::health::v1::HealthCheckResponse::UNKNOWN;
      if (probe != nullptr && probe->CheckHealth("", &status).ok() &&
          status == grpc::health::v1::HealthCheckResponse::SERVING) {
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(5ms);
    }
    return ::testing::AssertionFailure()
           << "sidecard did not report SERVING within " << timeout.count() << " ms; its stderr:\n"
           << Stderr();
  }

  // Sends SIGTERM.
  void Terminate() const {
    if (pid_ > 0) kill(pid_, SIGTERM);
  }

  // SIGKILL and reap, for tests that are not about shutting down.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int wait_status = 0;
    waitpid(pid_, &wait_status, 0);
    pid_ = -1;
  }

  // Waits up to `timeout` for the daemon to end; kills it (SIGKILL) if it
  // does not. Returns its exit code (128 + signal if killed, -1 if none).
  int WaitExit(std::chrono::milliseconds timeout, bool* killed = nullptr) {
    if (killed != nullptr) *killed = false;
    if (pid_ <= 0) return -1;
    int wait_status = 0;
    if (!WaitForExit(pid_, timeout, wait_status)) {
      if (killed != nullptr) *killed = true;
      kill(pid_, SIGKILL);
      waitpid(pid_, &wait_status, 0);
    }
    pid_ = -1;
    return ExitCodeOf(wait_status);
  }

  // SIGTERM, then the daemon must exit 0 within `timeout`.
  ::testing::AssertionResult Stop(std::chrono::milliseconds timeout = 5s) {
    if (pid_ <= 0) return ::testing::AssertionFailure() << "sidecard is not running";
    Terminate();
    bool killed = false;
    const int code = WaitExit(timeout, &killed);
    if (killed) {
      return ::testing::AssertionFailure() << "sidecard did not exit within " << timeout.count()
                                           << " ms of SIGTERM (killed); its stderr:\n"
                                           << Stderr();
    }
    if (code != 0) {
      return ::testing::AssertionFailure()
             << "sidecard exited with " << code << " after SIGTERM; its stderr:\n"
             << Stderr();
    }
    return ::testing::AssertionSuccess();
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string socket_path() const { return run_dir_.Path("sidecard.sock"); }
  std::string address() const { return "unix:" + socket_path(); }
  std::string stderr_path() const { return run_dir_.Path("sidecard.stderr"); }
  std::string Stderr() const { return ReadWholeFile(stderr_path()); }
  // A directory for the test's own scratch files (not an allowed root).
  const testing::TempTree& run_dir() const { return run_dir_; }

 private:
  testing::TempTree run_dir_;
  pid_t pid_ = -1;
};

// ----------------------------------------------------------------- fixture

struct ValidateRun {
  grpc::Status status;
  std::vector<v1::FileReport> reports;  // all batches, in stream order
  v1::ValidateSummary summary;          // from the final message
  int summaries = 0;                    // messages that carried a summary
  bool summary_last = false;            // the summary came in the last message
  std::vector<int> batch_sizes;         // reports per message
};

struct CleanupRun {
  grpc::Status status;
  std::vector<v1::CleanupResult> results;
  v1::CleanupSummary summary;
  int summaries = 0;
  bool summary_last = false;
};

// What a tree holds: relative path -> kind, mode and content (or link target).
using TreeListing = std::map<std::string, std::string>;

inline TreeListing ListTree(const std::string& root) {
  namespace fs = std::filesystem;
  TreeListing listing;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, error), end;
       !error && it != end; it.increment(error)) {
    const std::string path = it->path().string();
    const std::string rel = path.substr(root.size() + 1);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      listing[rel] = "lstat failed";
      continue;
    }
    std::ostringstream entry;
    entry << "mode " << std::oct << (st.st_mode & 07777) << std::dec << " ";
    if (S_ISDIR(st.st_mode)) {
      entry << "dir";
    } else if (S_ISLNK(st.st_mode)) {
      entry << "link -> " << fs::read_symlink(it->path(), error).string();
    } else {
      entry << "file mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " bytes "
            << ReadWholeFile(path);
    }
    listing[rel] = entry.str();
  }
  if (error) listing["<error>"] = error.message();
  return listing;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
    client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
  }

  void TearDown() override {
    // Hang up first: a client still connected may keep the daemon waiting
    // (lifecycle_test.cc covers SIGTERM with clients connected).
    client_.reset();
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.Stop());
    }
    if (HasFailure()) std::fprintf(stderr, "--- sidecard stderr ---\n%s", daemon_.Stderr().c_str());
  }

  // The daemon's options; tests may override.
  virtual DaemonProcess::Options MakeDaemonOptions() {
    DaemonProcess::Options options;
    options.allowed_roots = {tree_.root()};
    return options;
  }

  std::string P(std::string_view rel) const { return tree_.Path(rel); }

  // Hands the tree to the daemon's user; every helper below does it first.
  void Share() { ShareWithDaemon(tree_.root()); }

  ValidateRun Validate(v1::ValidateRequest request) {
    Share();
    ValidateRun run;
    int messages = 0;
    run.status = client_->Validate(request, [&](const v1::ValidateResponse& message) {
      ++messages;
      run.batch_sizes.push_back(message.reports_size());
      for (const v1::FileReport& report : message.reports()) run.reports.push_back(report);
      run.summary_last = message.has_summary();
      if (message.has_summary()) {
        ++run.summaries;
        run.summary = message.summary();
      }
    });
    return run;
  }

  ValidateRun Validate(const std::string& root, const std::string& operation_filter = "") {
    v1::ValidateRequest request;
    request.set_root(root);
    request.set_operation_filter(operation_filter);
    return Validate(request);
  }

  grpc::Status Stats(const std::string& root, v1::StatsResponse& stats,
                     const std::string& operation_filter = "", bool non_recursive = false) {
    Share();
    v1::StatsRequest request;
    request.set_root(root);
    request.set_operation_filter(operation_filter);
    request.set_non_recursive(non_recursive);
    return client_->Stats(request, &stats);
  }

  CleanupRun Cleanup(v1::CleanupRequest request) {
    Share();
    CleanupRun run;
    run.status = client_->Cleanup(request, [&](const v1::CleanupResponse& message) {
      for (const v1::CleanupResult& result : message.results()) run.results.push_back(result);
      run.summary_last = message.has_summary();
      if (message.has_summary()) {
        ++run.summaries;
        run.summary = message.summary();
      }
    });
    return run;
  }

  CleanupRun Cleanup(const std::string& root, v1::CleanupMode mode, int64_t min_age_seconds = 0) {
    v1::CleanupRequest request;
    request.set_root(root);
    request.set_mode(mode);
    request.set_min_age_seconds(min_age_seconds);
    return Cleanup(request);
  }

  // Runs sidecarctl against the daemon: `sidecarctl --address ADDR args...`.
  RunResult Ctl(const std::vector<std::string>& args, const std::string& cwd = "") {
    Share();
    std::vector<std::string> argv = {SIDECARCTL_BINARY, "--address", daemon_.address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, cwd);
  }

  testing::TempTree tree_;
  DaemonProcess daemon_;
  std::unique_ptr<Client> client_;
};

// The reported paths (FilePath.path) of a Validate run, in stream order.
inline std::vector<std::string> ReportPaths(const ValidateRun& run) {
  std::vector<std::string> paths;
  for (const v1::FileReport& report : run.reports) paths.push_back(report.file().path());
  return paths;
}

// path -> action name of a Cleanup run.
inline std::map<std::string, std::string> CleanupActions(const CleanupRun& run) {
  std::map<std::string, std::string> actions;
  for (const v1::CleanupResult& result : run.results) {
    actions[result.file().path()] = v1::CleanupAction_Name(result.action());
  }
  return actions;
}

inline std::vector<std::string> StrVec(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

template <typename Map>
std::map<std::string, typename Map::mapped_type> ToStdMap(const Map& map) {
  return {map.begin(), map.end()};
}

}  // namespace sidecard::itest
