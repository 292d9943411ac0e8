// A private temporary directory for fuzz targets that read real files: made
// once per process, its files rewritten for every input.
#ifndef SIDECARD_TESTS_FUZZ_FUZZ_DIRECTORY_H_
#define SIDECARD_TESTS_FUZZ_FUZZ_DIRECTORY_H_

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
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/sidecard-fuzz-XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    path_ = pattern;
    fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    Check(fd_ >= 0, "open the fuzz directory");
  }
  // Lives as long as the process (libFuzzer never returns from main).
  FuzzDirectory(const FuzzDirectory&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  void Write(const std::string& name, std::string_view bytes) const {
    const int fd = openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
