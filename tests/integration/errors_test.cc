// Refused requests: every operation answers a bad root or a malformed request
// with the right status code, never with empty success.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ErrorsTest : public DaemonTest {
 protected:
  // The status of Validate, Stats and Cleanup (DELETE) on `root`.
  std::vector<grpc::StatusCode> CodesFor(const std::string& root) {
    std::vector<grpc::StatusCode> codes;
    const ValidateRun validate = Validate(root);
    codes.push_back(validate.status.error_code());
    EXPECT_THAT(validate.reports, IsEmpty());
    v1::StatsResponse stats;
    codes.push_back(Stats(root, stats).error_code());
    const CleanupRun cleanup = Cleanup(root, v1::CLEANUP_MODE_DELETE);
    codes.push_back(cleanup.status.error_code());
    EXPECT_THAT(cleanup.results, IsEmpty());
    return codes;
  }
};

constexpr grpc::StatusCode kNotFound = grpc::StatusCode::NOT_FOUND;
constexpr grpc::StatusCode kDenied = grpc::StatusCode::PERMISSION_DENIED;
constexpr grpc::StatusCode kInvalid = grpc::StatusCode::INVALID_ARGUMENT;

TEST_F(ErrorsTest, Regression_MissingRootIsAnError) {
  EXPECT_THAT(CodesFor(P("does-not-exist")), ElementsAre(kNotFound, kNotFound, kNotFound));
  EXPECT_THAT(CodesFor(P("does/not/exist")), ElementsAre(kNotFound, kNotFound, kNotFound));
  const ValidateRun run = Validate(P("does-not-exist"));
  EXPECT_THAT(run.status.error_message(), HasSubstr(P("does-not-exist")));
  EXPECT_EQ(run.summaries, 0);
}

TEST_F(ErrorsTest, Regression_UnreadableRootIsAnError) {
  tree_.WriteBin("locked/a.bin", kFaceDoc);
  tree_.SetMode("locked", 0);
  for (const grpc::StatusCode code : CodesFor(P("locked"))) {
    EXPECT_NE(code, grpc::StatusCode::OK);
  }
  EXPECT_TRUE(tree_.Exists("locked/a.bin"));
}

// Validate and Stats answer an unreadable root with PERMISSION_DENIED;
// Cleanup should say the same, not FAILED_PRECONDITION.
TEST_F(ErrorsTest, UnreadableRootIsPermissionDeniedForEveryOperation) {
  tree_.WriteBin("locked/a.bin", kFaceDoc);
  tree_.SetMode("locked", 0);
  EXPECT_THAT(CodesFor(P("locked")), ElementsAre(kDenied, kDenied, kDenied));
}

