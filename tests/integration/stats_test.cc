// Stats through the C++ client against the real daemon.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

constexpr double kTolerance = 1e-9;

class StatsTest : public DaemonTest {
 protected:
  v1::StatsResponse StatsOf(const std::string& root, const std::string& filter = "",
                            bool non_recursive = false) {
    v1::StatsResponse stats;
    const grpc::Status status = Stats(root, stats, filter, non_recursive);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return stats;
  }
};

TEST_F(StatsTest, MixedTreeHasExactFigures) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteFile("b.json", kYoloDoc);
  tree_.WriteFile("c.jpg", "jpeg");
  tree_.WriteBin("c.bin", kBothDoc);
  tree_.WriteFile("d.jpg", "jpeg");
  tree_.WriteFile("orphan.json", kFaceDoc);
  tree_.WriteFile("package.json", R"({"name":"x"})");
  tree_.WriteFile("config.json", R"({"a":1})");
  tree_.WriteFile("notes.txt", "not a sidecar");

  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.directory(), tree_.root());
  EXPECT_EQ(s.total_images(), 4);
  EXPECT_EQ(s.symlink_count(), 0);
  EXPECT_EQ(s.broken_symlinks(), 0);
  EXPECT_EQ(s.total_sidecars(), 4);
  EXPECT_EQ(s.total_sidecar_files(), 4);
  EXPECT_NEAR(s.coverage_percentage(), 75.0, kTolerance);
  EXPECT_EQ(s.images_without_sidecars(), 1);
  EXPECT_EQ(s.orphaned_sidecars(), 1);
  EXPECT_EQ(s.foreign_files(), 2);
  EXPECT_EQ(s.invalid_sidecars(), 0);
  EXPECT_EQ(s.filter_applied(), "");
  EXPECT_THAT(ToStdMap(s.files_by_format()), ElementsAre(Pair("bin", 2), Pair("json", 2)));
  EXPECT_THAT(ToStdMap(s.operation_counts()),
              ElementsAre(Pair("face_detection", 3), Pair("yolov8", 2)));
  ASSERT_EQ(s.avg_processing_times().size(), 2u);
  EXPECT_NEAR(s.avg_processing_times().at("face_detection"), (1.5 + 0.5 + 1.5) / 3, kTolerance);
  EXPECT_NEAR(s.avg_processing_times().at("yolov8"), (0.25 + 0.75) / 2, kTolerance);
  EXPECT_THAT(ToStdMap(s.success_rate_percentages()),
              ElementsAre(Pair("face_detection", 100.0), Pair("yolov8", 100.0)));
  ASSERT_EQ(s.avg_data_sizes().size(), 2u);
  EXPECT_NEAR(s.avg_data_sizes().at("face_detection"),
              static_cast<double>(BinSize(kFaceDoc) + BinSize(kBothDoc) +
                                  static_cast<int64_t>(kFaceDoc.size())) /
                  3,
              kTolerance);
  EXPECT_NEAR(s.avg_data_sizes().at("yolov8"),
              static_cast<double>(static_cast<int64_t>(kYoloDoc.size()) + BinSize(kBothDoc)) / 2,
              kTolerance);
  EXPECT_EQ(s.faces_found(), 5);
  EXPECT_EQ(s.objects_found(), 3);
  EXPECT_THAT(ToStdMap(s.object_classes()), ElementsAre(Pair("person", 2), Pair("sports ball", 1)));
  EXPECT_EQ(s.unreadable_directories(), 0);
}

TEST_F(StatsTest, EmptyTreeHasZeroCoverage) {
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 0);
  EXPECT_EQ(s.total_sidecars(), 0);
  EXPECT_EQ(s.coverage_percentage(), 0.0);
  EXPECT_THAT(s.operation_counts(), IsEmpty());
}

