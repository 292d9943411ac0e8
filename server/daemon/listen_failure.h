// Why the daemon could not listen on an address. gRPC only reports that an
// address could not be added (the details go to its own log line), so for a
// TCP address the daemon tries the bind itself to name the reason, above all
// "address already in use": another daemon on the port. The metrics
// endpoint's HTTP server says even less ("null context when constructing
// CivetServer").
#ifndef SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_
#define SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_

#include <string>

namespace sidecard::daemon {

// "cannot listen on 127.0.0.1:50051: address already in use (another
// sidecard?)" for a --listen, --health-listen or --metrics-listen value that
// could not be bound; `otherwise` when a bind tried now succeeds.
std::string ListenFailure(
    const std::string& address,
    const std::string& otherwise = "gRPC could not bind it (its log line above says why)");

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_LISTEN_FAILURE_H_
