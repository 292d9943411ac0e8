// The credentials of the network (TCP) listeners: TLS with the certificate
// and key of --tls-cert/--tls-key, requiring and verifying a client
// certificate when --tls-client-ca names the CAs that sign them; plaintext
// only when --insecure is given and no certificate is. The PEM files are
// checked here (they parse, the key matches the certificate), so a mistake is
// reported by name at start-up rather than as a listener that cannot bind.
#ifndef SIDECARD_SERVER_DAEMON_NETWORK_CREDENTIALS_H_
#define SIDECARD_SERVER_DAEMON_NETWORK_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "server/daemon/daemon_options.h"

namespace sidecard::daemon {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> NetworkCredentials(
    const DaemonOptions& options);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_NETWORK_CREDENTIALS_H_
