#include "server/engine/ops/cleanup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include "unit/engine_harness.h"
#include "unit/other_program.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;

class CleanupTest : public EngineHarness {
 protected:
  CleanupOptions Mode(CleanupMode mode) {
    CleanupOptions options;
    options.mode = mode;
    return options;
  }
};

TEST_F(CleanupTest, DryRunIsTheDefaultAndChangesNothing) {
  tree_.WriteFile("orphan.json", MergedDocument());
  const CleanupRun run = Cleanup(CleanupOptions{});
  EXPECT_EQ(run.summary.mode, CleanupMode::kDryRun);
  EXPECT_EQ(run.summary.orphans_found, 1);
  EXPECT_EQ(run.summary.removed, 0);
  ASSERT_NE(run.For("orphan.json"), nullptr);
  EXPECT_EQ(run.For("orphan.json")->action, CleanupAction::kWouldRemove);
  EXPECT_TRUE(tree_.Exists("orphan.json"));
}

TEST_F(CleanupTest, DeleteRemovesExactlyTheOrphans) {
  tree_.WriteFile("keep.jpg", "");
  tree_.WriteBin("keep.bin", MergedDocument());
  tree_.WriteFile("gone.json", MergedDocument());
  tree_.WriteBin("sub/gone.bin", MergedDocument());
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_EQ(run.summary.removed, 2);
  EXPECT_EQ(run.summary.failed, 0);
  EXPECT_FALSE(tree_.Exists("gone.json"));
  EXPECT_FALSE(tree_.Exists("sub/gone.bin"));
  EXPECT_TRUE(tree_.Exists("keep.bin"));
  EXPECT_EQ(run.For("gone.json")->action, CleanupAction::kDeleted);
}

// docs/CONTRACT.md §5: "took the image name from the text after the last `_`".
TEST_F(CleanupTest, Regression_StemIsTheWholeNameBeforeTheExtension) {
  tree_.WriteFile("IMG_0001.jpg", "");
  tree_.WriteBin("IMG_0001.bin", MergedDocument());
  Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_TRUE(tree_.Exists("IMG_0001.bin"));
}

// docs/CONTRACT.md §5: "looked only in the top directory (every sidecar in a
// subfolder deleted)".
TEST_F(CleanupTest, Regression_ImagesInSubfoldersProtectTheirSidecars) {
  tree_.WriteFile("2025/05/IMG_1.jpg", "");
  tree_.WriteBin("2025/05/IMG_1.bin", MergedDocument());
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_EQ(run.summary.orphans_found, 0);
  EXPECT_TRUE(tree_.Exists("2025/05/IMG_1.bin"));
}

// docs/CONTRACT.md §5: "matched image extensions case-sensitively (A.JPG lost its
// sidecar)".
TEST_F(CleanupTest, Regression_ImageExtensionsMatchCaseInsensitively) {
  tree_.WriteFile("A.JPG", "");
  tree_.WriteBin("A.bin", MergedDocument());
  tree_.WriteFile("B.jpg", "");
  tree_.WriteBin("B.BIN", MergedDocument());
  tree_.WriteFile("c.NEF", "");
  tree_.WriteFile("c.json", MergedDocument());
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_EQ(run.summary.orphans_found, 0);
  EXPECT_TRUE(tree_.Exists("A.bin"));
  EXPECT_TRUE(tree_.Exists("B.BIN"));
  EXPECT_TRUE(tree_.Exists("c.json"));
}

TEST_F(CleanupTest, Regression_AFileThatOnlyResemblesASidecarIsNeverDeleted) {
  tree_.WriteFile("settings.json", R"({"display": {"metadata": {"theme": "dark"}}})");
  tree_.WriteFile("pose.json", R"({"pose_detection": {"success": true, "poses": []}})");
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_TRUE(tree_.Exists("settings.json"));
  EXPECT_EQ(run.For("settings.json"), nullptr);  // foreign: not even listed
  // A later operation with a real payload is a sidecar, and without an
  // image an orphan.
  EXPECT_FALSE(tree_.Exists("pose.json"));
  EXPECT_EQ(run.summary.removed, 1);
}

// docs/CONTRACT.md §5: "deleted package.json, model.bin, game_detection.json".
TEST_F(CleanupTest, Regression_ForeignFilesAreNeverTouched) {
  tree_.WriteFile("package.json", R"({"name": "x", "version": "1.0.0"})");
  tree_.WriteFile("model.bin", std::string(64, '\x01'));
  tree_.WriteFile("game_detection.json", R"({"sidecar_info": {}, "games": []})");
  tree_.WriteFile("face_clusters.json", R"({"face_detection": {}})");
  tree_.WriteFile("g1_summary.json", R"({"sidecar_info": {}})");
  tree_.WriteFile("notes.json", R"([1, 2, 3])");
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_EQ(run.summary.removed, 0);
  for (const char* name : {"package.json", "model.bin", "game_detection.json", "face_clusters.json",
                           "g1_summary.json", "notes.json"}) {
    EXPECT_TRUE(tree_.Exists(name)) << name;
  }
  // Foreign, as Validate and Stats see them: counted, never listed.
  EXPECT_TRUE(run.results.empty());
  EXPECT_EQ(run.summary.foreign_files, 6);
}

