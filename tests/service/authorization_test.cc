// Authorization: tokens kept as digests, roles, --read-only, and the verdict
// for each kind of call. The contexts here carry no call, so their peer is
// not a Unix socket: every call needs a token (the trusted Unix socket is
// exercised in sidecar_service_test.cc).
#include "server/service/authorization.h"

#include <grpcpp/test/server_context_test_spouse.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriter[] = "writer-token-0123456789abcdef";
constexpr char kReader[] = "reader-token-fedcba9876543210";

TokenTable Tokens() {
  return TokenTable({{Role::kReadWrite, kWriter}, {Role::kReadOnly, kReader}});
}

// A server context whose client sent `authorization: <header>`.
class ContextWith {
 public:
  explicit ContextWith(const std::string& header) : spouse_(&context_) {
    spouse_.AddClientMetadata("authorization", header);
  }
  const grpc::ServerContext& get() const { return context_; }

 private:
  grpc::ServerContext context_;
  grpc::testing::ServerContextTestSpouse spouse_;
};

TEST(RoleName, AsInTheTokenFile) {
  EXPECT_EQ(RoleName(Role::kReadOnly), "read-only");
  EXPECT_EQ(RoleName(Role::kReadWrite), "read-write");
}

TEST(TokenTable, FindsEachTokenWithItsRoleAndNothingElse) {
  const TokenTable tokens = Tokens();
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens.CountOf(Role::kReadWrite), 1u);
  EXPECT_EQ(tokens.CountOf(Role::kReadOnly), 1u);
  EXPECT_EQ(tokens.Find(kWriter), Role::kReadWrite);
  EXPECT_EQ(tokens.Find(kReader), Role::kReadOnly);
  for (const std::string& wrong :
       std::vector<std::string>{"", "writer-token", "writer-token-0123456789abcdeF",
                                std::string(kWriter) + " ", std::string(kReader) + kWriter}) {
    EXPECT_EQ(tokens.Find(wrong), std::nullopt) << wrong;
  }
  EXPECT_EQ(TokenTable().Find(kWriter), std::nullopt);
}

TEST(TokenTable, ATokenListedTwiceWithBothRolesIsReadWrite) {
  // The lookup folds every match in: the stronger role wins, whatever the order.
  EXPECT_EQ(TokenTable({{Role::kReadOnly, "same"}, {Role::kReadWrite, "same"}}).Find("same"),
            Role::kReadWrite);
  EXPECT_EQ(TokenTable({{Role::kReadWrite, "same"}, {Role::kReadOnly, "same"}}).Find("same"),
            Role::kReadWrite);
}

TEST(TokenTable, EqualWhenTheSameTokensHaveTheSameRoles) {
  EXPECT_EQ(Tokens(), Tokens());
  EXPECT_FALSE(Tokens() == TokenTable({{Role::kReadWrite, kWriter}}));
  EXPECT_FALSE(TokenTable({{Role::kReadOnly, kWriter}}) ==
               TokenTable({{Role::kReadWrite, kWriter}}));
}

TEST(IsUnixSocketPeer, OnlyAUnixSocketWithAPath) {
  EXPECT_TRUE(IsUnixSocketPeer("unix:/run/sidecard/sidecard.sock"));
  EXPECT_TRUE(IsUnixSocketPeer("unix:"));
  EXPECT_FALSE(IsUnixSocketPeer("unix-abstract:sidecard"));
  EXPECT_FALSE(IsUnixSocketPeer("ipv4:127.0.0.1:50051"));
  EXPECT_FALSE(IsUnixSocketPeer("ipv6:[::1]:50051"));
  EXPECT_FALSE(IsUnixSocketPeer(""));
  EXPECT_FALSE(IsUnixSocketPeer("Unix:/run/sidecard.sock"));
}

TEST(Authorization, WithoutATokenNothingPasses) {
  const Authorization authorization(false, Tokens());
  const grpc::ServerContext context;
  for (const Access access : {Access::kRead, Access::kWrite}) {
    const grpc::Status status = authorization.Check(context, "Stats", access);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), HasSubstr("missing bearer token"));
  }
}

TEST(Authorization, TheHeaderMustBeBearerWithAToken) {
  const Authorization authorization(false, Tokens());
  for (const std::string& header : std::vector<std::string>{
           std::string(kWriter), "Basic " + std::string(kWriter), std::string("Bearer "),
           "Bearer" + std::string(kWriter), "Token " + std::string(kWriter)}) {
    const ContextWith context(header);
    EXPECT_EQ(authorization.Check(context.get(), "Stats", Access::kRead).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << header;
  }
  // The scheme is case-insensitive, as in HTTP; the token is not.
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR "}) {
    const ContextWith context(scheme + std::string(kReader));
    EXPECT_TRUE(authorization.Check(context.get(), "Stats", Access::kRead).ok()) << scheme;
  }
}

TEST(Authorization, AnUnknownTokenIsUnauthenticatedAndNeverEchoed) {
  const Authorization authorization(false, Tokens());
  const ContextWith context("Bearer not-a-configured-token");
  const grpc::Status status = authorization.Check(context.get(), "Validate", Access::kRead);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown token"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-a-configured-token")));
}

TEST(Authorization, AReadOnlyTokenReadsButDoesNotWrite) {
  const Authorization authorization(false, Tokens());
  const ContextWith context("Bearer " + std::string(kReader));
  EXPECT_TRUE(authorization.Check(context.get(), "Validate", Access::kRead).ok());
  const grpc::Status status = authorization.Check(context.get(), "SaveSidecar", Access::kWrite);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      status.error_message(),
      "the token's role is read-only; SaveSidecar changes files and needs a read-write token");
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kReader)));
}

TEST(Authorization, AReadWriteTokenWrites) {
  const Authorization authorization(false, Tokens());
  const ContextWith context("Bearer " + std::string(kWriter));
  EXPECT_TRUE(authorization.Check(context.get(), "Validate", Access::kRead).ok());
  EXPECT_TRUE(authorization.Check(context.get(), "Convert", Access::kWrite).ok());
}

TEST(Authorization, ReadOnlyModeRefusesEveryWriteButNoRead) {
  const Authorization authorization(true, Tokens());
  const ContextWith context("Bearer " + std::string(kWriter));
  EXPECT_TRUE(authorization.Check(context.get(), "Stats", Access::kRead).ok());
  const grpc::Status status = authorization.Check(context.get(), "Cleanup", Access::kWrite);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "daemon runs with --read-only: Cleanup would change files");
  // The token still has to be valid: read-only mode is no way in.
  const ContextWith unknown("Bearer nobody-knows-this-token");
  EXPECT_EQ(authorization.Check(unknown.get(), "Cleanup", Access::kWrite).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(Authorization, SetReplacesTokensAndMode) {
  Authorization authorization(false, Tokens());
  const ContextWith writer("Bearer " + std::string(kWriter));
  const ContextWith rotated("Bearer rotated-token-aaaaaaaaaaaa");
  ASSERT_TRUE(authorization.Check(writer.get(), "SaveSidecar", Access::kWrite).ok());

  authorization.Set(false, TokenTable({{Role::kReadWrite, "rotated-token-aaaaaaaaaaaa"}}));
  EXPECT_EQ(authorization.Check(writer.get(), "Stats", Access::kRead).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(authorization.Check(rotated.get(), "SaveSidecar", Access::kWrite).ok());

  authorization.Set(true, TokenTable({{Role::kReadWrite, "rotated-token-aaaaaaaaaaaa"}}));
  EXPECT_EQ(authorization.Check(rotated.get(), "SaveSidecar", Access::kWrite).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace sidecard::service
