// Why the daemon could not listen on an address. gRPC only reports that an
// address could not be added (the details go to its own log line), so for a
// TCP address the daemon tries the bind itself to name the reason, above all
// "address already in use": another daemon on the port.
#ifndef SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_
#define SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_

#include <string>

namespace sidecard::daemon {

// "cannot listen on 127.0.0.1:50051: address already in use (another
// sidecard?)" for a --listen or --health-listen value gRPC failed to bind.
std::string ListenFailure(const std::string& address);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_
