// Cleanup through the C++ client against the real daemon.
#include <ctime>
#include <filesystem>
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

class CleanupTest : public DaemonTest {
 protected:
  // A tree with three orphans among everything Cleanup must never touch.
  void BuildMixedTree() {
    // Sidecars whose image exists (any extension case, any folder).
    tree_.WriteFile("A.JPG", "jpeg");
    tree_.WriteBin("A.bin", kFaceDoc);
    tree_.WriteFile("IMG_0001.jpg", "jpeg");
    tree_.WriteBin("IMG_0001.bin", kFaceDoc);
    tree_.WriteFile("sub/IMG_0002.jpg", "jpeg");
    tree_.WriteBin("sub/IMG_0002.bin", kYoloDoc);
    tree_.WriteFile("sub/deeper/x.nef", "raw");
    tree_.WriteFile("sub/deeper/x.json", kFaceDoc);
    // Foreign files and files that do not decode.
    tree_.WriteFile("package.json", R"({"name":"x","sidecar_info":{}})");
    tree_.WriteFile("model.bin", RandomBytes());
    tree_.WriteFile("game_detection.json", R"({"game_detection":{"success":true,"games":[]}})");
    tree_.WriteFile("broken.json", "{not json");
    tree_.WriteFile("config.json", R"({"a":1})");
    tree_.WriteFile("notes.txt", "text");
    // The orphans.
    tree_.WriteBin("gone.bin", kFaceDoc);
    tree_.WriteFile("sub/gone2.json", kYoloDoc);
    tree_.WriteBin("deep/er/gone3.rkyv", kInfoOnlyDoc);
  }

  static constexpr int64_t OrphanBytes() {
    return static_cast<int64_t>(kFaceDoc.size() + 8 + kYoloDoc.size() + kInfoOnlyDoc.size() + 8);
  }

  CleanupRun CleanupOk(const std::string& root, v1::CleanupMode mode, int64_t min_age = 0) {
    CleanupRun run = Cleanup(root, mode, min_age);
    EXPECT_TRUE(run.status.ok()) << run.status.error_code() << ": " << run.status.error_message();
    EXPECT_EQ(run.summaries, 1);
    EXPECT_TRUE(run.summary_last);
    return run;
  }
};

