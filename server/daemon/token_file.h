// Reads --token-file: the bearer tokens that calls over TCP must carry, one
// per line as `read-only TOKEN` or `read-write TOKEN`; blank lines and lines
// starting with # are ignored.
//
// The file is refused, with a message naming it (and its owner or the line),
// when another user than the daemon's (effective) one owns it, when group or
// others may access it (it holds secrets: mode 0600 or 0400), when a line is
// malformed, a role unknown, a token shorter than 16 characters or not
// visible ASCII, a token repeated, or when it holds no token at all. Messages
// never quote a token.
#ifndef SIDECARD_SERVER_DAEMON_TOKEN_FILE_H_
#define SIDECARD_SERVER_DAEMON_TOKEN_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/service/authorization.h"

namespace sidecard::daemon {

inline constexpr size_t kMinTokenLength = 16;

absl::StatusOr<service::TokenTable> ReadTokenFile(const std::string& path);

// What a reload or start-up log line says about a table: "3 tokens (1
// read-only, 2 read-write)".
std::string DescribeTokens(const service::TokenTable& tokens);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_TOKEN_FILE_H_
