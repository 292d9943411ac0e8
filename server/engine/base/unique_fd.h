// An owned file descriptor, closed on destruction.
#ifndef SIDECARD_SERVER_ENGINE_BASE_UNIQUE_FD_H_
#define SIDECARD_SERVER_ENGINE_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace sidecard::engine {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_UNIQUE_FD_H_