TEST_F(CleanupTest, Regression_CleanupDryRunChangesNothing) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_EQ(ListTree(tree_.root()), before);
  // Foreign files (by name, or without an image and not a sidecar document:
  // model.bin, broken.json, config.json) are not listed, only counted.
  EXPECT_THAT(CleanupActions(run),
              ElementsAre(Pair(P("deep/er/gone3.rkyv"), "CLEANUP_ACTION_WOULD_REMOVE"),
                          Pair(P("gone.bin"), "CLEANUP_ACTION_WOULD_REMOVE"),
                          Pair(P("sub/gone2.json"), "CLEANUP_ACTION_WOULD_REMOVE")));
  EXPECT_EQ(run.summary.mode(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_EQ(run.summary.orphans_found(), 3);
  EXPECT_EQ(run.summary.removed(), 0);
  EXPECT_EQ(run.summary.kept_unreadable(), 0);
  EXPECT_EQ(run.summary.foreign_files(), 5);
  EXPECT_EQ(run.summary.failed(), 0);
  EXPECT_EQ(run.summary.bytes(), OrphanBytes());
  EXPECT_EQ(run.summary.root(), tree_.root());
}

TEST_F(CleanupTest, UnspecifiedModeIsADryRun) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_UNSPECIFIED);
  EXPECT_EQ(ListTree(tree_.root()), before);
  EXPECT_EQ(run.summary.mode(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_EQ(run.summary.orphans_found(), 3);
  EXPECT_EQ(run.summary.removed(), 0);
}

TEST_F(CleanupTest, DeleteRemovesExactlyTheOrphans) {
  BuildMixedTree();
  Share();
  TreeListing expected = ListTree(tree_.root());
  for (const char* orphan : {"gone.bin", "sub/gone2.json", "deep/er/gone3.rkyv"}) {
    ASSERT_EQ(expected.erase(orphan), 1u) << orphan;
  }

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(ListTree(tree_.root()), expected);
  EXPECT_THAT(CleanupActions(run),
              ElementsAre(Pair(P("deep/er/gone3.rkyv"), "CLEANUP_ACTION_DELETED"),
                          Pair(P("gone.bin"), "CLEANUP_ACTION_DELETED"),
                          Pair(P("sub/gone2.json"), "CLEANUP_ACTION_DELETED")));
  // Results come in sorted path order.
  ASSERT_EQ(run.results.size(), 3u);
  EXPECT_EQ(run.results[0].file().path(), P("deep/er/gone3.rkyv"));
  EXPECT_EQ(run.results[2].file().path(), P("sub/gone2.json"));
  EXPECT_EQ(run.results[1].size_bytes(), BinSize(kFaceDoc));
  EXPECT_EQ(run.summary.mode(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(run.summary.orphans_found(), 3);
  EXPECT_EQ(run.summary.removed(), 3);
  EXPECT_EQ(run.summary.skipped(), 0);
  EXPECT_EQ(run.summary.kept_unreadable(), 0);
  EXPECT_EQ(run.summary.foreign_files(), 5);
  EXPECT_EQ(run.summary.failed(), 0);
  EXPECT_EQ(run.summary.bytes(), OrphanBytes());
  EXPECT_EQ(run.summary.sidecars_examined(), 10);

  // A second run finds nothing more to do.
  const CleanupRun again = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(again.summary.orphans_found(), 0);
  EXPECT_EQ(again.summary.removed(), 0);
  EXPECT_EQ(ListTree(tree_.root()), expected);
}

TEST_F(CleanupTest, Regression_CleanupDoesNotTakeStemAfterUnderscore) {
  tree_.WriteFile("IMG_0001.jpg", "jpeg");  // 0001.jpg does not exist
  tree_.WriteBin("IMG_0001.bin", kFaceDoc);
  tree_.WriteFile("0002.jpg", "jpeg");  // not the image of IMG_0002.bin
  tree_.WriteBin("IMG_0002.bin", kFaceDoc);
  tree_.WriteFile("IMG_0003.jpg", "jpeg");  // old per-operation file of IMG_0003.jpg
  tree_.WriteFile("IMG_0003_face_detection.json", R"({"success":true,"faces":[]})");

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("IMG_0002.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_TRUE(tree_.Exists("IMG_0001.bin"));
  EXPECT_TRUE(tree_.Exists("IMG_0003_face_detection.json"));
  EXPECT_TRUE(tree_.Exists("0002.jpg"));
  EXPECT_FALSE(tree_.Exists("IMG_0002.bin"));
  EXPECT_EQ(run.summary.orphans_found(), 1);
}

TEST_F(CleanupTest, Regression_CleanupLooksInSubfolders) {
  tree_.WriteFile("g/1/a.jpg", "jpeg");
  tree_.WriteBin("g/1/a.bin", kFaceDoc);
  tree_.WriteFile("g/2/b.png", "png");
  tree_.WriteFile("g/2/b.json", kYoloDoc);
  tree_.WriteFile("g/2/c/d.jpg", "jpeg");
  tree_.WriteBin("g/2/c/d.rkyv", kFaceDoc);
  tree_.WriteBin("g/2/orphan.bin", kFaceDoc);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run),
              ElementsAre(Pair(P("g/2/orphan.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_TRUE(tree_.Exists("g/1/a.bin"));
  EXPECT_TRUE(tree_.Exists("g/2/b.json"));
  EXPECT_TRUE(tree_.Exists("g/2/c/d.rkyv"));
  EXPECT_FALSE(tree_.Exists("g/2/orphan.bin"));
  EXPECT_EQ(run.summary.sidecars_examined(), 4);
}

TEST_F(CleanupTest, Regression_CleanupImageExtensionCaseInsensitive) {
  tree_.WriteFile("A.JPG", "jpeg");
  tree_.WriteBin("A.bin", kFaceDoc);
  tree_.WriteFile("b.Jpeg", "jpeg");
  tree_.WriteBin("b.bin", kFaceDoc);
  tree_.WriteFile("c.NEF", "raw");
  tree_.WriteFile("c.json", kFaceDoc);
  tree_.WriteFile("d.jpg", "jpeg");
  tree_.WriteBin("d.BIN", kFaceDoc);
  tree_.WriteFile("e.TIFF", "tiff");
  tree_.WriteBin("e.rkyv", kFaceDoc);
  tree_.WriteFile("f.txt", "not an image");
  tree_.WriteBin("f.bin", kFaceDoc);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("f.bin"), "CLEANUP_ACTION_DELETED")));
  for (const char* kept : {"A.bin", "b.bin", "c.json", "d.BIN", "e.rkyv", "f.txt"}) {
    EXPECT_TRUE(tree_.Exists(kept)) << kept;
  }
  EXPECT_FALSE(tree_.Exists("f.bin"));
}

TEST_F(CleanupTest, Regression_CleanupNeverDeletesForeignFiles) {
  testing::TempTree outside;
  outside.WriteBin("orphan.bin", kFaceDoc);
  ShareWithDaemon(outside.root());
  tree_.WriteFile("package.json", R"({"sidecar_info":{},"face_detection":{"success":true}})");
  tree_.WriteFile("sub/package.json", R"({"name":"x"})");
  tree_.WriteFile("tsconfig.json", R"({"compilerOptions":{}})");
  tree_.WriteFile("game_detection.json", R"({"game_detection":{"success":true}})");
  tree_.WriteFile("face_clustering.json", R"({"sidecar_info":{}})");
  tree_.WriteFile("face_clusters.json", R"({"clusters":[]})");
  tree_.WriteFile("x_summary.json", R"({"face_detection":{"success":true}})");
  tree_.WriteFile("y_report.json", R"({"yolov8":{"success":true}})");
  tree_.WriteFile("model.bin", RandomBytes());
  tree_.WriteFile("weights.rkyv", RandomBytes());
  tree_.WriteFile("config.json", R"({"a":1})");
  tree_.Symlink("linked.bin", outside.Path("orphan.bin"));  // a linked sidecar is never removed
  Share();
  const TreeListing before = ListTree(tree_.root());
  const TreeListing outside_before = ListTree(outside.root());

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(ListTree(tree_.root()), before);
  EXPECT_EQ(ListTree(outside.root()), outside_before);
  EXPECT_THAT(CleanupActions(run), IsEmpty());  // foreign files are only counted
  EXPECT_EQ(run.summary.orphans_found(), 0);
  EXPECT_EQ(run.summary.removed(), 0);
  EXPECT_EQ(run.summary.kept_unreadable(), 0);
  EXPECT_EQ(run.summary.foreign_files(), 12);

  const CleanupRun quarantine = CleanupOk(tree_.root(), v1::CLEANUP_MODE_QUARANTINE);
  EXPECT_EQ(quarantine.summary.removed(), 0);
  for (const auto& [path, entry] : before) EXPECT_TRUE(tree_.Exists(path)) << path;
}

TEST_F(CleanupTest, Regression_CleanupOneFailureDoesNotStopTheRest) {
  // The daemon never runs as root here (see daemon_fixture.h), so a folder
  // without write permission really cannot be changed by it.
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteBin("locked/b.bin", kFaceDoc);
  tree_.WriteBin("z.bin", kFaceDoc);
  tree_.SetMode("locked", 0555);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("a.bin"), "CLEANUP_ACTION_DELETED"),
                                               Pair(P("locked/b.bin"), "CLEANUP_ACTION_FAILED"),
                                               Pair(P("z.bin"), "CLEANUP_ACTION_DELETED")));
  ASSERT_EQ(run.results.size(), 3u);
  EXPECT_THAT(run.results[1].error(), HasSubstr("Permission denied"));
  EXPECT_EQ(run.summary.orphans_found(), 3);
  EXPECT_EQ(run.summary.removed(), 2);
  EXPECT_EQ(run.summary.failed(), 1);
  EXPECT_FALSE(tree_.Exists("a.bin"));
  EXPECT_TRUE(tree_.Exists("locked/b.bin"));
  EXPECT_FALSE(tree_.Exists("z.bin"));
}

