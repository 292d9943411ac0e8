// Cleanup and the daemon's working files: listed, resolved only outside a
// dry run, never touched while younger than the write window.
#include "server/engine/recovery/working_file_cleanup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class WorkingFileCleanupTest : public EngineHarness {
 protected:
  void SetUp() override {
    tree_.WriteFile("IMG_1.jpg", "jpeg");
    tree_.WriteBin("IMG_1.bin", MergedDocument());
    tree_.WriteFile("orphan.json", MergedDocument());
    Stray(".sidecard-tmp-IMG_1.bin.7.0", "half");
    Stray("sub/.sidecard-tmp-IMG_2.bin.7.1", "");
    tree_.WriteFile("sub/.sidecard-tmp-IMG_3.bin.8.0", "in progress");
    Stray(".sidecard-held-gone.bin.7.2", "only copy");
    tree_.WriteBin("taken.bin", MergedDocument(2, 0));
    tree_.WriteFile("taken.jpg", "jpeg");
    Stray(".sidecard-held-taken.bin.7.3", "older");
  }

  void Stray(const std::string& rel, const std::string& bytes) {
    tree_.WriteFile(rel, bytes);
    tree_.SetMtime(rel, time(nullptr) - 3600);
  }

  CleanupRun Run(CleanupMode mode) {
    CleanupOptions options;
    options.mode = mode;
    return Cleanup(options);
  }
};

TEST_F(WorkingFileCleanupTest, DryRunSaysWhatWouldHappenAndChangesNothing) {
  const CleanupRun run = Run(CleanupMode::kDryRun);
  EXPECT_EQ(run.summary.working_files, 5);
  EXPECT_EQ(run.summary.stray_working_files, 4);
  EXPECT_EQ(run.summary.working_files_removed, 2);
  EXPECT_EQ(run.summary.working_files_restored, 1);
  EXPECT_EQ(run.summary.working_files_kept_as_conflict, 1);
  // Orphan figures are of orphans only.
  EXPECT_EQ(run.summary.orphans_found, 1);
  EXPECT_EQ(run.summary.skipped, 0);

  const CleanupResult* tmp = run.For(".sidecard-tmp-IMG_1.bin.7.0");
  ASSERT_NE(tmp, nullptr);
  EXPECT_TRUE(tmp->working_file);
  EXPECT_EQ(tmp->action, CleanupAction::kWouldRemove);
  const CleanupResult* fresh = run.For("sub/.sidecard-tmp-IMG_3.bin.8.0");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->action, CleanupAction::kSkippedTooRecent);
  const CleanupResult* restore = run.For(".sidecard-held-gone.bin.7.2");
  ASSERT_NE(restore, nullptr);
  EXPECT_EQ(restore->action, CleanupAction::kWouldRestore);
  EXPECT_EQ(restore->destination, tree_.Path("gone.bin"));
  const CleanupResult* conflict = run.For(".sidecard-held-taken.bin.7.3");
  ASSERT_NE(conflict, nullptr);
  EXPECT_EQ(conflict->action, CleanupAction::kWouldKeepAsConflict);
  EXPECT_THAT(conflict->destination, StartsWith(tree_.Path("taken.bin.conflict-")));

  EXPECT_TRUE(tree_.Exists(".sidecard-tmp-IMG_1.bin.7.0"));
  EXPECT_TRUE(tree_.Exists("sub/.sidecard-tmp-IMG_2.bin.7.1"));
  EXPECT_TRUE(tree_.Exists(".sidecard-held-gone.bin.7.2"));
  EXPECT_FALSE(tree_.Exists("gone.bin"));
}

TEST_F(WorkingFileCleanupTest, ResultsStayInSortedPathOrder) {
  const CleanupRun run = Run(CleanupMode::kDryRun);
  ASSERT_EQ(run.results.size(), 6u);  // 5 working files and the orphan
  for (size_t i = 1; i < run.results.size(); ++i) {
    EXPECT_LT(run.results[i - 1].path, run.results[i].path);
  }
}

