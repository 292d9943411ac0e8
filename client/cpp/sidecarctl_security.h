// sidecarctl's bearer token and TLS settings, for daemons on TCP: from the
// global flags, else from the environment.
//
//   --token-file FILE   $SIDECARD_TOKEN (the token itself) or
//                       $SIDECARD_TOKEN_FILE: a file whose first line (not
//                       blank, not a # comment) is the token alone
//   --tls               TLS with the system's root certificates
//   --tls-ca FILE       $SIDECARD_TLS_CA: PEM CA that signed the daemon's
//                       certificate (implies --tls)
//   --tls-cert FILE     $SIDECARD_TLS_CERT, and
//   --tls-key FILE      $SIDECARD_TLS_KEY: client certificate and key for
//                       mutual TLS (imply --tls)
//
// There is no flag with the token itself: command lines are visible to every
// user of the machine. Over a Unix socket the token is sent if given and TLS
// is not used.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_SECURITY_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_SECURITY_H_

#include <string>

#include "absl/status/status.h"
#include "client/cpp/client.h"

namespace sidecard::ctl {

struct SecurityFlags {
  std::string token_file;
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// Reads the files that `flags` (or the environment) name into `options`.
// InvalidArgument naming the flag (or variable) and file when one cannot be
// read or a token file is not one token.
absl::Status ApplySecurity(const SecurityFlags& flags, ClientOptions& options);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_SECURITY_H_
