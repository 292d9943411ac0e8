#include "support/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "gtest/gtest.h"
#include "support/temp_tree.h"

extern char** environ;

namespace sidecard::testing {
namespace {

// The test's environment without systemd's variables, with `extra` added
// (each replacing a variable of its name).
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra) {
  const auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  const auto replaced = [&](std::string_view entry) {
    const std::string_view name = name_of(entry);
    for (const char* systemd :
         {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"}) {
      if (name == systemd) return true;
    }
    for (const std::string& added : extra) {
      if (name_of(added) == name) return true;
    }
    return false;
  };
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!replaced(*entry)) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> NullTerminated(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

bool RunningAsRoot() { return geteuid() == 0; }

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void ChownTree(const std::string& path, uid_t uid, gid_t gid) {
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

void ShareWithDaemon(const std::string& path) {
  if (RunningAsRoot()) ChownTree(path, kUnprivilegedUid, kUnprivilegedGid);
}

bool SocketAccepts(const std::string& path) {
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

pid_t Spawn(const SpawnSpec& spec, std::string& error) {
  // Everything the child needs is prepared here: after fork it may only
  // make async-signal-safe calls.
  std::vector<char*> argv = NullTerminated(spec.argv);
  const std::vector<std::string> env_strings = ChildEnvironment(spec.env);
  std::vector<char*> env = NullTerminated(env_strings);
  const int out_flags = O_WRONLY | O_CREAT | O_CLOEXEC | (spec.append ? O_APPEND : O_TRUNC);
  const auto open_out = [&](const std::string& path) {
    return open(path.empty() ? "/dev/null" : path.c_str(), out_flags, 0644);
  };
  const int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = open_out(spec.stdout_path);
  // One file for both: one description, so their writes interleave in order.
  const bool shared = !spec.stdout_path.empty() && spec.stderr_path == spec.stdout_path;
  const int err_fd = shared ? dup(out_fd) : open_out(spec.stderr_path);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
    error = std::string("cannot open the child's standard files: ") + std::strerror(errno);
    for (int fd : {in_fd, out_fd, err_fd}) {
      if (fd >= 0) close(fd);
    }
    return -1;
  }
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  const bool drop_root = spec.drop_root && RunningAsRoot();
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
    if (cwd != nullptr && chdir(cwd) != 0) _exit(126);
    if (drop_root) {
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
    execve(argv[0], argv.data(), env.data());
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

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout, int& wait_status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::ostream& operator<<(std::ostream& os, const RunResult& run) {
  return os << "exit " << run.exit_code << (run.timed_out ? " (timed out)" : "")
            << "\n--- stdout ---\n"
            << run.out << "\n--- stderr ---\n"
            << run.err;
}

RunResult RunProcess(const std::vector<std::string>& argv, const std::string& cwd,
                     std::chrono::milliseconds timeout) {
  TempTree capture;
  RunResult result;
  std::string error;
  SpawnSpec spec;
  spec.argv = argv;
  spec.cwd = cwd;
  spec.stdout_path = capture.Path("stdout");
  spec.stderr_path = capture.Path("stderr");
  const pid_t pid = Spawn(spec, error);
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

}  // namespace sidecard::testing