TEST_F(WorkingFileCleanupTest, DeleteResolvesStraysAndLeavesFreshOnes) {
  const std::string taken = tree_.ReadFile("taken.bin");
  const CleanupRun run = Run(CleanupMode::kDelete);
  EXPECT_EQ(run.summary.failed, 0);
  EXPECT_EQ(run.summary.removed, 1);  // the orphan
  EXPECT_EQ(run.summary.working_files_removed, 2);
  EXPECT_FALSE(tree_.Exists(".sidecard-tmp-IMG_1.bin.7.0"));
  EXPECT_FALSE(tree_.Exists("sub/.sidecard-tmp-IMG_2.bin.7.1"));
  EXPECT_TRUE(tree_.Exists("sub/.sidecard-tmp-IMG_3.bin.8.0"));
  EXPECT_EQ(run.For(".sidecard-tmp-IMG_1.bin.7.0")->action, CleanupAction::kDeleted);
  // The held copy is back under its name, and the restored file is not
  // judged an orphan in the same run.
  EXPECT_EQ(run.For(".sidecard-held-gone.bin.7.2")->action, CleanupAction::kRestored);
  EXPECT_EQ(tree_.ReadFile("gone.bin"), "only copy");
  const CleanupResult* conflict = run.For(".sidecard-held-taken.bin.7.3");
  EXPECT_EQ(conflict->action, CleanupAction::kKeptAsConflict);
  EXPECT_EQ(tree_.ReadFile(Relative(conflict->destination)), "older");
  EXPECT_EQ(tree_.ReadFile("taken.bin"), taken);
  EXPECT_TRUE(tree_.Exists("IMG_1.bin"));
}

TEST_F(WorkingFileCleanupTest, QuarantineMovesTemporaryStraysIntoTheBatch) {
  const CleanupRun run = Run(CleanupMode::kQuarantine);
  EXPECT_EQ(run.summary.failed, 0);
  const CleanupResult* root_tmp = run.For(".sidecard-tmp-IMG_1.bin.7.0");
  ASSERT_NE(root_tmp, nullptr);
  EXPECT_EQ(root_tmp->action, CleanupAction::kQuarantined);
  EXPECT_EQ(root_tmp->destination, run.summary.quarantine_dir + "/.sidecard-tmp-IMG_1.bin.7.0");
  EXPECT_EQ(tree_.ReadFile(Relative(root_tmp->destination)), "half");
  const CleanupResult* sub_tmp = run.For("sub/.sidecard-tmp-IMG_2.bin.7.1");
  EXPECT_EQ(sub_tmp->destination, run.summary.quarantine_dir + "/sub/.sidecard-tmp-IMG_2.bin.7.1");
  EXPECT_TRUE(tree_.Exists(Relative(sub_tmp->destination)));
  EXPECT_FALSE(tree_.Exists(".sidecard-tmp-IMG_1.bin.7.0"));
  // Held strays are resolved as with --delete: nothing of theirs is lost.
  EXPECT_EQ(tree_.ReadFile("gone.bin"), "only copy");
  // The quarantine is never walked: a later run finds only the fresh one.
  const CleanupRun again = Run(CleanupMode::kDryRun);
  EXPECT_EQ(again.summary.working_files, 1);
}

TEST_F(WorkingFileCleanupTest, AHeldFileIdenticalToItsNameIsRemoved) {
  tree_.WriteFile("same.bin", "same");
  Stray(".sidecard-held-same.bin.7.9", "same");
  const CleanupRun run = Run(CleanupMode::kDelete);
  const CleanupResult* same = run.For(".sidecard-held-same.bin.7.9");
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(same->action, CleanupAction::kDeleted);
  EXPECT_THAT(same->error, HasSubstr("identical to same.bin"));
  EXPECT_EQ(tree_.ReadFile("same.bin"), "same");
}

TEST_F(WorkingFileCleanupTest, NonRecursiveLooksOnlyAtTheRoot) {
  CleanupOptions options;
  options.recursive = false;
  const CleanupRun run = Cleanup(options);
  EXPECT_EQ(run.summary.working_files, 3);
  EXPECT_EQ(run.For("sub/.sidecard-tmp-IMG_2.bin.7.1"), nullptr);
}

}  // namespace
}  // namespace sidecard::engine