// docs/CONTRACT.md §1: a file without an image that does not decode is not
// provably a sidecar, so it is foreign (once "kept unreadable" here only).
TEST_F(CleanupTest, Regression_AnUndecodableFileWithoutImageIsForeign) {
  tree_.WriteFile("broken.json", R"({"face_detection": {"success": tr)");
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_TRUE(tree_.Exists("broken.json"));
  EXPECT_EQ(run.For("broken.json"), nullptr);
  EXPECT_EQ(run.summary.foreign_files, 1);
  EXPECT_EQ(run.summary.orphans_found, 0);
}

TEST_F(CleanupTest, SymlinkToExistingImageCountsAsImage) {
  tree_.WriteFile("originals/x.jpg", "");
  tree_.Symlink("game/x.jpg", "../originals/x.jpg");
  tree_.WriteFile("game/x.json", MergedDocument());
  tree_.Symlink("game/y.jpg", "../originals/missing.jpg");  // broken: no image
  tree_.WriteFile("game/y.json", MergedDocument());
  Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_TRUE(tree_.Exists("game/x.json"));
  EXPECT_FALSE(tree_.Exists("game/y.json"));
}

TEST_F(CleanupTest, LegacyOperationFileIsKeptWhileItsImageExists) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1_face_detection.json", R"({"sidecar_info": {}, "data": {}})");
  tree_.WriteFile("IMG_2_face_detection.json", R"({"sidecar_info": {}, "data": {}})");
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  EXPECT_TRUE(tree_.Exists("IMG_1_face_detection.json"));
  EXPECT_FALSE(tree_.Exists("IMG_2_face_detection.json"));
  EXPECT_EQ(run.summary.removed, 1);
}

TEST_F(CleanupTest, MinimumAgeKeepsRecentOrphans) {
  tree_.WriteFile("old.json", MergedDocument());
  tree_.SetMtime("old.json", 1'600'000'000);
  tree_.WriteFile("fresh.json", MergedDocument());
  CleanupOptions options = Mode(CleanupMode::kDelete);
  options.min_age = absl::Hours(1);
  const CleanupRun run = Cleanup(options);
  EXPECT_FALSE(tree_.Exists("old.json"));
  EXPECT_TRUE(tree_.Exists("fresh.json"));
  EXPECT_EQ(run.For("fresh.json")->action, CleanupAction::kSkippedTooRecent);
  EXPECT_EQ(run.summary.skipped, 1);
}

TEST_F(CleanupTest, QuarantineKeepsRelativePathsAndCanBeUndone) {
  const std::string content = MergedDocument(3, 0);
  tree_.WriteFile("a/b/gone.json", content);
  tree_.WriteFile("keep.jpg", "");
  tree_.WriteFile("keep.json", content);
  CleanupOptions options = Mode(CleanupMode::kQuarantine);
  options.now = absl::FromUnixSeconds(1'748'000'000);  // 2025-05-23T11:33:20Z
  const CleanupRun run = Cleanup(options);
  const std::string batch = ".sidecard-quarantine/20250523T113320Z";
  EXPECT_EQ(run.summary.quarantine_dir, tree_.Path(batch));
  EXPECT_EQ(run.summary.removed, 1);
  EXPECT_FALSE(tree_.Exists("a/b/gone.json"));
  ASSERT_TRUE(tree_.Exists(batch + "/a/b/gone.json"));
  EXPECT_EQ(run.For("a/b/gone.json")->destination, tree_.Path(batch + "/a/b/gone.json"));
  EXPECT_TRUE(tree_.Exists("keep.json"));
  // Undo: moving the file back restores it exactly.
  ASSERT_EQ(
      rename(tree_.Path(batch + "/a/b/gone.json").c_str(), tree_.Path("a/b/gone.json").c_str()), 0);
  EXPECT_EQ(tree_.ReadFile("a/b/gone.json"), content);
  // The quarantine folder itself is never cleaned again.
  EXPECT_EQ(Cleanup(Mode(CleanupMode::kDryRun)).summary.orphans_found, 1);
}

// docs/CONTRACT.md §5: "the first failed delete aborted the run".
TEST_F(CleanupTest, Regression_OneFailureDoesNotStopTheRest) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  tree_.WriteFile("locked/gone.json", MergedDocument());
  tree_.WriteFile("open/gone.json", MergedDocument());
  tree_.SetMode("locked", 0555);
  const CleanupRun run = Cleanup(Mode(CleanupMode::kDelete));
  tree_.SetMode("locked", 0755);
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_EQ(run.summary.removed, 1);
  EXPECT_EQ(run.For("locked/gone.json")->action, CleanupAction::kFailed);
  EXPECT_THAT(run.For("locked/gone.json")->error, HasSubstr("cannot delete"));
  EXPECT_FALSE(tree_.Exists("open/gone.json"));
}

TEST_F(CleanupTest, Regression_AnOrphanRewrittenJustBeforeItsRemovalIsKept) {
  for (const CleanupMode mode : {CleanupMode::kDelete, CleanupMode::kQuarantine}) {
    tree_.WriteFile("orphan.json", MergedDocument());
    std::optional<OtherProgram> other(std::in_place, tree_);
    other->WriteAt("move", "orphan.json", MergedDocument(3));
    const CleanupRun run = Cleanup(Mode(mode));
    other.reset();
    ASSERT_EQ(run.results.size(), 1u);
    EXPECT_EQ(run.results[0].action, CleanupAction::kSkippedChanged) << run.results[0].error;
    EXPECT_THAT(run.results[0].error, HasSubstr("another program"));
    EXPECT_EQ(tree_.ReadFile("orphan.json"), MergedDocument(3));
  }
}

}  // namespace
}  // namespace sidecard::engine
