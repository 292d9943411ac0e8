#include "server/engine/ops/prune.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/engine/formats/json_text.h"
#include "server/engine/store/image_locks.h"
#include "unit/engine_harness.h"
#include "unit/other_program.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PruneTest : public EngineHarness {
 protected:
  struct PruneRun {
    std::vector<PruneResult> results;
    PruneSummary summary;
  };

  PruneRun Prune(const std::string& operation, bool apply, const std::string& backend = "") {
    PruneOptions options;
    options.operation = operation;
    options.backend = backend;
    options.apply = apply;
    PruneRun run;
    auto summary =
        PruneTree(tree_.root(), options, Context(), locks_, Cancellation(),
                  [&](std::span<const PruneResult> results) {
                    run.results.insert(run.results.end(), results.begin(), results.end());
                    return true;
                  });
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (summary.ok()) run.summary = *summary;
    return run;
  }

  std::string Json(const std::string& rel) {
    const std::string bytes = tree_.ReadFile(rel);
    return CanonicalJson(*ParseJson(rel.ends_with(".bin") ? bytes.substr(8) : bytes));
  }

  ImageLocks locks_;
  OtherProgram other_{tree_};
};

constexpr std::string_view kTheirs = R"({"ball_detection":{"balls":[1],"success":true}})";

TEST_F(PruneTest, AWriteLandingBeforeTheReplaceIsKeptAndNothingIsQuarantined) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteBin("x.bin", MergedDocument());
  other_.WriteAt("replace", "x.bin", std::string(8, '\0') + "x");  // their (odd) bytes
  const PruneRun run = Prune("yolov8", /*apply=*/true);
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results[0].action, PruneAction::kSkippedChanged);
  EXPECT_THAT(run.results[0].error, HasSubstr("nothing changed"));
  EXPECT_EQ(tree_.ReadFile("x.bin"), std::string(8, '\0') + "x");  // theirs, never replaced
  EXPECT_TRUE(run.results[0].quarantined.empty());
  EXPECT_EQ(run.summary.pruned, 0);
  // The previous version and the record were dropped: nothing to restore.
  const std::string batch = run.summary.quarantine_dir.substr(tree_.root().size() + 1);
  EXPECT_FALSE(tree_.Exists(batch + "/x.bin"));
  EXPECT_FALSE(tree_.Exists(batch + "/.sidecard-pruned-x.bin"));
}

TEST_F(PruneTest, LegacyScriptKeysAndRepeatedKeysAreRemovedWhole) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteFile("x.json",
                  R"({"Face_detector":{"success":true,"faces":[]},)"
                  R"("yolov8":{"yolov8":{"success":true}},"yolov8":{"yolov8":{"success":false}}})");
  const PruneRun faces = Prune("face_detection", /*apply=*/true);
  ASSERT_EQ(faces.results.size(), 1u);
  EXPECT_EQ(faces.results[0].action, PruneAction::kPruned);
  EXPECT_EQ(faces.results[0].removed, "Face_detector");
  const PruneRun yolo = Prune("yolov8", /*apply=*/true);
  ASSERT_EQ(yolo.results.size(), 1u);
  EXPECT_EQ(yolo.results[0].action, PruneAction::kPruned);
  // Two runs in one second: the second used a batch of its own.
  EXPECT_NE(yolo.summary.quarantine_dir, faces.summary.quarantine_dir);
  EXPECT_THAT(Json("x.json"), Not(HasSubstr(R"("yolov8":{)")));
  EXPECT_THAT(Json("x.json"), Not(HasSubstr("Face_detector")));
}

TEST_F(PruneTest, APayloadFieldIsNeverTakenForABackend) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteBin("x.bin", R"({"face_detection":{"faces":[],"metadata":{},"success":true}})");
  const std::string before = tree_.ReadFile("x.bin");
  EXPECT_TRUE(Prune("face_detection", /*apply=*/true, "metadata").results.empty());
  EXPECT_TRUE(Prune("face_detection", /*apply=*/true, "faces").results.empty());
  EXPECT_EQ(tree_.ReadFile("x.bin"), before);
}

TEST_F(PruneTest, NamesAreChecked) {
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPruneNames("", "", false)));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPruneNames("sidecar_info", "", false)));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPruneNames("face_detection", "", true)));
  EXPECT_TRUE(CheckPruneNames("face_detection", "insightface", true).ok());
}

TEST_F(PruneTest, ThePruneRecordRoundTrips) {
  const PruneRecord record{123, ContentDigest("abc")};
  auto decoded = DecodePruneRecord(EncodePruneRecord(record, "face_detection"));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->written_size, 123);
  EXPECT_EQ(decoded->written_digest, ContentDigest("abc"));
  EXPECT_NE(ContentDigest("abc"), ContentDigest("abd"));
  EXPECT_FALSE(DecodePruneRecord("{}").ok());
}

}  // namespace
}  // namespace sidecard::engine
