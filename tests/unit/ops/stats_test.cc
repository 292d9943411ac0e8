#include "server/engine/ops/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

class StatsTest : public EngineHarness {};

TEST_F(StatsTest, CountsImagesSidecarsOperationsAndDetections) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteBin("a.bin", MergedDocument(2, 1));
  tree_.WriteFile("b.png", "");
  tree_.WriteFile("b.json", MergedDocument(1, 2, /*success=*/false));
  tree_.WriteFile("c.CR2", "");  // no sidecar
  tree_.WriteFile("package.json", R"({"name": "x"})");

  const TreeStats stats = Stats();
  EXPECT_EQ(stats.directory, tree_.root());
  EXPECT_EQ(stats.total_images, 3);
  EXPECT_EQ(stats.total_sidecars, 2);
  EXPECT_EQ(stats.total_sidecar_files, 2);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 100.0 * 2 / 3);
  EXPECT_EQ(stats.images_without_sidecars, 1);
  EXPECT_EQ(stats.operation_counts,
            (std::map<std::string, int64_t>{{"face_detection", 2}, {"yolov8", 2}}));
  EXPECT_DOUBLE_EQ(stats.success_rate_percentages.at("face_detection"), 50.0);
  EXPECT_DOUBLE_EQ(stats.success_rate_percentages.at("yolov8"), 100.0);
  EXPECT_DOUBLE_EQ(stats.avg_processing_times.at("face_detection"), 1.5);
  EXPECT_DOUBLE_EQ(stats.avg_processing_times.at("yolov8"), 0.25);
  const double mean_size = (static_cast<double>(tree_.ReadFile("a.bin").size()) +
                            static_cast<double>(tree_.ReadFile("b.json").size())) /
                           2;
  EXPECT_DOUBLE_EQ(stats.avg_data_sizes.at("face_detection"), mean_size);
  EXPECT_EQ(stats.faces_found, 3);
  EXPECT_EQ(stats.objects_found, 3);
  EXPECT_EQ(stats.object_classes.at("person"), 3);
  EXPECT_EQ(stats.foreign_files, 1);
  EXPECT_EQ(stats.files_by_format, (std::map<std::string, int64_t>{{"bin", 1}, {"json", 1}}));
}

TEST_F(StatsTest, Regression_ClaimedCountsSaturateInsteadOfOverflowing) {
  // Each file claims INT64_MAX faces; the tree's total overflowed (UBSan).
  const std::string claim =
      R"({"face_detection": {"success": true, "face_count": 9223372036854775807}})";
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", claim);
  tree_.WriteFile("b.jpg", "");
  tree_.WriteBin("b.bin", claim);
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_sidecars, 2);
  EXPECT_EQ(stats.faces_found, INT64_MAX);
}

// docs/CONTRACT.md §5: "counted x.bin + x.json as two sidecars (200% coverage)".
TEST_F(StatsTest, Regression_BinPlusJsonIsOneSidecar) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteBin("x.bin", R"({"face_detection":{"success":true,"faces":[{}]}})");
  tree_.WriteFile("x.json", R"({"yolov8": {"success": true, "objects": [{}, {}]}})");
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_images, 1);
  EXPECT_EQ(stats.total_sidecars, 1);
  EXPECT_EQ(stats.total_sidecar_files, 2);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 100.0);
  // The .json's operation is not hidden by the .bin.
  EXPECT_EQ(stats.operation_counts,
            (std::map<std::string, int64_t>{{"face_detection", 1}, {"yolov8", 1}}));
  EXPECT_EQ(stats.faces_found, 1);
  EXPECT_EQ(stats.objects_found, 2);
}

TEST_F(StatsTest, HigherPriorityFileWinsAnOperationPresentInBoth) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteBin("x.bin", R"({"face_detection":{"success":true,"faces":[{},{},{}]}})");
  tree_.WriteFile("x.json", R"({"face_detection": {"success": false, "faces": [{}]}})");
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.faces_found, 3);
  EXPECT_DOUBLE_EQ(stats.success_rate_percentages.at("face_detection"), 100.0);
}

TEST_F(StatsTest, RawAndJpegShareOneSidecar) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteFile("x.CR2", "");
  tree_.WriteFile("x.json", MergedDocument());
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_images, 2);
  EXPECT_EQ(stats.total_sidecars, 1);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 100.0);
}