TEST_F(CleanupTest, QuarantineFailureDoesNotStopTheRest) {
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteBin("locked/b.bin", kFaceDoc);
  tree_.WriteBin("z.bin", kFaceDoc);
  tree_.SetMode("locked", 0555);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_QUARANTINE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("a.bin"), "CLEANUP_ACTION_QUARANTINED"),
                                               Pair(P("locked/b.bin"), "CLEANUP_ACTION_FAILED"),
                                               Pair(P("z.bin"), "CLEANUP_ACTION_QUARANTINED")));
  EXPECT_EQ(run.summary.removed(), 2);
  EXPECT_EQ(run.summary.failed(), 1);
  EXPECT_TRUE(tree_.Exists("locked/b.bin"));
}

TEST_F(CleanupTest, QuarantineMovesOrphansAndMovingThemBackRestoresTheTree) {
  tree_.WriteFile("k.jpg", "jpeg");
  tree_.WriteBin("k.bin", kFaceDoc);
  tree_.WriteBin("gone.bin", kFaceDoc);
  tree_.WriteFile("sub/s.jpg", "jpeg");
  tree_.WriteBin("sub/s.bin", kYoloDoc);
  tree_.WriteFile("sub/gone2.json", kYoloDoc);
  Share();
  const TreeListing before = ListTree(tree_.root());

  const time_t started = std::time(nullptr);
  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_QUARANTINE);
  const time_t finished = std::time(nullptr);

  // <root>/.sidecard-quarantine/<UTC YYYYMMDDTHHMMSSZ>
  const std::string batch = run.summary.quarantine_dir();
  const std::string prefix = tree_.root() + "/.sidecard-quarantine/";
  ASSERT_TRUE(batch.starts_with(prefix)) << batch;
  const std::string stamp = batch.substr(prefix.size());
  ASSERT_TRUE(std::regex_match(stamp, std::regex(R"(\d{8}T\d{6}Z)"))) << stamp;
  std::tm parts{};
  ASSERT_NE(strptime(stamp.c_str(), "%Y%m%dT%H%M%SZ", &parts), nullptr);
  const time_t stamped = timegm(&parts);
  EXPECT_GE(stamped, started - 1);
  EXPECT_LE(stamped, finished + 1);

  EXPECT_EQ(run.summary.mode(), v1::CLEANUP_MODE_QUARANTINE);
  EXPECT_EQ(run.summary.orphans_found(), 2);
  EXPECT_EQ(run.summary.removed(), 2);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].file().path(), P("gone.bin"));
  EXPECT_EQ(run.results[0].action(), v1::CLEANUP_ACTION_QUARANTINED);
  EXPECT_EQ(run.results[0].destination().path(), batch + "/gone.bin");
  EXPECT_EQ(run.results[1].file().path(), P("sub/gone2.json"));
  EXPECT_EQ(run.results[1].action(), v1::CLEANUP_ACTION_QUARANTINED);
  EXPECT_EQ(run.results[1].destination().path(), batch + "/sub/gone2.json");

  EXPECT_FALSE(tree_.Exists("gone.bin"));
  EXPECT_FALSE(tree_.Exists("sub/gone2.json"));
  const std::string batch_rel = batch.substr(tree_.root().size() + 1);
  EXPECT_EQ(tree_.ReadFile(batch_rel + "/gone.bin"), BinBytes(kFaceDoc));
  EXPECT_EQ(tree_.ReadFile(batch_rel + "/sub/gone2.json"), std::string(kYoloDoc));

  // Quarantined files are out of sight of every operation.
  const ValidateRun validate = Validate(tree_.root());
  ASSERT_TRUE(validate.status.ok());
  EXPECT_THAT(ReportPaths(validate), ElementsAre(P("k.bin"), P("sub/s.bin")));
  EXPECT_EQ(validate.summary.orphans(), 0);
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());
  EXPECT_EQ(stats.total_sidecar_files(), 2);
  EXPECT_EQ(stats.orphaned_sidecars(), 0);
  const CleanupRun again = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_EQ(again.summary.orphans_found(), 0);

  // Moving them back restores the tree byte for byte.
  namespace fs = std::filesystem;
  fs::rename(batch + "/gone.bin", P("gone.bin"));
  fs::rename(batch + "/sub/gone2.json", P("sub/gone2.json"));
  fs::remove_all(P(".sidecard-quarantine"));
  EXPECT_EQ(ListTree(tree_.root()), before);
}

