// DirectoryResults on real directories with a real inotify watcher: a tally
// is answered only for the generation it was made at, never for a directory
// holding a symlink, and within its memory bound.
#include "server/engine/cache/tally_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "server/engine/cache/directory_watcher.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

struct CountTally : DirectoryTally {
  explicit CountTally(int64_t value) : count(value) {}
  int64_t count;
  size_t bytes() const override { return sizeof(*this); }
};

class DirectoryResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto watcher = DirectoryWatcher::Create();
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    watcher_ = *std::move(watcher);
    tree_.WriteFile("a/IMG_1.jpg", "");
    tree_.WriteFile("a/IMG_1.json", "{}");
    tree_.WriteFile("b/IMG_2.jpg", "");
  }

  // Scans `rel` the way a walk does: watched, then listed.
  DirectoryScan Scan(const std::string& rel) {
    watcher_->Sync();
    UniqueFd fd(open(tree_.Path(rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    ScanOptions options;
    options.watcher = watcher_.get();
    auto scan = ScanDirectory(std::move(fd), rel, tree_.Path(rel), options);
    EXPECT_TRUE(scan.ok()) << scan.status();
    return *std::move(scan);
  }

  static int64_t CountOf(const std::shared_ptr<const DirectoryTally>& tally) {
    return tally == nullptr ? -1 : static_cast<const CountTally&>(*tally).count;
  }

  sidecard::testing::TempTree tree_;
  std::unique_ptr<DirectoryWatcher> watcher_;
};

TEST_F(DirectoryResultsTest, AnswersOnlyTheGenerationItWasMadeAt) {
  DirectoryResults results(1 << 20);
  const DirectoryScan first = Scan("a");
  ASSERT_TRUE(DirectoryResults::Rememberable(first));
  results.Store(first, "q", std::make_shared<CountTally>(7));
  EXPECT_EQ(CountOf(results.Find(Scan("a"), "q")), 7);
  EXPECT_EQ(CountOf(results.Find(Scan("a"), "other question")), -1);
  EXPECT_EQ(results.hits(), 1);

  tree_.WriteFile("a/IMG_1.json", "{\"x\":1}");  // an event in `a`
  EXPECT_EQ(CountOf(results.Find(Scan("a"), "q")), -1);
  // `b` is another directory, with its own tally.
  EXPECT_EQ(CountOf(results.Find(Scan("b"), "q")), -1);
}

TEST_F(DirectoryResultsTest, IsNotStoredWhenTheDirectoryChangedMeanwhile) {
  DirectoryResults results(1 << 20);
  const DirectoryScan scan = Scan("a");
  tree_.WriteFile("a/IMG_1.json", "{\"x\":1}");
  watcher_->Sync();  // the event is applied before the tally is complete
  results.Store(scan, "q", std::make_shared<CountTally>(7));
  EXPECT_EQ(results.tallies(), 0);
}

TEST_F(DirectoryResultsTest, ADirectoryWithASymlinkIsNeverRemembered) {
  tree_.Symlink("a/IMG_9.jpg", "../b/IMG_2.jpg");
  DirectoryResults results(1 << 20);
  const DirectoryScan scan = Scan("a");
  EXPECT_FALSE(DirectoryResults::Rememberable(scan));
  results.Store(scan, "q", std::make_shared<CountTally>(7));
  EXPECT_EQ(results.tallies(), 0);
  EXPECT_EQ(CountOf(results.Find(Scan("a"), "q")), -1);
}

TEST_F(DirectoryResultsTest, WithoutAWatchNothingIsRemembered) {
  UniqueFd fd(open(tree_.Path("a").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto scan = ScanDirectory(std::move(fd), "a", tree_.Path("a"), ScanOptions{});
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(DirectoryResults::Rememberable(*scan));
}

TEST_F(DirectoryResultsTest, StaysWithinItsBoundDroppingTheLeastRecentlyUsed) {
  for (int i = 0; i < 20; ++i) tree_.MakeDir("d" + std::to_string(i));
  // Room for a few tallies only.
  DirectoryResults results(4 * (sizeof(CountTally) + 300));
  for (int i = 0; i < 20; ++i) {
    results.Store(Scan("d" + std::to_string(i)), "q", std::make_shared<CountTally>(i));
  }
  EXPECT_LE(results.bytes(), static_cast<int64_t>(results.max_bytes()));
  EXPECT_LT(results.tallies(), 20);
  EXPECT_GT(results.tallies(), 0);
  EXPECT_EQ(CountOf(results.Find(Scan("d19"), "q")), 19);  // the newest stays
  EXPECT_EQ(CountOf(results.Find(Scan("d0"), "q")), -1);   // the oldest went first
}

}  // namespace
}  // namespace sidecard::engine
