// Names that are not UTF-8. File names are bytes, but a proto3 string must be
// UTF-8, so requests carry such paths in their bytes twins (raw_image_path,
// raw_root) and responses give them back in FilePath.raw_path. Checked
// against the real daemon: ReadSidecar and SaveSidecar of `IMG_\xff.jpg`
// through a hand-made request, the C++ client's SetImagePath/SetRoot and
// sidecarctl; a tree call through raw_root; both fields set is
// INVALID_ARGUMENT; a string field that is not UTF-8 never reaches the daemon.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kImage[] = "IMG_\xff.jpg";
constexpr char kSidecar[] = "IMG_\xff.bin";

class RawPathTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    tree_.WriteFile(kImage, "jpeg");
    tree_.WriteBin(kSidecar, kFaceDoc);
    Share();
  }

  grpc::Status Read(const v1::ReadSidecarRequest& request, v1::ReadSidecarResponse& response) {
    Share();
    return client_->ReadSidecar(request, &response);
  }

  grpc::Status Save(v1::SaveSidecarRequest request, v1::SaveSidecarResponse& response) {
    Share();
    request.set_operation("yolov8");
    request.set_payload_json(R"({"objects":[],"success":true})");
    return client_->SaveSidecar(request, &response);
  }
};

TEST_F(RawPathTest, ReadAndSaveThroughRawImagePath) {
  v1::ReadSidecarRequest read;
  read.set_raw_image_path(P(kImage));
  v1::ReadSidecarResponse found;
  ASSERT_TRUE(Read(read, found).ok());
  EXPECT_TRUE(found.found());
  EXPECT_EQ(found.sidecar().raw_path(), P(kSidecar));
  EXPECT_EQ(found.sidecar().path(), tree_.root() + "/IMG_\\xFF.bin");
  EXPECT_EQ(found.image().raw_path(), P(kImage));
  EXPECT_THAT(found.document_json(), HasSubstr("face_detection"));

  v1::SaveSidecarRequest save;
  save.set_raw_image_path(P(kImage));
  v1::SaveSidecarResponse saved;
  const grpc::Status status = Save(save, saved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(saved.sidecar().raw_path(), P(kSidecar));
  EXPECT_FALSE(saved.created());

  // The saved file reads back with both operations, and is a valid sidecar:
  // its JSON text names the image with the bytes escaped.
  ASSERT_TRUE(Read(read, found).ok());
  EXPECT_THAT(found.document_json(), HasSubstr("face_detection"));
  EXPECT_THAT(found.document_json(), HasSubstr("yolov8"));
  EXPECT_THAT(found.document_json(),
              HasSubstr(R"("image_path":")" + tree_.root() + R"(/IMG_\\xFF.jpg")"));
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok());
  ASSERT_EQ(run.reports.size(), 1u);
  EXPECT_TRUE(run.reports[0].valid()) << run.reports[0].error();
  EXPECT_EQ(run.reports[0].file().raw_path(), P(kSidecar));
}

TEST_F(RawPathTest, TheClientHelpersChooseTheField) {
  v1::ReadSidecarRequest read;
  SetImagePath(read, P(kImage));
  EXPECT_EQ(read.image_path(), "");
  EXPECT_EQ(read.raw_image_path(), P(kImage));
  v1::ReadSidecarResponse found;
  ASSERT_TRUE(Read(read, found).ok());
  EXPECT_TRUE(found.found());

  SetImagePath(read, P("IMG_ü.jpg"));  // UTF-8: the string field, the other cleared
  EXPECT_EQ(read.image_path(), P("IMG_ü.jpg"));
  EXPECT_EQ(read.raw_image_path(), "");

  tree_.WriteFile("d\xfe/IMG_1.jpg", "jpeg");
  tree_.WriteBin("d\xfe/IMG_1.bin", kFaceDoc);
  Share();
  v1::StatsRequest stats;
  SetRoot(stats, P("d\xfe"));
  EXPECT_EQ(stats.raw_root(), P("d\xfe"));
  v1::StatsResponse counted;
  ASSERT_TRUE(client_->Stats(stats, &counted).ok());
  EXPECT_EQ(counted.total_images(), 1);
  EXPECT_EQ(counted.total_sidecars(), 1);
  EXPECT_EQ(counted.directory(), tree_.root() + "/d\\xFE");
}

TEST(RequestPath, IsValidUtf8AsProtobufChecksIt) {
  for (const char* valid : {"", "/p/IMG_1.jpg", "/p/Pokalübergabe.jpg", "\xe2\x82\xac",
                            "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(valid)) << valid;
  }
  for (const char* invalid : {"IMG_\xff.jpg", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                              "\xf4\x90\x80\x80", "\x80", "\xc3\x28"}) {
    EXPECT_FALSE(IsValidUtf8(invalid)) << invalid;
  }
}

TEST_F(RawPathTest, BothFieldsSetIsInvalidArgument) {
  v1::ReadSidecarRequest read;
  read.set_image_path(P("IMG_1.jpg"));
  read.set_raw_image_path(P(kImage));
  v1::ReadSidecarResponse found;
  grpc::Status status = Read(read, found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "image_path and raw_image_path are both set: set one (raw_image_path for a path that "
            "is not valid UTF-8)");

  const TreeListing before = ListTree(tree_.root());
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_raw_image_path(P(kImage));
  v1::SaveSidecarResponse saved;
  status = Save(save, saved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("image_path and raw_image_path are both set"));
  EXPECT_EQ(ListTree(tree_.root()), before);

  v1::ValidateRequest validate;
  validate.set_root(tree_.root());
  validate.set_raw_root(tree_.root());
  const ValidateRun run = Validate(validate);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(run.status.error_message(), HasSubstr("root and raw_root are both set"));
}

// gRPC refuses a request whose string field is not UTF-8 while parsing it,
// before the daemon's handler runs, so the daemon cannot word the error;
// the proto says such paths go in the raw_ field. Nothing changes, and the
// daemon goes on serving.
TEST_F(RawPathTest, AStringFieldThatIsNotUtf8NeverReachesTheDaemon) {
  const TreeListing before = ListTree(tree_.root());
  v1::SaveSidecarRequest save;
  save.set_image_path(P(kImage));  // protobuf logs an error and sends it anyway
  v1::SaveSidecarResponse saved;
  const grpc::Status status = Save(save, saved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
  EXPECT_EQ(ListTree(tree_.root()), before);
  v1::ReadSidecarRequest read;
  read.set_raw_image_path(P(kImage));
  v1::ReadSidecarResponse found;
  EXPECT_TRUE(Read(read, found).ok());
}

TEST_F(RawPathTest, SidecarctlPassesTheArgumentsBytes) {
  RunResult run = Ctl({"read", P(kImage)});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("face_detection"));
  EXPECT_THAT(run.err, HasSubstr("sidecar: " + tree_.root() + "/IMG_\\xFF.bin (bin)"));

  run = Ctl({"save", P(kImage), "yolov8", "--data", R"({"objects":[]})"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "saved " + tree_.root() + "/IMG_\\xFF.bin (bin, updated)\n");

  run = Ctl({"read", kImage}, tree_.root());  // relative, from the working directory
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("yolov8"));

  run = Ctl({"validate", tree_.root()});
  EXPECT_EQ(run.exit_code, 0) << run;
}

}  // namespace
}  // namespace sidecard::testing
