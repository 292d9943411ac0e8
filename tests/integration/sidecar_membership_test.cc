// One definition of an image's sidecar files (docs/CONTRACT.md §1), through
// the real daemon: every RPC agrees on which files are an image's, which are
// old per-operation files, and which are foreign.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kSettings = R"({"display":{"metadata":{"theme":"dark"}}})";
constexpr std::string_view kLegacyFaces = R"({"success":true,"faces":[{"face_id":3}]})";

class SidecarMembershipTest : public DaemonTest {
 protected:
  grpc::Status Read(const std::string& rel_image, v1::ReadSidecarResponse& response) {
    v1::ReadSidecarRequest request;
    request.set_image_path(P(rel_image));
    return client_->ReadSidecar(request, &response);
  }

  grpc::Status Save(const std::string& rel_image, const std::string& operation,
                    v1::SaveSidecarResponse& response, bool allow_missing_image = false,
                    bool overwrite_corrupt = false) {
    v1::SaveSidecarRequest request;
    request.set_image_path(P(rel_image));
    request.set_operation(operation);
    request.set_payload_json(R"({"success":true})");
    request.set_allow_missing_image(allow_missing_image);
    request.set_overwrite_corrupt(overwrite_corrupt);
    return client_->SaveSidecar(request, &response);
  }

  // Every file Convert named (sources and targets), and its summary.
  struct ConvertRun {
    grpc::Status status;
    std::vector<std::string> files;
    v1::ConvertSummary summary;
  };
  ConvertRun Convert(v1::SidecarFormat target, bool apply) {
    v1::ConvertRequest request;
    request.set_root(tree_.root());
    request.set_target_format(target);
    request.set_apply(apply);
    ConvertRun run;
    run.status = client_->Convert(request, [&run](const v1::ConvertResponse& message) {
      for (const v1::ConvertResult& result : message.results()) {
        for (const v1::FilePath& source : result.sources()) run.files.push_back(source.path());
        run.files.push_back(result.target().path());
      }
      if (message.has_summary()) run.summary = message.summary();
    });
    return run;
  }

  static rapidjson::Document Parse(const std::string& json) {
    rapidjson::Document document;
    document.Parse(json.c_str());
    return document;
  }
};

// model.bin (no model.* image, does not decode), settings.json (no image,
// not a sidecar document) and package.json (a foreign name) are foreign to
// every operation: counted the same, never reported, read, merged,
// converted, moved or deleted.
TEST_F(SidecarMembershipTest, Regression_AForeignFileIsForeignToEveryOperation) {
  tree_.WriteFile("IMG_1.jpg", "jpeg");
  tree_.WriteBin("IMG_1.bin", kFaceDoc);
  tree_.WriteBin("gone.bin", kYoloDoc);  // a real orphan, for contrast
  tree_.WriteFile("model.bin", RandomBytes());
  tree_.WriteFile("settings.json", kSettings);
  tree_.WriteFile("package.json", R"({"name":"gallery"})");
  Share();
  const std::vector<std::string> foreign = {"model.bin", "settings.json", "package.json"};
  const TreeListing before = ListTree(tree_.root());

  const ValidateRun validate = Validate(tree_.root());
  ASSERT_TRUE(validate.status.ok()) << validate.status.error_message();
  EXPECT_THAT(ReportPaths(validate), ElementsAre(P("IMG_1.bin"), P("gone.bin")));
  EXPECT_EQ(validate.summary.foreign_files(), 3);

  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());
  EXPECT_EQ(stats.foreign_files(), 3);
  EXPECT_EQ(stats.total_sidecars(), 2);  // IMG_1 and the orphan

  const CleanupRun dry = Cleanup(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  ASSERT_TRUE(dry.status.ok()) << dry.status.error_message();
  EXPECT_THAT(CleanupActions(dry),
              ElementsAre(::testing::Pair(P("gone.bin"), "CLEANUP_ACTION_WOULD_REMOVE")));
  EXPECT_EQ(dry.summary.foreign_files(), 3);
  EXPECT_EQ(dry.summary.kept_unreadable(), 0);

  v1::ReadSidecarResponse read;
  EXPECT_EQ(Read("model.jpg", read).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SaveSidecarResponse saved;
  for (bool overwrite_corrupt : {false, true}) {
    const grpc::Status status = Save("model.jpg", "yolov8", saved, true, overwrite_corrupt);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("is not a sidecar of"));
  }

  const ConvertRun convert = Convert(v1::SIDECAR_FORMAT_JSON, /*apply=*/false);
  ASSERT_TRUE(convert.status.ok()) << convert.status.error_message();
  for (const std::string& name : foreign) {
    EXPECT_THAT(convert.files, ::testing::Not(::testing::Contains(P(name)))) << name;
  }
  EXPECT_EQ(ListTree(tree_.root()), before);  // nothing changed so far

  const CleanupRun deleted = Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(deleted.summary.removed(), 1);
  const ConvertRun applied = Convert(v1::SIDECAR_FORMAT_JSON, /*apply=*/true);
  ASSERT_TRUE(applied.status.ok()) << applied.status.error_message();
  EXPECT_EQ(applied.summary.converted(), 1);  // IMG_1 only
  EXPECT_TRUE(tree_.Exists("IMG_1.json"));
  const TreeListing after = ListTree(tree_.root());
  for (const std::string& name : foreign) {
    ASSERT_TRUE(after.contains(name)) << name;
    EXPECT_EQ(after.at(name), before.at(name)) << name;  // kind, mode and content
  }
}