TEST_F(CleanupTest, MinAgeKeepsAFreshOrphan) {
  tree_.WriteBin("old.bin", kFaceDoc);
  tree_.SetMtime("old.bin", std::time(nullptr) - 2 * 24 * 3600);
  tree_.WriteBin("fresh.bin", kFaceDoc);

  const CleanupRun dry = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DRY_RUN, 3600);
  EXPECT_THAT(CleanupActions(dry),
              ElementsAre(Pair(P("fresh.bin"), "CLEANUP_ACTION_SKIPPED_TOO_RECENT"),
                          Pair(P("old.bin"), "CLEANUP_ACTION_WOULD_REMOVE")));

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE, 3600);
  EXPECT_THAT(CleanupActions(run),
              ElementsAre(Pair(P("fresh.bin"), "CLEANUP_ACTION_SKIPPED_TOO_RECENT"),
                          Pair(P("old.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_EQ(run.summary.orphans_found(), 2);
  EXPECT_EQ(run.summary.removed(), 1);
  EXPECT_EQ(run.summary.skipped(), 1);
  EXPECT_TRUE(tree_.Exists("fresh.bin"));
  EXPECT_FALSE(tree_.Exists("old.bin"));
}

TEST_F(CleanupTest, SymlinkToAnExistingImageCountsAsTheImage) {
  tree_.WriteFile("orig/l.jpg", "jpeg");
  tree_.Symlink("l.jpg", "orig/l.jpg");
  tree_.WriteBin("l.bin", kFaceDoc);
  tree_.Symlink("m.jpg", "orig/missing.jpg");  // broken: not an image
  tree_.WriteBin("m.bin", kFaceDoc);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("m.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_TRUE(tree_.Exists("l.bin"));
  EXPECT_TRUE(tree_.Exists("m.jpg"));
  EXPECT_FALSE(tree_.Exists("m.bin"));
}

TEST_F(CleanupTest, DirectorySymlinkOutOfTheRootIsNotFollowed) {
  testing::TempTree outside;
  outside.WriteBin("o.bin", kFaceDoc);
  ShareWithDaemon(outside.root());
  tree_.Symlink("escape", outside.root());
  tree_.WriteBin("i.bin", kFaceDoc);

  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("i.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_TRUE(outside.Exists("o.bin"));
}

TEST_F(CleanupTest, NonRecursiveCleansOnlyTheTopFolder) {
  tree_.WriteBin("top.bin", kFaceDoc);
  tree_.WriteBin("sub/deep.bin", kFaceDoc);
  v1::CleanupRequest request;
  request.set_root(tree_.root());
  request.set_mode(v1::CLEANUP_MODE_DELETE);
  request.set_non_recursive(true);
  const CleanupRun run = Cleanup(request);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(CleanupActions(run), ElementsAre(Pair(P("top.bin"), "CLEANUP_ACTION_DELETED")));
  EXPECT_TRUE(tree_.Exists("sub/deep.bin"));
}

TEST_F(CleanupTest, NothingToDoOnACleanTree) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  const CleanupRun run = CleanupOk(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_THAT(run.results, IsEmpty());
  EXPECT_EQ(run.summary.orphans_found(), 0);
  EXPECT_EQ(run.summary.sidecars_examined(), 1);
  EXPECT_TRUE(tree_.Exists("a.bin"));
}

}  // namespace
}  // namespace sidecard::testing