TEST_F(StatsTest, Regression_StatsCountsBinPlusJsonOnce) {
  tree_.WriteFile("x.jpg", "jpeg");
  tree_.WriteBin("x.bin", kFaceDoc);
  tree_.WriteFile("x.json", kFaceDoc);
  tree_.WriteFile("y.jpg", "jpeg");
  tree_.WriteBin("y.bin", kYoloDoc);
  tree_.WriteBin("y.rkyv", kYoloDoc);
  tree_.WriteFile("y.json", kYoloDoc);

  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 2);
  EXPECT_EQ(s.total_sidecars(), 2);
  EXPECT_EQ(s.total_sidecar_files(), 5);
  EXPECT_NEAR(s.coverage_percentage(), 100.0, kTolerance);
  EXPECT_LE(s.coverage_percentage(), 100.0);
  EXPECT_EQ(s.images_without_sidecars(), 0);
  EXPECT_THAT(ToStdMap(s.files_by_format()),
              ElementsAre(Pair("bin", 2), Pair("json", 2), Pair("rkyv", 1)));
  EXPECT_THAT(ToStdMap(s.operation_counts()),
              ElementsAre(Pair("face_detection", 1), Pair("yolov8", 1)));
  EXPECT_EQ(s.faces_found(), 2);
  EXPECT_EQ(s.objects_found(), 2);
}

TEST_F(StatsTest, ImagesSharingAStemShareOneSidecar) {
  tree_.WriteFile("z.jpg", "jpeg");
  tree_.WriteFile("z.CR2", "raw");
  tree_.WriteBin("z.bin", kFaceDoc);
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 2);
  EXPECT_EQ(s.total_sidecars(), 1);
  EXPECT_NEAR(s.coverage_percentage(), 100.0, kTolerance);
  EXPECT_THAT(ToStdMap(s.operation_counts()), ElementsAre(Pair("face_detection", 1)));
}

TEST_F(StatsTest, Regression_StatsReportsRealOperationNames) {
  tree_.WriteFile("m.jpg", "jpeg");
  tree_.WriteBin("m.bin", kBothDoc);
  tree_.WriteFile("q.jpg", "jpeg");
  tree_.WriteFile("q.json", R"({"quality_assessment":{"success":true,"score":0.8}})");
  tree_.WriteFile("old.jpg", "jpeg");
  tree_.WriteFile("old.json", R"({"Ball_detector":{"success":false,"detections":[{"x":1}]}})");
  tree_.WriteFile("env.jpg", "jpeg");
  tree_.WriteFile("env.json", R"({"sidecar_info":{"operation_type":"pose_detection"},)"
                              R"("data":{"success":true,"detections":[]}})");

  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_THAT(
      ToStdMap(s.operation_counts()),
      ElementsAre(Pair("ball_detection", 1), Pair("face_detection", 1), Pair("pose_detection", 1),
                  Pair("quality_assessment", 1), Pair("yolov8", 1)));
  EXPECT_THAT(ToStdMap(s.operation_counts()), Not(Contains(Key("unknown"))));
  EXPECT_THAT(ToStdMap(s.success_rate_percentages()),
              ElementsAre(Pair("ball_detection", 0.0), Pair("face_detection", 100.0),
                          Pair("pose_detection", 100.0), Pair("quality_assessment", 100.0),
                          Pair("yolov8", 100.0)));
  EXPECT_EQ(s.total_sidecars(), 4);
}

TEST_F(StatsTest, Regression_StatsAverageTimesNotEmpty) {
  tree_.WriteFile("t1.jpg", "jpeg");
  tree_.WriteBin("t1.bin", R"({"face_detection":{"insightface":{"faces":[],)"
                           R"("metadata":{"processing_time":1.0},"success":true}}})");
  tree_.WriteFile("t2.jpg", "jpeg");
  tree_.WriteBin("t2.bin", R"({"face_detection":{"insightface":{"error":"no gpu","faces":[],)"
                           R"("metadata":{"processing_time":2.0},"success":false}}})");
  tree_.WriteFile("t3.jpg", "jpeg");
  tree_.WriteBin("t3.bin", kYoloDoc);
  tree_.WriteFile("t4.jpg", "jpeg");
  tree_.WriteFile("t4.json", R"({"pose_detection":{"success":true,"processing_time":3.0}})");

  const v1::StatsResponse s = StatsOf(tree_.root());
  ASSERT_EQ(s.avg_processing_times().size(), 3u);
  EXPECT_NEAR(s.avg_processing_times().at("face_detection"), 1.5, kTolerance);
  EXPECT_NEAR(s.avg_processing_times().at("yolov8"), 0.25, kTolerance);
  EXPECT_NEAR(s.avg_processing_times().at("pose_detection"), 3.0, kTolerance);
  EXPECT_THAT(ToStdMap(s.success_rate_percentages()),
              ElementsAre(Pair("face_detection", 50.0), Pair("pose_detection", 100.0),
                          Pair("yolov8", 100.0)));
}

