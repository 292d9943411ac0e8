// Who may make which call. A call over the Unix socket is trusted: the
// socket's file permissions decided who could connect. A call over any other
// listener (TCP) must carry `authorization: Bearer TOKEN` with a token of the
// token file; its role says whether it may change files. A daemon started with
// --read-only refuses every call that changes files, whoever makes it.
//
// Tokens are kept only as SHA-256 digests and looked up in constant time: the
// presented token's digest is compared with every configured digest, without
// stopping at the first match or the first differing byte, so the time a
// lookup takes says nothing about the tokens. Tokens never appear in messages.
#ifndef SIDECARD_SERVER_SERVICE_AUTHORIZATION_H_
#define SIDECARD_SERVER_SERVICE_AUTHORIZATION_H_

#include <grpcpp/server_context.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sidecard::service {

enum class Role { kReadOnly, kReadWrite };

// "read-only" or "read-write", as in the token file.
std::string_view RoleName(Role role);

// What a call does: reads only, or may change files.
enum class Access { kRead, kWrite };

struct TokenEntry {
  Role role = Role::kReadOnly;
  std::string token;
};

// The configured tokens and their roles, as digests.
class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(const std::vector<TokenEntry>& entries);

  // The role of `presented`, or nullopt when it is not a configured token.
  // Takes the same time whichever token (if any) matches.
  std::optional<Role> Find(std::string_view presented) const;

  size_t size() const { return entries_.size(); }
  size_t CountOf(Role role) const;
  bool operator==(const TokenTable& other) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest;
    Role role;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries_;
};

class Authorization {
 public:
  Authorization(bool read_only, TokenTable tokens);

  // OK when the call `method` with `access` may go ahead; else
  // UNAUTHENTICATED (no or unknown token on a network listener) or
  // PERMISSION_DENIED (a read-only token, or --read-only, for a write).
  grpc::Status Check(const grpc::ServerContext& context, std::string_view method,
                     Access access) const;

  // SIGHUP: new tokens and read-only mode; calls already admitted go on.
  void Set(bool read_only, TokenTable tokens);

 private:
  struct Policy {
    bool read_only;
    TokenTable tokens;
  };
  std::shared_ptr<const Policy> policy() const;

  mutable absl::Mutex mutex_;
  std::shared_ptr<const Policy> policy_ ABSL_GUARDED_BY(mutex_);
};

// Whether `peer` (grpc::ServerContext::peer()) came through a Unix socket
// with a path ("unix:..."), as opposed to TCP ("ipv4:...", "ipv6:...") or an
// abstract socket.
bool IsUnixSocketPeer(std::string_view peer);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_AUTHORIZATION_H_
