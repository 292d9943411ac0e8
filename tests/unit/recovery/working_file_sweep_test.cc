#include "server/engine/recovery/working_file_sweep.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "server/engine/fs/atomic_file.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr time_t kHourAgo = 3600;

class WorkingFileSweepTest : public ::testing::Test {
 protected:
  // A working file `rel` with `bytes`, made old enough to be a stray.
  void Stray(const std::string& rel, const std::string& bytes) {
    tree_.WriteFile(rel, bytes);
    tree_.SetMtime(rel, time(nullptr) - kHourAgo);
  }

  SweepFigures Sweep(bool dry_run = false) {
    auto roots = AllowedRoots::Create({tree_.root()});
    EXPECT_TRUE(roots.ok()) << roots.status();
    SweepOptions options;
    options.dry_run = dry_run;
    options.on_file = [this](const std::string& path, const WorkingFile&,
                             const StrayResolution& resolution) {
      outcomes_[path.substr(tree_.root().size() + 1)] = resolution;
    };
    return SweepWorkingFiles(*roots, options, &progress_);
  }

  // Every entry of directory `rel`, sorted, to compare before and after.
  std::string Listing(const std::string& rel) {
    std::string out;
    for (const std::string& name : Names(rel)) out += name + "\n";
    return out;
  }