TEST_F(StatsTest, Regression_StatsHonoursFilter) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteBin("b.bin", kYoloDoc);
  tree_.WriteFile("c.jpg", "jpeg");
  tree_.WriteFile("c.json", kBothDoc);
  tree_.WriteFile("d.jpg", "jpeg");

  const v1::StatsResponse all = StatsOf(tree_.root());
  EXPECT_EQ(all.total_images(), 4);
  EXPECT_EQ(all.total_sidecars(), 3);
  EXPECT_NEAR(all.coverage_percentage(), 75.0, kTolerance);
  EXPECT_THAT(ToStdMap(all.operation_counts()),
              ElementsAre(Pair("face_detection", 2), Pair("yolov8", 2)));
  EXPECT_EQ(all.faces_found(), 3);
  EXPECT_EQ(all.objects_found(), 3);

  const v1::StatsResponse faces = StatsOf(tree_.root(), "face_detection");
  EXPECT_EQ(faces.filter_applied(), "face_detection");
  EXPECT_EQ(faces.total_images(), 4);
  EXPECT_EQ(faces.total_sidecars(), 2);
  EXPECT_NEAR(faces.coverage_percentage(), 50.0, kTolerance);
  EXPECT_THAT(ToStdMap(faces.operation_counts()), ElementsAre(Pair("face_detection", 2)));
  ASSERT_EQ(faces.avg_processing_times().size(), 1u);
  EXPECT_NEAR(faces.avg_processing_times().at("face_detection"), (1.5 + 0.5) / 2, kTolerance);
  EXPECT_EQ(faces.faces_found(), 3);
  EXPECT_EQ(faces.objects_found(), 0);

  const v1::StatsResponse yolo = StatsOf(tree_.root(), "yolov8");
  EXPECT_EQ(yolo.filter_applied(), "yolov8");
  EXPECT_EQ(yolo.total_sidecars(), 2);
  EXPECT_NEAR(yolo.coverage_percentage(), 50.0, kTolerance);
  EXPECT_THAT(ToStdMap(yolo.operation_counts()), ElementsAre(Pair("yolov8", 2)));
  EXPECT_EQ(yolo.faces_found(), 0);
  EXPECT_EQ(yolo.objects_found(), 3);

  const v1::StatsResponse none = StatsOf(tree_.root(), "ball_detection");
  EXPECT_EQ(none.total_sidecars(), 0);
  EXPECT_EQ(none.coverage_percentage(), 0.0);
  EXPECT_THAT(none.operation_counts(), IsEmpty());
}

TEST_F(StatsTest, Regression_StatsCountsSymlinkedImages) {
  tree_.WriteFile("originals/IMG_1.jpg", "jpeg 1");
  tree_.WriteBin("originals/IMG_1.bin", kFaceDoc);
  tree_.WriteFile("originals/IMG_2.jpg", "jpeg 2");
  tree_.Symlink("games/g1/IMG_1.jpg", "../../originals/IMG_1.jpg");
  tree_.Symlink("games/g1/chain.jpg", "IMG_1.jpg");  // link -> link -> image
  tree_.Symlink("games/g1/IMG_2.jpg", "../../originals/IMG_2.jpg");
  tree_.Symlink("games/g1/broken.jpg", "../../originals/missing.jpg");
  tree_.Symlink("games/g2/abs.jpg", P("originals/IMG_1.jpg"));
  tree_.Symlink("games/g3/hop.jpg", "../g1/chain.jpg");  // relative at every hop

  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 7);
  EXPECT_EQ(s.symlink_count(), 5);
  EXPECT_EQ(s.broken_symlinks(), 1);
  EXPECT_EQ(s.total_sidecars(), 1);
  EXPECT_NEAR(s.coverage_percentage(), 100.0 * 5 / 7, kTolerance);
  EXPECT_EQ(s.images_without_sidecars(), 2);
  EXPECT_EQ(s.symlinks_outside_roots(), 0);

  // A game folder alone: covered through the sidecars beside the originals.
  const v1::StatsResponse g1 = StatsOf(P("games/g1"));
  EXPECT_EQ(g1.directory(), P("games/g1"));
  EXPECT_EQ(g1.total_images(), 3);
  EXPECT_EQ(g1.symlink_count(), 3);
  EXPECT_EQ(g1.broken_symlinks(), 1);
  EXPECT_EQ(g1.total_sidecars(), 0);
  EXPECT_NEAR(g1.coverage_percentage(), 100.0 * 2 / 3, kTolerance);
  EXPECT_EQ(g1.images_without_sidecars(), 1);

  const v1::StatsResponse g3 = StatsOf(P("games/g3"));
  EXPECT_EQ(g3.total_images(), 1);
  EXPECT_NEAR(g3.coverage_percentage(), 100.0, kTolerance);
}