TEST_F(ErrorsTest, RootOutsideTheAllowedRootsIsPermissionDenied) {
  testing::TempTree other;
  other.WriteBin("orphan.bin", kFaceDoc);
  ShareWithDaemon(other.root());
  EXPECT_THAT(CodesFor(other.root()), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_THAT(CodesFor("/"), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_THAT(CodesFor("/etc"), ElementsAre(kDenied, kDenied, kDenied));
  // `..` cannot climb out either.
  EXPECT_THAT(CodesFor(tree_.root() + "/.."), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_THAT(CodesFor(tree_.root() + "/../" + other.root().substr(other.root().rfind('/') + 1)),
              ElementsAre(kDenied, kDenied, kDenied));
  // A sibling whose name starts with the root's name is not inside it.
  EXPECT_THAT(CodesFor(tree_.root() + "x"), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_TRUE(other.Exists("orphan.bin"));
}

TEST_F(ErrorsTest, SymlinkInsideTheRootPointingOutsideIsPermissionDenied) {
  testing::TempTree other;
  other.WriteBin("orphan.bin", kFaceDoc);
  ShareWithDaemon(other.root());
  tree_.Symlink("escape", other.root());
  tree_.Symlink("nested/escape2", "../escape");
  EXPECT_THAT(CodesFor(P("escape")), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_THAT(CodesFor(P("nested/escape2")), ElementsAre(kDenied, kDenied, kDenied));
  EXPECT_TRUE(other.Exists("orphan.bin"));
}

TEST_F(ErrorsTest, SymlinkInsideTheRootPointingInsideIsFollowed) {
  tree_.WriteBin("real/orphan.bin", kFaceDoc);
  tree_.Symlink("alias", "real");
  const ValidateRun run = Validate(P("alias"));
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.summary.root(), P("real"));
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("real/orphan.bin")));
}

TEST_F(ErrorsTest, RelativeOrEmptyRootIsInvalidArgument) {
  EXPECT_THAT(CodesFor("relative/dir"), ElementsAre(kInvalid, kInvalid, kInvalid));
  EXPECT_THAT(CodesFor(""), ElementsAre(kInvalid, kInvalid, kInvalid));
  EXPECT_THAT(CodesFor("."), ElementsAre(kInvalid, kInvalid, kInvalid));
}

TEST_F(ErrorsTest, RootThatIsAFileIsInvalidArgument) {
  tree_.WriteFile("file.jpg", "jpeg");
  EXPECT_THAT(CodesFor(P("file.jpg")), ElementsAre(kInvalid, kInvalid, kInvalid));
}

TEST_F(ErrorsTest, BadOperationFilterIsInvalidArgument) {
  tree_.WriteBin("a.bin", kFaceDoc);
  for (const std::string filter :
       {"Face_Detection", "face-detection", "face detection", "../x", "caf\xC3\xA9", "a*"}) {
    const ValidateRun run = Validate(tree_.root(), filter);
    EXPECT_EQ(run.status.error_code(), kInvalid) << filter;
    EXPECT_THAT(run.reports, IsEmpty()) << filter;
    v1::StatsResponse stats;
    EXPECT_EQ(Stats(tree_.root(), stats, filter).error_code(), kInvalid) << filter;
  }
  const ValidateRun too_long = Validate(tree_.root(), std::string(129, 'a'));
  EXPECT_EQ(too_long.status.error_code(), kInvalid);
}

TEST_F(ErrorsTest, NegativeMinAgeIsInvalidArgument) {
  tree_.WriteBin("a.bin", kFaceDoc);
  const CleanupRun run = Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE, -1);
  EXPECT_EQ(run.status.error_code(), kInvalid);
  EXPECT_TRUE(tree_.Exists("a.bin"));
}

TEST_F(ErrorsTest, UnknownCleanupModeIsInvalidArgument) {
  tree_.WriteBin("a.bin", kFaceDoc);
  v1::CleanupRequest request;
  request.set_root(tree_.root());
  request.set_mode(static_cast<v1::CleanupMode>(99));
  const CleanupRun run = Cleanup(request);
  EXPECT_EQ(run.status.error_code(), kInvalid);
  EXPECT_TRUE(tree_.Exists("a.bin"));
}

TEST_F(ErrorsTest, BatchSizeOutOfRangeIsInvalidArgument) {
  tree_.WriteBin("a.bin", kFaceDoc);
  for (const int32_t size : {-1, 4097}) {
    v1::ValidateRequest validate;
    validate.set_root(tree_.root());
    validate.set_batch_size(size);
    EXPECT_EQ(Validate(validate).status.error_code(), kInvalid) << size;
    v1::CleanupRequest cleanup;
    cleanup.set_root(tree_.root());
    cleanup.set_batch_size(size);
    EXPECT_EQ(Cleanup(cleanup).status.error_code(), kInvalid) << size;
  }
  v1::ValidateRequest largest;
  largest.set_root(tree_.root());
  largest.set_batch_size(4096);
  EXPECT_TRUE(Validate(largest).status.ok());
}

TEST_F(ErrorsTest, ServerInfoDescribesTheDaemonAndCountsCalls) {
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());
  ASSERT_EQ(Validate(P("missing")).status.error_code(), kNotFound);

  v1::GetServerInfoResponse info;
  const grpc::Status status = client_->GetServerInfo(&info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(info.version().empty());
  EXPECT_EQ(info.pid(), daemon_.pid());
  EXPECT_EQ(info.workers(), 2);
  EXPECT_THAT(StrVec(info.allowed_roots()), ElementsAre(tree_.root()));
  EXPECT_GT(info.uptime_seconds(), 0.0);
  EXPECT_EQ(info.calls_by_method().at("Stats"), 1);
  EXPECT_EQ(info.calls_by_method().at("Validate"), 1);
  EXPECT_EQ(info.failed_calls(), 1);
}

// A daemon with two allowed roots serves both and nothing else.
class TwoRootsTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.allowed_roots.push_back(second_.root());
    return options;
  }
  testing::TempTree second_;
};

TEST_F(TwoRootsTest, BothRootsAreServed) {
  second_.WriteFile("s.jpg", "jpeg");
  second_.WriteBin("s.bin", kFaceDoc);
  ShareWithDaemon(second_.root());
  tree_.WriteBin("t.bin", kFaceDoc);

  const ValidateRun first = Validate(tree_.root());
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_THAT(ReportPaths(first), ElementsAre(P("t.bin")));
  const ValidateRun second = Validate(second_.root());
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_THAT(ReportPaths(second), ElementsAre(second_.Path("s.bin")));

  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_EQ(info.allowed_roots_size(), 2);
}

}  // namespace
}  // namespace sidecard::testing
