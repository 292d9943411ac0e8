// A private temporary directory for fuzz targets that read real files: made
// once per process, its files rewritten for every input.
#ifndef SIDECARD_TESTS_FUZZ_FUZZ_DIRECTORY_H_
#define SIDECARD_TESTS_FUZZ_FUZZ_DIRECTORY_H_

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"

namespace sidecard::fuzz {

class FuzzDirectory {
 public:
  FuzzDirectory() {
    // Memory-backed when possible: thousands of small files are rewritten
    // per second.
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    if (base == "/tmp" && access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    std::string pattern = base + "/sidecard-fuzz-XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    path_ = pattern;
    fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    Check(fd_ >= 0, "open the fuzz directory");
  }
  FuzzDirectory(const FuzzDirectory&) = delete;
  // Runs when a fuzzing run ends normally (exit), as a static; after a crash
  // the directory stays, with the files of the crashing input.
  ~FuzzDirectory() {
    if (DIR* entries = fdopendir(dup(fd_))) {
      while (const dirent* entry = readdir(entries)) {
        unlinkat(fd_, entry->d_name, 0);  // "." and ".." fail harmlessly
      }
      closedir(entries);
    }
    close(fd_);
    rmdir(path_.c_str());
  }

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  void Write(const std::string& name, std::string_view bytes) const {
    // A new file rather than a truncated one: ext4 flushes a file truncated
    // and rewritten when it is closed, which would make every input slow.
    Remove(name);
    const int fd = openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    Check(fd >= 0, "create a fuzz file");
    Check(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()),
          "write a fuzz file");
    close(fd);
  }
  void Remove(const std::string& name) const { unlinkat(fd_, name.c_str(), 0); }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace sidecard::fuzz

#endif  // SIDECARD_TESTS_FUZZ_FUZZ_DIRECTORY_H_