// docs/CONTRACT.md §5: "reported every merged sidecar as operation 'unknown'" and
// "always returned empty average times".
TEST_F(StatsTest, Regression_RealOperationNamesAndAverageTimes) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  const TreeStats stats = Stats();
  EXPECT_FALSE(stats.operation_counts.contains("unknown"));
  EXPECT_EQ(stats.operation_counts.size(), 2u);
  EXPECT_EQ(stats.avg_processing_times.size(), 2u);
}

// docs/CONTRACT.md §5: "Stats ignored its filter".
TEST_F(StatsTest, Regression_FilterRestrictsSidecarFigures) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", R"({"face_detection": {"success": true, "faces": [{}]}})");
  tree_.WriteFile("b.jpg", "");
  tree_.WriteFile("b.json", MergedDocument(2, 4));
  StatsOptions options;
  options.counting.operation_filter = "yolov8";
  const TreeStats stats = Stats(options);
  EXPECT_EQ(stats.filter_applied, "yolov8");
  EXPECT_EQ(stats.total_images, 2);
  EXPECT_EQ(stats.total_sidecars, 1);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 50.0);
  EXPECT_EQ(stats.operation_counts, (std::map<std::string, int64_t>{{"yolov8", 1}}));
  EXPECT_EQ(stats.objects_found, 4);
  EXPECT_EQ(stats.faces_found, 0);
}

// docs/CONTRACT.md §5: "Symlinked images were never counted"; §1: the sidecar
// lives beside the fully resolved target.
TEST_F(StatsTest, Regression_SymlinkedImagesCountedAndCoveredThroughTarget) {
  tree_.WriteFile("originals/IMG_1.jpg", "");
  tree_.WriteBin("originals/IMG_1.bin", MergedDocument());
  tree_.WriteFile("originals/IMG_2.jpg", "");                              // no sidecar
  tree_.Symlink("games/g1/IMG_1.jpg", "../../originals/IMG_1.jpg");        // relative
  tree_.Symlink("games/g1/chain.jpg", "../g2/IMG_1.jpg");                  // chain
  tree_.Symlink("games/g2/IMG_1.jpg", tree_.Path("originals/IMG_1.jpg"));  // absolute
  tree_.Symlink("games/g1/IMG_2.jpg", "../../originals/IMG_2.jpg");
  tree_.Symlink("games/g1/gone.jpg", "../../originals/deleted.jpg");  // broken

  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_images, 6);  // 2 files + 4 links that resolve
  EXPECT_EQ(stats.symlink_count, 4);
  EXPECT_EQ(stats.broken_symlinks, 1);
  // IMG_1.jpg and its three links are covered; IMG_2.jpg and its link not.
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 100.0 * 4 / 6);
  EXPECT_EQ(stats.total_sidecars, 1);
}

TEST_F(StatsTest, SymlinkTargetOutsideAllowedRootsIsNotRead) {
  sidecard::testing::TempTree outside;
  outside.WriteFile("x.jpg", "");
  outside.WriteFile("x.json", MergedDocument());
  tree_.Symlink("x.jpg", outside.Path("x.jpg"));
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_images, 1);
  EXPECT_EQ(stats.symlinks_outside_roots, 1);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 0.0);
}

TEST_F(StatsTest, CorruptSidecarDoesNotCoverButReadableFallbackDoes) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.bin", "garbage!");  // 8 bytes: a header claiming a huge body
  tree_.WriteFile("b.jpg", "");
  tree_.WriteFile("b.bin", "garbage!");
  tree_.WriteFile("b.json", MergedDocument());
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_images, 2);
  EXPECT_EQ(stats.total_sidecars, 2);
  EXPECT_EQ(stats.invalid_sidecars, 2);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 50.0);
}

TEST_F(StatsTest, OrphansAndLegacyOperationFiles) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1_face_detection.json",
                  R"({"sidecar_info": {"operation_type": "face_detection"},
                      "data": {"success": true, "faces": [{}]}})");
  tree_.WriteFile("IMG_9.json", MergedDocument());  // orphan
  const TreeStats stats = Stats();
  EXPECT_EQ(stats.total_sidecars, 2);
  EXPECT_EQ(stats.orphaned_sidecars, 1);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage, 100.0);
  EXPECT_EQ(stats.operation_counts.at("face_detection"), 2);
}

}  // namespace
}  // namespace sidecard::engine