  std::vector<std::string> Names(const std::string& rel) {
    std::vector<std::string> names;
    DIR* dir = opendir(tree_.Path(rel).c_str());
    while (const dirent* entry = dir != nullptr ? readdir(dir) : nullptr) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    if (dir != nullptr) closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  sidecard::testing::TempTree tree_;
  SweepProgress progress_;
  std::map<std::string, StrayResolution> outcomes_;
};

TEST_F(WorkingFileSweepTest, OldTemporaryFilesGoFreshOnesStay) {
  tree_.WriteFile("a/IMG_1.jpg", "jpeg");
  tree_.WriteFile("a/IMG_1.bin", "the saved sidecar");
  Stray("a/.sidecard-tmp-IMG_1.bin.123.0", "half a write");
  Stray("a/b/.sidecard-tmp-IMG_2.json.123.1", "");  // a crash before any byte
  tree_.WriteFile("a/.sidecard-tmp-IMG_1.bin.456.0", "a write in progress");

  const SweepFigures figures = Sweep();
  EXPECT_TRUE(figures.finished);
  EXPECT_EQ(figures.working_files, 3);
  EXPECT_EQ(figures.strays, 2);
  EXPECT_EQ(figures.removed, 2);
  EXPECT_FALSE(tree_.Exists("a/.sidecard-tmp-IMG_1.bin.123.0"));
  EXPECT_FALSE(tree_.Exists("a/b/.sidecard-tmp-IMG_2.json.123.1"));
  EXPECT_TRUE(tree_.Exists("a/.sidecard-tmp-IMG_1.bin.456.0"));
  EXPECT_EQ(outcomes_["a/.sidecard-tmp-IMG_1.bin.456.0"].outcome, StrayOutcome::kTooRecent);
  EXPECT_EQ(tree_.ReadFile("a/IMG_1.bin"), "the saved sidecar");
  EXPECT_EQ(progress_.Get().removed, 2);
  EXPECT_TRUE(progress_.Get().finished);
}

TEST_F(WorkingFileSweepTest, HeldFilesAreRestoredKeptAsConflictsOrDroppedWhenIdentical) {
  Stray(".sidecard-held-free.bin.9.0", "only copy");
  tree_.WriteFile("taken.bin", "newer content");
  Stray(".sidecard-held-taken.bin.9.1", "older content");
  tree_.WriteFile("same.bin", "same bytes");
  Stray(".sidecard-held-same.bin.9.2", "same bytes");
  tree_.WriteFile(".sidecard-held-fresh.bin.9.3", "being replaced right now");

  const SweepFigures figures = Sweep();
  EXPECT_EQ(figures.working_files, 4);
  EXPECT_EQ(figures.strays, 3);
  EXPECT_EQ(figures.restored, 1);
  EXPECT_EQ(figures.kept_as_conflict, 1);
  EXPECT_EQ(figures.removed, 1);
  EXPECT_EQ(figures.failed, 0);

  EXPECT_EQ(tree_.ReadFile("free.bin"), "only copy");
  EXPECT_EQ(tree_.ReadFile("taken.bin"), "newer content");
  EXPECT_EQ(tree_.ReadFile("same.bin"), "same bytes");
  const StrayResolution& conflict = outcomes_[".sidecard-held-taken.bin.9.1"];
  EXPECT_EQ(conflict.outcome, StrayOutcome::kKeptAsConflict);
  EXPECT_THAT(conflict.new_name, StartsWith("taken.bin.conflict-"));
  EXPECT_EQ(tree_.ReadFile(conflict.new_name), "older content");
  EXPECT_THAT(outcomes_[".sidecard-held-same.bin.9.2"].note, HasSubstr("identical to same.bin"));
  EXPECT_TRUE(tree_.Exists(".sidecard-held-fresh.bin.9.3"));
  // Nothing else is left of the held files.
  EXPECT_EQ(Listing(""), ".sidecard-held-fresh.bin.9.3\nfree.bin\nsame.bin\ntaken.bin\n" +
                             conflict.new_name + "\n");
}

TEST_F(WorkingFileSweepTest, TwoHeldCopiesOfOneNameGetTwoConflictNames) {
  tree_.WriteFile("x.bin", "current");
  Stray(".sidecard-held-x.bin.1.0", "first");
  Stray(".sidecard-held-x.bin.2.0", "second");
  const SweepFigures figures = Sweep();
  EXPECT_EQ(figures.kept_as_conflict, 2);
  EXPECT_EQ(Names("").size(), 3u);
  EXPECT_EQ(tree_.ReadFile("x.bin"), "current");
}

TEST_F(WorkingFileSweepTest, AHeldFileWhoseNameIsASymlinkOrFolderIsKeptAsAConflict) {
  tree_.WriteFile("elsewhere.bin", "not ours");
  tree_.Symlink("link.bin", "elsewhere.bin");
  Stray(".sidecard-held-link.bin.1.0", "not ours");  // identical to the target, but via a link
  tree_.MakeDir("dir.bin");
  Stray(".sidecard-held-dir.bin.1.0", "content");
  const SweepFigures figures = Sweep();
  EXPECT_EQ(figures.kept_as_conflict, 2);
  EXPECT_EQ(tree_.ReadFile("elsewhere.bin"), "not ours");
  EXPECT_FALSE(tree_.Exists(".sidecard-held-link.bin.1.0"));
}

TEST_F(WorkingFileSweepTest, DryRunChangesNothing) {
  Stray(".sidecard-tmp-a.bin.1.0", "x");
  Stray(".sidecard-held-b.bin.1.0", "y");
  const std::string before = Listing("");
  const SweepFigures figures = Sweep(/*dry_run=*/true);
  EXPECT_TRUE(figures.dry_run);
  EXPECT_EQ(figures.strays, 2);
  EXPECT_EQ(figures.removed, 0);
  EXPECT_EQ(figures.restored, 0);
  EXPECT_EQ(Listing(""), before);
  EXPECT_EQ(outcomes_[".sidecard-held-b.bin.1.0"].outcome, StrayOutcome::kRestored);
  EXPECT_FALSE(outcomes_[".sidecard-held-b.bin.1.0"].done);
}

TEST_F(WorkingFileSweepTest, NeverLeavesTheRootNorEntersTheQuarantine) {
  sidecard::testing::TempTree outside;
  outside.WriteFile(".sidecard-tmp-a.bin.1.0", "outside");
  outside.SetMtime(".sidecard-tmp-a.bin.1.0", time(nullptr) - kHourAgo);
  tree_.Symlink("linked", outside.root());
  Stray(".sidecard-quarantine/20250101T000000Z/.sidecard-tmp-q.bin.1.0", "quarantined");
  // Symlinks with our names are someone else's.
  tree_.WriteFile("target.bin", "t");
  tree_.Symlink(".sidecard-tmp-link.bin.1.0", "target.bin");

  const SweepFigures figures = Sweep();
  EXPECT_EQ(figures.working_files, 0);
  EXPECT_TRUE(outside.Exists(".sidecard-tmp-a.bin.1.0"));
  EXPECT_TRUE(tree_.Exists(".sidecard-quarantine/20250101T000000Z/.sidecard-tmp-q.bin.1.0"));
  EXPECT_TRUE(tree_.Exists(".sidecard-tmp-link.bin.1.0"));
  EXPECT_TRUE(tree_.Exists("target.bin"));
}

TEST_F(WorkingFileSweepTest, StopsWhenAsked) {
  for (int i = 0; i < 20; ++i) Stray("d" + std::to_string(i) + "/.sidecard-tmp-a.bin.1.0", "x");
  auto roots = AllowedRoots::Create({tree_.root()});
  ASSERT_TRUE(roots.ok());
  int asked = 0;
  SweepOptions options;
  options.stop = [&asked] { return ++asked > 5; };
  const SweepFigures figures = SweepWorkingFiles(*roots, options, nullptr);
  EXPECT_FALSE(figures.finished);
  EXPECT_LT(figures.removed, 20);
}

TEST_F(WorkingFileSweepTest, ARootInsideAnotherIsSweptOnce) {
  Stray("inner/.sidecard-tmp-a.bin.1.0", "x");
  auto roots = AllowedRoots::Create({tree_.root(), tree_.Path("inner")});
  ASSERT_TRUE(roots.ok());
  const SweepFigures figures = SweepWorkingFiles(*roots, {}, nullptr);
  EXPECT_EQ(figures.working_files, 1);
  EXPECT_EQ(figures.removed, 1);
}

}  // namespace
}  // namespace sidecard::engine
