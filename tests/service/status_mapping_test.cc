// Engine status → gRPC status: every code keeps its meaning and the message
// its text, so what the engine says about a path reaches the client whole.
#include "server/service/status_mapping.h"

#include "gtest/gtest.h"
#include "server/engine/fs/allowed_roots.h"
#include "support/temp_tree.h"

namespace sidecard::service {
namespace {

// Every code but OK, as the engine and gRPC both number them.
constexpr std::pair<absl::StatusCode, grpc::StatusCode> kCodes[] = {
    {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
    {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
    {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
    {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
    {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
    {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
    {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
    {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
    {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
    {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
    {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
    {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
    {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
    {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
    {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
    {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
};

TEST(ToGrpcStatus, OkIsOk) {
  const grpc::Status status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.error_message(), "");
}

TEST(ToGrpcStatus, EveryCodeKeepsItsMeaningAndMessage) {
  for (const auto& [engine_code, grpc_code] : kCodes) {
    const std::string message = "about /p/IMG_1.bin: " + absl::StatusCodeToString(engine_code);
    const grpc::Status status = ToGrpcStatus(absl::Status(engine_code, message));
    EXPECT_EQ(status.error_code(), grpc_code) << message;
    EXPECT_EQ(status.error_message(), message);
  }
}

TEST(ToGrpcStatus, MessagesKeepTheirBytes) {
  // Display paths escape bytes that are not UTF-8; whatever the engine wrote stays.
  const std::string message = "cannot open /p/IMG_\\xFF.bin: Permission denied";
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError(message)).error_message(), message);
}

TEST(ToGrpcStatus, ResolverErrorsNameThePathAndKeepTheirCode) {
  testing::TempTree tree;
  tree.MakeDir("inside");
  tree.WriteFile("inside/IMG_1.jpg", "jpeg");
  testing::TempTree outside;
  auto roots = engine::AllowedRoots::Create({tree.Path("inside")});
  ASSERT_TRUE(roots.ok()) << roots.status();

  const grpc::Status missing =
      ToGrpcStatus(roots->ResolveDirectory(tree.Path("inside/gone")).status());
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find(tree.Path("inside/gone")), std::string::npos)
      << missing.error_message();

  const grpc::Status elsewhere = ToGrpcStatus(roots->ResolveDirectory(outside.root()).status());
  EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(elsewhere.error_message().find(outside.root()), std::string::npos)
      << elsewhere.error_message();

  const grpc::Status file =
      ToGrpcStatus(roots->ResolveDirectory(tree.Path("inside/IMG_1.jpg")).status());
  EXPECT_EQ(file.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(file.error_message().find(tree.Path("inside/IMG_1.jpg")), std::string::npos)
      << file.error_message();

  EXPECT_EQ(ToGrpcStatus(roots->ResolveDirectory("relative/path").status()).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(StatusCodeName, NamesEveryCodeAsGrpcDoes) {
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  for (const auto& [engine_code, grpc_code] : kCodes) {
    // absl names codes the way gRPC does: "NOT_FOUND", "PERMISSION_DENIED", ...
    EXPECT_EQ(StatusCodeName(grpc_code), absl::StatusCodeToString(engine_code));
  }
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::DO_NOT_USE), "UNKNOWN");
}

}  // namespace
}  // namespace sidecard::service
