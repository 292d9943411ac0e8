#include "server/daemon/listen_failure.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/daemon/daemon_options.h"

namespace sidecard::daemon {
namespace {

std::string Reason(int error) {
  switch (error) {
    case EADDRINUSE:
      return "address already in use (another sidecard?)";
    case EACCES:
      return "permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)";
    case EADDRNOTAVAIL:
      return "not an address of this machine";
    default:
      return std::strerror(error);
  }
}

// Why binding `host`:`port` the way gRPC does (SO_REUSEADDR, no
// SO_REUSEPORT) fails: the first bind error, or the resolver's; "" when it
// binds.
std::string TryBind(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int resolved =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (resolved != 0) return "cannot resolve '" + host + "': " + gai_strerror(resolved);
  int error = 0;
  for (const addrinfo* each = found; each != nullptr && error == 0; each = each->ai_next) {
    const int fd = socket(each->ai_family, each->ai_socktype | SOCK_CLOEXEC, each->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, each->ai_addr, each->ai_addrlen) != 0) error = errno;
    close(fd);
  }
  freeaddrinfo(found);
  return error != 0 ? Reason(error) : "";
}

std::string UnixSocketReason(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory =
      slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  struct stat st {};
  if (stat(directory.c_str(), &st) != 0) {
    return "directory " + directory + ": " + std::strerror(errno);
  }
  return "cannot create the socket (may the daemon's user write to its directory?)";
}

}  // namespace

std::string ListenFailure(const std::string& address, const std::string& otherwise) {
  std::string reason;
  if (IsUnixSocketAddress(address)) {
    reason = UnixSocketReason(address.substr(5));
  } else if (const size_t colon = address.rfind(':'); colon != std::string::npos) {
    std::string host = address.substr(0, colon);
    // [::1]:50051 → ::1
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    reason = TryBind(host, address.substr(colon + 1));
    if (reason.empty()) reason = otherwise;
  } else {
    reason = "not unix:PATH or HOST:PORT";
  }
  return "cannot listen on " + address + ": " + reason;
}

}  // namespace sidecard::daemon
