// A stand-in for systemd's notification socket: a Unix datagram socket like
// the one systemd passes in NOTIFY_SOCKET; each datagram is one sd_notify(3)
// message ("READY=1\nSTATUS=...").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sidecard::testing {

class NotifySocket {
 public:
  // Binds `path`; a failure is a test failure.
  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next message, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout);

  // Receives until a message contains `state` (e.g. "READY=1"); returns
  // every message received on the way, that one last. Empty if it never came.
  std::vector<std::string> ReceiveUntil(
      const std::string& state, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Whether `message` holds the line `state` ("READY=1").
  static bool HasState(const std::string& message, const std::string& state);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace sidecard::testing
