#include "support/temp_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace sidecard::testing {
namespace {

[[noreturn]] void ThrowErrno(std::string_view what, const std::string& path, int err = errno) {
  std::string message = "TempTree: ";
  message.append(what);
  message.append(" ");
  message.append(path);
  throw std::system_error(err, std::generic_category(), message);
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the result (close errors on a written file matter).
  int Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

// mkdir -p for an absolute path; existing directories (or symlinks to them) are fine.
void MakeDirs(const std::string& path) {
  if (path.empty()) return;
  std::size_t pos = 1;  // skip the leading '/'
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      const std::string prefix = path.substr(0, next);
      if (::mkdir(prefix.c_str(), 0755) != 0) {
        const int err = errno;
        struct stat st {};
        if (err != EEXIST || ::stat(prefix.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
          ThrowErrno("mkdir", prefix, err == EEXIST ? ENOTDIR : err);
        }
      }
    }
    pos = next + 1;
  }
}

void MakeParentDirs(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) MakeDirs(path.substr(0, slash));
}

// Removes every entry of the open directory `dir_fd` (which it takes ownership
// of), never following symlinks. Directories are made 0700 before they are
// opened so that mode-000 and read-only directories can be emptied. Returns the
// first errno seen (0 on success) and keeps going after errors.
int EmptyDirectory(int dir_fd) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dir_fd);
    return err;
  }
  int first_error = 0;
  auto note = [&first_error](int err) {
    if (first_error == 0) first_error = err;
  };
  // Collect names first: deleting while reading a directory stream is allowed
  // but may skip entries on some file systems.
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) note(errno);
  const int fd = ::dirfd(dir);
  for (const std::string& name : names) {
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) note(errno);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if ((st.st_mode & 07777) != 0700) ::fchmodat(fd, name.c_str(), 0700, 0);
      const int child = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        note(errno);
      } else {
        const int err = EmptyDirectory(child);
        if (err != 0) note(err);
      }
      if (::unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) note(errno);
    } else if (::unlinkat(fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      note(errno);
    }
  }
  ::closedir(dir);  // also closes dir_fd
  return first_error;
}

// Removes `path` and everything under it without following symlinks.
int RemoveTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
  if (!S_ISDIR(st.st_mode)) return ::unlink(path.c_str()) == 0 ? 0 : errno;
  if ((st.st_mode & 07777) != 0700) ::chmod(path.c_str(), 0700);
  int first_error = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    first_error = errno;
  } else {
    first_error = EmptyDirectory(fd);
  }
  if (::rmdir(path.c_str()) != 0 && first_error == 0) first_error = errno;
  return first_error;
}

}  // namespace

TempTree::TempTree() {
  std::string base = "/tmp";
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
    base = tmpdir;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
  }
  std::string pattern = base + "/sidecard-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) ThrowErrno("mkdtemp", pattern);
  const std::string made(buffer.data());
  char* resolved = ::realpath(made.c_str(), nullptr);
  if (resolved == nullptr) {
    const int err = errno;
    ::rmdir(made.c_str());
    ThrowErrno("realpath", made, err);
  }
  root_ = resolved;
  std::free(resolved);
}

TempTree::~TempTree() {
  if (root_.empty()) return;
  const int err = RemoveTree(root_);
  if (err != 0) {
    const std::error_code code(err, std::generic_category());
    std::fprintf(stderr, "TempTree: could not remove %s completely: %s\n", root_.c_str(),
                 code.message().c_str());
  }
}

std::string TempTree::Path(std::string_view rel) const {
  if (!rel.empty() && rel.front() == '/') {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "TempTree: expected a relative path, got " + std::string(rel));
  }
  std::string path = root_;
  if (!rel.empty()) {
    path.push_back('/');
    path.append(rel);
  }
  return path;
}

void TempTree::WriteFile(std::string_view rel, std::string_view bytes) {
  const std::string path = Path(rel);
  MakeParentDirs(path);
  FdCloser fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) ThrowErrno("open", path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  if (fd.Close() != 0) ThrowErrno("close", path);
}

void TempTree::WriteBin(std::string_view rel, std::string_view json) {
  const std::uint64_t length = json.size();
  std::string bytes;
  bytes.reserve(8 + json.size());
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<char>(static_cast<unsigned char>((length >> (8 * i)) & 0xffU)));
  }
  bytes.append(json);
  WriteFile(rel, bytes);
}

void TempTree::Symlink(std::string_view rel_link, std::string_view target) {
  const std::string path = Path(rel_link);
  MakeParentDirs(path);
  const std::string target_str(target);
  if (::symlink(target_str.c_str(), path.c_str()) != 0) ThrowErrno("symlink", path);
}

void TempTree::MakeDir(std::string_view rel) { MakeDirs(Path(rel)); }

bool TempTree::Exists(std::string_view rel) const {
  const std::string path = Path(rel);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  ThrowErrno("lstat", path);
}

std::string TempTree::ReadFile(std::string_view rel) const {
  const std::string path = Path(rel);
  FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) ThrowErrno("open", path);
  std::string content;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
    content.reserve(static_cast<std::size_t>(st.st_size));
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("read", path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

void TempTree::SetMode(std::string_view rel, mode_t mode) {
  const std::string path = Path(rel);
  if (::chmod(path.c_str(), mode) != 0) ThrowErrno("chmod", path);
}

void TempTree::SetMtime(std::string_view rel, time_t seconds_since_epoch) {
  const std::string path = Path(rel);
  struct timespec times[2]{};
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;  // access time unchanged
  times[1].tv_sec = seconds_since_epoch;
  times[1].tv_nsec = 0;
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    ThrowErrno("utimensat", path);
  }
}

}  // namespace sidecard::testing