// docs/CONTRACT.md §4: Read shows an old `<stem>_<operation>.json` merged
// below the image's file, under its operation; Save merges it in, so
// nothing is lost, and leaves it in place.
TEST_F(SidecarMembershipTest, Regression_ReadAndSaveTakeOldPerOperationFilesIn) {
  tree_.WriteFile("IMG_1.jpg", "jpeg");
  tree_.WriteBin("IMG_1.bin", kYoloDoc);
  tree_.WriteFile("IMG_1_face_detection.json", kLegacyFaces);
  Share();

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_1.jpg", read).ok());
  EXPECT_TRUE(read.found());
  EXPECT_EQ(read.sidecar().path(), P("IMG_1.bin"));
  ASSERT_EQ(read.merged_from_size(), 1);
  EXPECT_EQ(read.merged_from(0).path(), P("IMG_1_face_detection.json"));
  const rapidjson::Document shown = Parse(read.document_json());
  ASSERT_TRUE(shown.IsObject());
  EXPECT_EQ(shown["face_detection"]["faces"][0]["face_id"].GetInt(), 3);
  EXPECT_TRUE(shown["yolov8"]["yolov8"]["success"].GetBool());
  EXPECT_FALSE(shown.HasMember("faces"));  // under its operation, not at the top

  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(Save("IMG_1.jpg", "ball_detection", saved).ok());
  EXPECT_EQ(saved.sidecar().path(), P("IMG_1.bin"));
  std::vector<std::string> merged;
  for (const v1::FilePath& path : saved.merged_from()) merged.push_back(path.path());
  EXPECT_THAT(merged, UnorderedElementsAre(P("IMG_1_face_detection.json")));
  EXPECT_EQ(tree_.ReadFile("IMG_1_face_detection.json"), kLegacyFaces);  // left in place

  // The new .bin alone now holds everything: read without the old file.
  const std::string bin = tree_.ReadFile("IMG_1.bin");
  const rapidjson::Document written = Parse(bin.substr(8));
  ASSERT_TRUE(written.IsObject());
  EXPECT_EQ(written["face_detection"]["faces"][0]["face_id"].GetInt(), 3);
  EXPECT_TRUE(written["yolov8"]["yolov8"]["success"].GetBool());
  EXPECT_TRUE(written["ball_detection"]["success"].GetBool());

  // Stats counts the image's files as one sidecar, as Read and Save see it.
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());
  EXPECT_EQ(stats.total_sidecars(), 1);
  EXPECT_EQ(stats.foreign_files(), 0);
}

}  // namespace
}  // namespace sidecard::testing