TEST_F(StatsTest, SymlinkedImageOutsideTheAllowedRootsIsCountedButNotRead) {
  testing::TempTree outside;
  outside.WriteFile("ext.jpg", "jpeg");
  outside.WriteBin("ext.bin", kFaceDoc);
  ShareWithDaemon(outside.root());
  tree_.Symlink("link.jpg", outside.Path("ext.jpg"));
  tree_.WriteFile("own.jpg", "jpeg");
  tree_.WriteBin("own.bin", kYoloDoc);

  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 2);
  EXPECT_EQ(s.symlink_count(), 1);
  EXPECT_EQ(s.symlinks_outside_roots(), 1);
  EXPECT_EQ(s.broken_symlinks(), 0);
  EXPECT_NEAR(s.coverage_percentage(), 50.0, kTolerance);
  EXPECT_THAT(ToStdMap(s.operation_counts()), ElementsAre(Pair("yolov8", 1)));
}

TEST_F(StatsTest, DirectorySymlinksAreSkipped) {
  tree_.WriteFile("originals/IMG_1.jpg", "jpeg");
  tree_.WriteBin("originals/IMG_1.bin", kFaceDoc);
  tree_.Symlink("alias", "originals");
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 1);
  EXPECT_EQ(s.total_sidecars(), 1);
  EXPECT_EQ(s.directory_symlinks_skipped(), 1);
}

TEST_F(StatsTest, CorruptPreferredSidecarFallsThroughToTheNextReadableOne) {
  tree_.WriteFile("x.jpg", "jpeg");
  tree_.WriteFile("x.bin", RandomBytes());
  tree_.WriteFile("x.json", kFaceDoc);
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 1);
  EXPECT_EQ(s.total_sidecars(), 1);
  EXPECT_EQ(s.total_sidecar_files(), 2);
  EXPECT_EQ(s.invalid_sidecars(), 1);
  EXPECT_NEAR(s.coverage_percentage(), 100.0, kTolerance);
  EXPECT_THAT(ToStdMap(s.operation_counts()), ElementsAre(Pair("face_detection", 1)));
  EXPECT_EQ(s.faces_found(), 2);
}

TEST_F(StatsTest, UnreadableSidecarDoesNotCover) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.SetMode("a.bin", 0);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteBin("b.bin", kFaceDoc);
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.total_images(), 2);
  EXPECT_EQ(s.invalid_sidecars(), 1);
  EXPECT_NEAR(s.coverage_percentage(), 50.0, kTolerance);
  EXPECT_EQ(s.images_without_sidecars(), 1);
}

TEST_F(StatsTest, NonRecursiveCountsOnlyTheTopFolder) {
  tree_.WriteFile("top.jpg", "jpeg");
  tree_.WriteBin("top.bin", kFaceDoc);
  tree_.WriteFile("sub/s.jpg", "jpeg");
  const v1::StatsResponse flat = StatsOf(tree_.root(), "", /*non_recursive=*/true);
  EXPECT_EQ(flat.total_images(), 1);
  EXPECT_NEAR(flat.coverage_percentage(), 100.0, kTolerance);
  const v1::StatsResponse deep = StatsOf(tree_.root());
  EXPECT_EQ(deep.total_images(), 2);
  EXPECT_NEAR(deep.coverage_percentage(), 50.0, kTolerance);
}

TEST_F(StatsTest, UnreadableFolderIsCounted) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteFile("locked/b.jpg", "jpeg");
  tree_.SetMode("locked", 0);
  const v1::StatsResponse s = StatsOf(tree_.root());
  EXPECT_EQ(s.unreadable_directories(), 1);
  EXPECT_EQ(s.total_images(), 1);
}

}  // namespace
}  // namespace sidecard::testing
