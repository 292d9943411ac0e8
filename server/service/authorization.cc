#include "server/service/authorization.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "server/engine/base/text.h"

namespace sidecard::service {
namespace {

constexpr std::string_view kBearer = "bearer ";

template <typename Digest>
Digest Sha256(std::string_view text) {
  Digest digest{};
  unsigned int size = 0;
  // EVP_Digest cannot fail for SHA-256 on a working OpenSSL; a failure leaves
  // an all-zero digest, which no token has.
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

// The token of an `authorization: Bearer TOKEN` header (scheme matched
// case-insensitively, as HTTP does), or nullopt.
std::optional<std::string_view> BearerToken(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) return std::nullopt;
  const std::string_view value(header->second.data(), header->second.size());
  if (value.size() <= kBearer.size()) return std::nullopt;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    const char c = value[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kBearer[i]) {
      return std::nullopt;
    }
  }
  return value.substr(kBearer.size());
}

}  // namespace

std::string_view RoleName(Role role) {
  return role == Role::kReadWrite ? "read-write" : "read-only";
}

TokenTable::TokenTable(const std::vector<TokenEntry>& entries) {
  entries_.reserve(entries.size());
  for (const TokenEntry& entry : entries) {
    entries_.push_back({Sha256<Digest>(entry.token), entry.role});
  }
}

std::optional<Role> TokenTable::Find(std::string_view presented) const {
  const Digest digest = Sha256<Digest>(presented);
  // Every entry is compared in full; the outcome is folded in with masks, not
  // branches, so neither where nor whether a token matches changes the work.
  uint8_t found = 0;
  uint8_t read_write = 0;
  for (const Entry& entry : entries_) {
    uint8_t difference = 0;
    for (size_t i = 0; i < digest.size(); ++i) {
      difference = static_cast<uint8_t>(difference | (digest[i] ^ entry.digest[i]));
    }
    // 1 when difference == 0, else 0, without a branch.
    const uint8_t match = static_cast<uint8_t>(1 & ((static_cast<unsigned>(difference) - 1) >> 8));
    found |= match;
    read_write |= match & static_cast<uint8_t>(entry.role == Role::kReadWrite);
  }
  if (found == 0) return std::nullopt;
  return read_write != 0 ? Role::kReadWrite : Role::kReadOnly;
}

size_t TokenTable::CountOf(Role role) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [role](const Entry& e) { return e.role == role; }));
}

bool TokenTable::operator==(const TokenTable& other) const { return entries_ == other.entries_; }

Authorization::Authorization(bool read_only, TokenTable tokens) {
  Set(read_only, std::move(tokens));
}

void Authorization::Set(bool read_only, TokenTable tokens) {
  auto policy = std::make_shared<const Policy>(Policy{read_only, std::move(tokens)});
  absl::MutexLock lock(&mutex_);
  policy_ = std::move(policy);
}

std::shared_ptr<const Authorization::Policy> Authorization::policy() const {
  absl::MutexLock lock(&mutex_);
  return policy_;
}

grpc::Status Authorization::Check(const grpc::ServerContext& context, std::string_view method,
                                  Access access) const {
  const std::shared_ptr<const Policy> policy = this->policy();
  // The Unix socket's permissions already chose who may call: full access.
  Role role = Role::kReadWrite;
  if (!IsUnixSocketPeer(context.peer())) {
    const std::optional<std::string_view> token = BearerToken(context);
    if (!token) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing bearer token: a TCP listener needs `authorization: Bearer "
                          "TOKEN` with a token of the daemon's --token-file");
    }
    const std::optional<Role> found = policy->tokens.Find(*token);
    if (!found) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "unknown token: it is not in the daemon's --token-file");
    }
    role = *found;
  }
  if (access == Access::kRead) return grpc::Status::OK;
  if (policy->read_only) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        engine::Concat("daemon runs with --read-only: ", method, " would change files"));
  }
  if (role != Role::kReadWrite) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        engine::Concat("the token's role is ", RoleName(role), "; ", method,
                                       " changes files and needs a read-write token"));
  }
  return grpc::Status::OK;
}

bool IsUnixSocketPeer(std::string_view peer) { return peer.rfind("unix:", 0) == 0; }

}  // namespace sidecard::service
