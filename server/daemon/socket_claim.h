// One daemon per Unix socket path. gRPC unlinks whatever file is at a Unix
// socket's path before it binds, so a second daemon started on a running
// one's socket would take the path over without a word (and delete it when
// it exits, leaving the first unreachable). Before it listens, the daemon
// claims each of its socket paths:
//
// - it takes `<path>.lock` (flock LOCK_EX|LOCK_NB, held for its lifetime;
//   the kernel lets go at any exit, kill -9 included) and writes its pid
//   there, so another sidecard holding the lock is named with its pid;
// - it then tries to connect to the socket: something that answers is a
//   daemon that predates the lock file, or another program, and is left
//   alone too. A socket nobody answers on (left by a crash) is stale and is
//   replaced when gRPC binds.
//
// At exit, still holding the lock, the daemon removes the lock file; a
// daemon that opened the file just before checks after locking that the
// file it locked is still the one at the path.
#ifndef SIDECARD_SERVER_DAEMON_SOCKET_CLAIM_H_
#define SIDECARD_SERVER_DAEMON_SOCKET_CLAIM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace sidecard::daemon {

class SocketClaim {
 public:
  // Claims the socket of `address` (unix:PATH). AlreadyExists when another
  // daemon holds it or something answers on it ("another sidecard is already
  // listening on unix:/run/sidecard/sidecard.sock (pid 1234); not
  // starting"); Unavailable when the lock file cannot be made.
  static absl::StatusOr<std::unique_ptr<SocketClaim>> Claim(const std::string& address);

  ~SocketClaim();
  SocketClaim(const SocketClaim&) = delete;
  SocketClaim& operator=(const SocketClaim&) = delete;

  const std::string& lock_path() const { return lock_path_; }

 private:
  SocketClaim(std::string lock_path, int fd) : lock_path_(std::move(lock_path)), fd_(fd) {}

  std::string lock_path_;
  int fd_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_SOCKET_CLAIM_H_
