#include "support/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gtest/gtest.h"

namespace sidecard::testing {

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(address.sun_path)) {
    ADD_FAILURE() << "notify socket path too long: " << path_;
    return;
  }
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "cannot bind the notify socket " << path_ << ": " << std::strerror(errno);
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> NotifySocket::Receive(std::chrono::milliseconds timeout) {
  pollfd ready{fd_, POLLIN, 0};
  if (poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
  char buffer[4096];
  const ssize_t size = recv(fd_, buffer, sizeof(buffer), 0);
  if (size < 0) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(size));
}

std::vector<std::string> NotifySocket::ReceiveUntil(const std::string& state,
                                                    std::chrono::milliseconds timeout) {
  std::vector<std::string> messages;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) return {};
    std::optional<std::string> message = Receive(left);
    if (!message) return {};
    messages.push_back(*message);
    if (HasState(*message, state)) return messages;
  }
}

bool NotifySocket::HasState(const std::string& message, const std::string& state) {
  return ("\n" + message + "\n").find("\n" + state + "\n") != std::string::npos;
}

}  // namespace sidecard::testing
