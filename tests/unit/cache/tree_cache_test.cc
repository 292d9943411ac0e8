#include "server/engine/cache/tree_cache.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/library/directory_scan.h"
#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

// Everything Validate and Stats say about a tree, as text, so a cached
// answer can be compared with a cold one in full.
std::string Describe(const std::vector<ValidatedFile>& files, const TreeStats& stats) {
  std::ostringstream out;
  for (const ValidatedFile& file : files) {
    const SidecarInspection& inspection = *file.inspection;
    out << file.path << " valid=" << inspection.valid() << " error=" << inspection.FirstError()
        << " size=" << inspection.stamp.size << " detections=" << inspection.facts.detection_count()
        << " image=" << file.image_path.value_or("-") << " ops=";
    for (const auto& op : inspection.facts.operations) out << op << ",";
    out << "\n";
  }
  out << "images=" << stats.total_images << " sidecars=" << stats.total_sidecars
      << " coverage=" << stats.coverage_percentage << " faces=" << stats.faces_found
      << " objects=" << stats.objects_found << " invalid=" << stats.invalid_sidecars
      << " orphans=" << stats.orphaned_sidecars << " symlinks=" << stats.symlink_count
      << " broken=" << stats.broken_symlinks << " working=" << stats.working_files
      << " strays=" << stats.stray_working_files << "\n";
  for (const auto& [op, count] : stats.operation_counts) out << op << "=" << count << "\n";
  for (const auto& [op, time] : stats.avg_processing_times) out << op << " time=" << time << "\n";
  return out.str();
}

// Validate's summary, counts only.
std::string Describe(const ValidateSummary& summary) {
  std::ostringstream out;
  out << "total=" << summary.total_files << " valid=" << summary.valid_files
      << " invalid=" << summary.invalid_files << " foreign=" << summary.foreign_files
      << " filtered=" << summary.filtered_out << " orphans=" << summary.orphans
      << " working=" << summary.working_files << " strays=" << summary.stray_working_files;
  for (const auto& [format, count] : summary.by_format) out << " " << format << "=" << count;
  for (const auto& [op, count] : summary.by_operation) out << " " << op << "=" << count;
  return out.str() + "\n";
}

// How the cache proves entries: by stamps only, by inotify watches, by
// watches capped at one (the root), so deeper directories fall back to
// stamps, or with watching on but the tree on a filesystem whose changes
// inotify may not see (as NFS, SMB or FUSE), so every directory falls back.
enum class Proof { kStamps, kWatch, kOneWatch, kNoEvents };

bool WatchesProve(Proof proof) { return proof == Proof::kWatch || proof == Proof::kOneWatch; }

std::unique_ptr<DirectoryWatcher> WatcherFor(Proof proof) {
  if (proof == Proof::kStamps) return nullptr;
  WatchPolicy policy = InotifySeesEveryChange;
  if (proof == Proof::kNoEvents) policy = [](int64_t) { return false; };
  auto watcher = DirectoryWatcher::Create(proof == Proof::kOneWatch ? 1 : 0, policy);
  EXPECT_TRUE(watcher.ok()) << watcher.status();
  return watcher.ok() ? *std::move(watcher) : nullptr;
}

class TreeCacheTest : public EngineHarness, public ::testing::WithParamInterface<Proof> {
 protected:
  TreeCacheTest()
      : cache_({64 << 20, 1 << 20}, WatcherFor(GetParam())), watcher_(cache_.watcher()) {}

  std::string Answer(TreeCache& cache) {
    EngineContext context{&pool_, &cache, &roots_};
    std::vector<ValidatedFile> files;
    auto summary = ValidateTree(tree_.root(), {}, context, Cancellation(),
                                [&](std::span<const ValidatedFile> batch) {
                                  files.insert(files.end(), batch.begin(), batch.end());
                                  return true;
                                });
    EXPECT_TRUE(summary.ok()) << summary.status();
    auto stats = ComputeStats(tree_.root(), {}, context, Cancellation());
    EXPECT_TRUE(stats.ok()) << stats.status();
    std::string answer = Describe(files, stats.ok() ? *stats : TreeStats{});
    // A full report that remembers each file's encoded report (as the
    // service's does): a remembered one must say what encoding it now would.
    ValidateOptions remembering;
    remembering.encode_report = [](const ValidatedFile& file) {
      std::ostringstream memo;
      memo << "valid=" << file.inspection->valid() << " error=" << file.inspection->FirstError()
           << " detections=" << file.inspection->facts.detection_count()
           << " orphan=" << file.orphan() << " ops=" << file.inspection->facts.operations.size();
      return memo.str();
    };
    auto reported = ValidateTree(tree_.root(), remembering, context, Cancellation(),
                                 [&](std::span<const ValidatedFile> batch) {
                                   for (const ValidatedFile& file : batch) {
                                     answer += file.path + " " + std::string(file.report_memo) +
                                               " size=" + std::to_string(file.size_bytes) +
                                               " image=" + file.image_path.value_or("-") + "\n";
                                   }
                                   return true;
                                 });
    EXPECT_TRUE(reported.ok()) << reported.status();
    if (reported.ok()) answer += Describe(*reported);
    // Summary only: the form answered from remembered directory tallies.
    for (const char* filter : {"", "yolov8"}) {
      ValidateOptions options;
      options.summary_only = true;
      options.counting.operation_filter = filter;
      auto counted = ValidateTree(tree_.root(), options, context, Cancellation(),
                                  [](std::span<const ValidatedFile>) { return true; });
      EXPECT_TRUE(counted.ok()) << counted.status();
      if (counted.ok()) answer += Describe(*counted);
      auto filtered = ComputeStats(tree_.root(), {.counting = {.operation_filter = filter}},
                                   context, Cancellation());
      EXPECT_TRUE(filtered.ok()) << filtered.status();
      if (filtered.ok()) answer += Describe({}, *filtered);
    }
    return answer;
  }

  // The cached answer must equal a cold one (a cache that remembers nothing).
  void ExpectWarmEqualsCold() {
    TreeCache cold({});
    EXPECT_EQ(Answer(cache_), Answer(cold));
  }

  void PrintFigures() {
    const CacheFigures f = cache_.figures();
    std::cout << "hits " << f.hits << " (by watch " << f.watched_hits << "), misses " << f.misses
              << ", watches " << f.watches << ", overflows " << f.watch_overflows << "\n";
  }

  TreeCache cache_;
  DirectoryWatcher* const watcher_;  // the cache's; null when proving by stamps
};

std::string ProofName(const ::testing::TestParamInfo<Proof>& info) {
  switch (info.param) {
    case Proof::kStamps:
      return "Stamps";
    case Proof::kWatch:
      return "Watch";
    case Proof::kOneWatch:
      return "OneWatch";
    case Proof::kNoEvents:
      return "NoEvents";
  }
  return "";
}

TEST_P(TreeCacheTest, HoldsOneEntryPerSidecarFile) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  tree_.WriteFile("b.jpg", "");
  tree_.WriteFile("b.json", MergedDocument(2, 2));
  Answer(cache_);
  const CacheFigures first = cache_.figures();
  EXPECT_EQ(first.entries, 2);
  EXPECT_GT(first.bytes, 0);
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheTest, RecentlyChangedFilesAreNotTrustedByStamp) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  Answer(cache_);
  Answer(cache_);
  PrintFigures();
  // Just written: within the racy window, so every question re-reads it,
  // unless a watch proves nothing happened since it was read.
  if (!WatchesProve(GetParam())) {
    EXPECT_EQ(cache_.figures().hits, 0);
  } else {
    EXPECT_EQ(cache_.figures().hits, cache_.figures().watched_hits);
    EXPECT_GT(cache_.figures().watched_hits, 0);
  }
}

TEST_P(TreeCacheTest, RewriteWithinTheRacyWindowIsSeen) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument(1, 1));
  struct stat st {};
  ASSERT_EQ(stat(tree_.Path("a.json").c_str(), &st), 0);
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
  tree_.WriteFile("a.json", MergedDocument(2, 1).substr(0, static_cast<size_t>(st.st_size)));
  tree_.SetMtime("a.json", st.st_mtim.tv_sec);
  ExpectWarmEqualsCold();
  PrintFigures();
}

// The cache trusts a stamp only once the file's change time is older than
// the racy window; these tests wait that long once, then change files.
class TreeCacheChangeTest : public TreeCacheTest {
 protected:
  void SetUp() override {
    tree_.WriteFile("2025/g1/IMG_1.jpg", "");
    tree_.WriteBin("2025/g1/IMG_1.bin", MergedDocument(1, 1));
    tree_.WriteFile("2025/g1/IMG_2.jpg", "");
    tree_.WriteFile("2025/g1/IMG_2.json", MergedDocument(2, 0));
    tree_.WriteFile("2025/g2/deep/er/IMG_3.jpg", "");
    tree_.WriteFile("2025/g2/deep/er/IMG_3.json", MergedDocument(3, 3));
    tree_.Symlink("games/link.jpg", "../2025/g1/IMG_1.jpg");
    absl::SleepFor(MetadataCache::kRacyWindow + absl::Milliseconds(100));
    ExpectWarmEqualsCold();
    ASSERT_GT(cache_.figures().entries, 0);
    const int64_t hits_before = cache_.figures().hits;
    ExpectWarmEqualsCold();
    ASSERT_GT(cache_.figures().hits, hits_before);  // really answering from memory
  }
  void TearDown() override { PrintFigures(); }
};

TEST_P(TreeCacheChangeTest, ContentChangedWithSizeAndMtimeRestoredIsSeen) {
  const std::string before = tree_.ReadFile("2025/g1/IMG_2.json");
  struct stat st {};
  ASSERT_EQ(stat(tree_.Path("2025/g1/IMG_2.json").c_str(), &st), 0);
  // Same length, different content (success true → false is one letter more:
  // swap two digits instead).
  std::string after = before;
  const size_t digit = after.find("1.5");
  ASSERT_NE(digit, std::string::npos);
  after.replace(digit, 3, "9.5");
  tree_.WriteFile("2025/g1/IMG_2.json", after);
  tree_.SetMtime("2025/g1/IMG_2.json", st.st_mtim.tv_sec);  // like `touch -d` back
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, ReplaceByRenameIsSeen) {
  tree_.WriteFile("2025/g1/tmp", R"({"yolov8": {"success": false}})");
  ASSERT_EQ(rename(tree_.Path("2025/g1/tmp").c_str(), tree_.Path("2025/g1/IMG_2.json").c_str()), 0);
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, DeleteAndAddAreSeen) {
  ASSERT_EQ(unlink(tree_.Path("2025/g1/IMG_1.bin").c_str()), 0);
  tree_.WriteFile("2025/g1/IMG_9.json", MergedDocument(4, 4));
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, DeepChangeIsSeen) {
  tree_.WriteFile("2025/g2/deep/er/IMG_3.json", "[1]");
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, RepointedSymlinkIsSeen) {
  ASSERT_EQ(unlink(tree_.Path("games/link.jpg").c_str()), 0);
  tree_.Symlink("games/link.jpg", "../2025/g2/deep/er/IMG_3.jpg");
  ExpectWarmEqualsCold();
  ASSERT_EQ(unlink(tree_.Path("games/link.jpg").c_str()), 0);
  tree_.Symlink("games/link.jpg", "../2025/g1/missing.jpg");
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, RenamedDirectoryIsSeen) {
  ASSERT_EQ(rename(tree_.Path("2025/g2").c_str(), tree_.Path("2025/g3").c_str()), 0);
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, UnchangedDirectoriesAreNotListedAgain) {
  const int64_t listing_hits = cache_.figures().listing_hits;
  EXPECT_GE(cache_.figures().directories, 4);  // 2025, g1, g2/deep/er, games, ...
  ExpectWarmEqualsCold();
  EXPECT_GT(cache_.figures().listing_hits, listing_hits);
}

TEST_P(TreeCacheChangeTest, FileAddedWithDirectoryMtimeRestoredIsSeen) {
  struct stat st {};
  ASSERT_EQ(stat(tree_.Path("2025/g1").c_str(), &st), 0);
  tree_.WriteFile("2025/g1/IMG_7.jpg", "");
  tree_.WriteFile("2025/g1/IMG_7.json", MergedDocument(5, 5));
  // Modification time restored to the nanosecond; the change time still moves.
  const struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, tree_.Path("2025/g1").c_str(), times, 0), 0);
  ExpectWarmEqualsCold();
  // Again once the change is older than the racy window: the new listing is
  // remembered and still right.
  absl::SleepFor(MetadataCache::kRacyWindow + absl::Milliseconds(100));
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, ListingOfARecentlyChangedDirectoryIsNotKept) {
  const int64_t directories = cache_.figures().directories;
  tree_.WriteFile("2025/new/IMG_8.jpg", "");
  tree_.WriteFile("2025/new/IMG_8.json", MergedDocument(1, 0));
  ExpectWarmEqualsCold();
  // `2025` and `new` changed just now: `2025` is dropped, `new` not added.
  EXPECT_EQ(cache_.figures().directories, directories - 1);
  tree_.WriteFile("2025/new/IMG_9.jpg", "");
  ExpectWarmEqualsCold();
}

TEST_P(TreeCacheChangeTest, UnchangedWatchedDirectoriesNeedNoStat) {
  const int64_t watched_before = cache_.figures().watched_hits;
  ExpectWarmEqualsCold();
  const CacheFigures after = cache_.figures();
  if (!WatchesProve(GetParam())) {
    EXPECT_EQ(after.watches, 0);
    EXPECT_EQ(after.watched_hits, 0);
    // Every directory walked was refused for its filesystem, each time.
    if (GetParam() == Proof::kNoEvents) {
      EXPECT_GE(after.unwatchable_scans, 6);
    }
  } else if (GetParam() == Proof::kOneWatch) {
    EXPECT_EQ(after.watches, 1);  // the root; its subdirectories fall back to stamps
    EXPECT_EQ(after.watched_hits, watched_before);
  } else {
    EXPECT_GE(after.watches, 6);  // every directory walked
    EXPECT_GT(after.watched_hits, watched_before);
  }
}

// A summary or Stats of a tree where nothing changed is answered as a whole
// (subtree_answers.h): no directory is scanned, so no tally is even looked
// up; a change anywhere in the tree sends the next call back to the walk.
TEST_P(TreeCacheChangeTest, AnUnchangedTreeIsAnsweredWithoutAWalk) {
  // What a symlink leads to can change without an event in its directory,
  // so a tree holding one is never answered as a whole.
  ASSERT_EQ(std::remove(tree_.Path("games/link.jpg").c_str()), 0);
  EngineContext context{&pool_, &cache_, &roots_};
  ValidateOptions summary_only;
  summary_only.summary_only = true;
  const auto summary = [&] {
    auto counted = ValidateTree(tree_.root(), summary_only, context, Cancellation(),
                                [](std::span<const ValidatedFile>) { return true; });
    EXPECT_TRUE(counted.ok()) << counted.status();
    return counted.ok() ? Describe(*counted) : "";
  };
  summary();  // remembers the directories' tallies and, watched, the tree's answer
  const CacheFigures before = cache_.figures();
  summary();
  const CacheFigures after = cache_.figures();
  if (GetParam() == Proof::kWatch) {
    // Answered as a whole: no directory scanned, no tally looked up.
    EXPECT_EQ(after.directory_tally_hits, before.directory_tally_hits);
    EXPECT_EQ(after.listing_hits, before.listing_hits);
  } else {
    EXPECT_GT(after.listing_hits, before.listing_hits);  // walked again
  }
  // Any change in the tree: the next answer is walked, and equals a cold one.
  tree_.WriteFile("2025/g2/deep/er/IMG_3.json", MergedDocument(7, 1));
  ExpectWarmEqualsCold();
  tree_.WriteFile("2025/g2/deep/new/IMG_9.jpg", "");
  ExpectWarmEqualsCold();
  tree_.WriteFile("2025/g2/deep/new/IMG_9.json", MergedDocument(1, 1));
  ExpectWarmEqualsCold();
  ASSERT_EQ(std::rename(tree_.Path("2025/g2/deep/new").c_str(),
                        tree_.Path("2025/g2/deep/moved").c_str()),
            0);
  ExpectWarmEqualsCold();
}

// A full report that remembers encoded reports gives an unchanged watched
// directory's files from memory: none is inspected (looked up) again.
TEST_P(TreeCacheChangeTest, AFullReportOfUnchangedDirectoriesInspectsNothing) {
  EngineContext context{&pool_, &cache_, &roots_};
  ValidateOptions options;
  int encoded = 0;
  options.encode_report = [&encoded](const ValidatedFile& file) {
    ++encoded;
    return "valid=" + std::to_string(file.inspection->valid());
  };
  const auto full_report = [&] {
    std::string text;
    auto summary = ValidateTree(tree_.root(), options, context, Cancellation(),
                                [&](std::span<const ValidatedFile> batch) {
                                  for (const ValidatedFile& file : batch) {
                                    text += file.path + " " + std::string(file.report_memo) + "\n";
                                  }
                                  return true;
                                });
    EXPECT_TRUE(summary.ok()) << summary.status();
    return text;
  };
  const std::string first = full_report();
  const int encoded_first = encoded;  // 0 for Watch: the fixture's answers remembered them
  const CacheFigures before = cache_.figures();
  EXPECT_EQ(full_report(), first);
  const CacheFigures after = cache_.figures();
  if (GetParam() == Proof::kWatch) {
    EXPECT_EQ(after.hits + after.misses, before.hits + before.misses);
    EXPECT_EQ(encoded, encoded_first);
  } else {
    EXPECT_GT(after.hits + after.misses, before.hits + before.misses);
  }
  // A rewritten file is inspected and encoded again, and reported anew.
  tree_.WriteFile("2025/g2/deep/er/IMG_3.json", "{not json");
  const std::string changed = full_report();
  EXPECT_GT(encoded, encoded_first);
  EXPECT_NE(changed, first);
  EXPECT_THAT(changed, ::testing::HasSubstr("IMG_3.json valid=0"));
}

TEST_P(TreeCacheChangeTest, UnchangedWatchedDirectoriesAreCountedFromTheirTallies) {
  const CacheFigures before = cache_.figures();
  ExpectWarmEqualsCold();
  const CacheFigures after = cache_.figures();
  if (GetParam() == Proof::kWatch) {
    EXPECT_GT(after.directory_tallies, 0);
    EXPECT_GT(after.directory_tally_hits, before.directory_tally_hits);
  } else {
    // Without a watch on every directory holding sidecars, nothing proves a
    // directory unchanged as a whole.
    EXPECT_EQ(after.directory_tallies, 0);
    EXPECT_EQ(after.directory_tally_hits, 0);
  }
  // A change in one directory sends that directory, and only it, back to
  // its files.
  tree_.WriteFile("2025/g2/deep/er/IMG_3.json", MergedDocument(5, 1));
  ExpectWarmEqualsCold();
}

// Watch hits and misses of one Validate of `dir` (relative to the tree).
struct Looks {
  int64_t watched_hits;
  int64_t misses;
};

// Change tests that need every directory watched (per-entry events).
class TreeCacheWatchedChangeTest : public TreeCacheChangeTest {};

TEST_P(TreeCacheWatchedChangeTest, AChangedFileLeavesItsNeighboursProvenByTheWatch) {
  const auto validate_g1 = [&] {
    const CacheFigures before = cache_.figures();
    EngineContext context{&pool_, &cache_, &roots_};
    auto summary = ValidateTree(tree_.Path("2025/g1"), {}, context, Cancellation(),
                                [](std::span<const ValidatedFile>) { return true; });
    EXPECT_TRUE(summary.ok()) << summary.status();
    const CacheFigures after = cache_.figures();
    return Looks{after.watched_hits - before.watched_hits, after.misses - before.misses};
  };
  // IMG_2.json rewritten (and a temporary file come and gone beside it):
  // only it is read again; IMG_1.bin is still vouched for by the watch.
  tree_.WriteFile("2025/g1/.tmp-IMG_2.json", "{}");
  ASSERT_EQ(unlink(tree_.Path("2025/g1/.tmp-IMG_2.json").c_str()), 0);
  tree_.WriteFile("2025/g1/IMG_2.json", MergedDocument(7, 7));
  Looks looks = validate_g1();
  EXPECT_EQ(looks.misses, 1);
  EXPECT_EQ(looks.watched_hits, 1);
  ExpectWarmEqualsCold();
  // Past kMaxNames names in one directory, an event counts for every entry:
  // both files are checked by their stamps again (IMG_1.bin a hit, not a
  // watched one; IMG_2.json read again while it is within the racy window).
  for (int i = 0; i < 300; ++i) {
    const std::string name = "2025/g1/tmp" + std::to_string(i);
    tree_.WriteFile(name, "");
    ASSERT_EQ(unlink(tree_.Path(name).c_str()), 0);
  }
  looks = validate_g1();
  EXPECT_LE(looks.misses, 1);
  EXPECT_EQ(looks.watched_hits, 0);
  ExpectWarmEqualsCold();
}

// Lost events (a queue overflow) must not leave stale answers: the changes
// below are discarded unread, then reported as an overflow.
TEST_P(TreeCacheChangeTest, LostEventsFallBackToStamps) {
  const std::string before = tree_.ReadFile("2025/g1/IMG_2.json");
  struct stat st {};
  ASSERT_EQ(stat(tree_.Path("2025/g1/IMG_2.json").c_str(), &st), 0);
  std::string after = before;
  after.replace(after.find("1.5"), 3, "7.5");
  after.replace(after.find("true"), 4, "fals");  // still the same size
  tree_.WriteFile("2025/g1/IMG_2.json", after);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, tree_.Path("2025/g1/IMG_2.json").c_str(), times, 0), 0);
  if (watcher_ != nullptr) watcher_->LoseEventsForTesting();
  ExpectWarmEqualsCold();
  if (watcher_ != nullptr) {
    EXPECT_EQ(cache_.figures().watch_overflows, 1);
  }
}

// A file with a second link (here outside the tree) can be written where no
// watch sees it: such a file, once seen with its links, is always checked by
// stamp.
TEST_P(TreeCacheChangeTest, HardLinkedFilesAreCheckedByStamp) {
  sidecard::testing::TempTree outside;
  ASSERT_EQ(link(tree_.Path("2025/g1/IMG_2.json").c_str(), outside.Path("other.json").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(stat(outside.Path("other.json").c_str(), &st), 0);
  // A link made outside the watched directories after the file was proven
  // is an event nowhere the daemon looks (a documented limit of watching);
  // here the directory sees one, so the next question stats the file and
  // learns of the second link.
  const struct timespec same[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, tree_.Path("2025/g1/IMG_2.json").c_str(), same, 0), 0);
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
  const size_t at = tree_.ReadFile("2025/g1/IMG_2.json").find("true");
  ASSERT_NE(at, std::string::npos);
  const int fd = open(outside.Path("other.json").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "nope", 4, static_cast<off_t>(at)), 4);  // no longer JSON
  close(fd);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, outside.Path("other.json").c_str(), times, 0), 0);
  ExpectWarmEqualsCold();
}

// A link made after the file was proven, in another watched directory: the
// link's creation and the write through it are events of that directory
// only (inotify reports neither to the file's own). The new name is seen to
// be a file with other links, so nothing is trusted by watch until proven by
// stamp again, and the file's tally is not used.
TEST_P(TreeCacheChangeTest, ALinkMadeLaterInAWatchedDirectoryIsCaught) {
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();  // IMG_2 and g1's tally proven by watch, where watched
  const std::string original = tree_.Path("2025/g1/IMG_2.json");
  const std::string link_path = tree_.Path("2025/g2/IMG_2-backup.dat");
  ASSERT_EQ(link(original.c_str(), link_path.c_str()), 0);
  struct stat st {};
  ASSERT_EQ(stat(original.c_str(), &st), 0);
  const size_t at = tree_.ReadFile("2025/g1/IMG_2.json").find("true");
  ASSERT_NE(at, std::string::npos);
  const int fd = open(link_path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "nope", 4, static_cast<off_t>(at)), 4);  // no longer JSON
  close(fd);
  // Same size and modification time: only the change time tells.
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, link_path.c_str(), times, 0), 0);
  ExpectWarmEqualsCold();
  if (GetParam() == Proof::kWatch) {
    EXPECT_EQ(cache_.figures().watch_links_seen, 1);
  }
  // From now on the file has two links and is proven by stamp every time.
  ExpectWarmEqualsCold();
}

// The daemon's working files are counted from each directory's scan, never
// from a remembered listing or tally alone: one that appears, ages into a
// stray and goes is counted warm exactly as cold, and as it is.
TEST_P(TreeCacheChangeTest, WorkingFilesAreCountedAsTheyAreNow) {
  using Counts = std::pair<int64_t, int64_t>;  // working files, strays
  const EngineContext warm{&pool_, &cache_, &roots_};
  const auto counts = [&] {
    auto stats = ComputeStats(tree_.root(), {}, warm, Cancellation());
    EXPECT_TRUE(stats.ok()) << stats.status();
    ValidateOptions summary_only;
    summary_only.summary_only = true;
    auto summary = ValidateTree(tree_.root(), summary_only, warm, Cancellation(),
                                [](std::span<const ValidatedFile>) { return true; });
    EXPECT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->working_files, stats->working_files);
    EXPECT_EQ(summary->stray_working_files, stats->stray_working_files);
    return Counts(stats->working_files, stats->stray_working_files);
  };
  const std::string tmp = "2025/g1/.sidecard-tmp-IMG_1.bin.77.0";
  tree_.WriteFile(tmp, "partial");
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
  EXPECT_EQ(counts(), Counts(1, 0));
  tree_.SetMtime(tmp, time(nullptr) - 3600);  // past the 10-minute window
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
  EXPECT_EQ(counts(), Counts(1, 1));
  tree_.WriteFile("2025/g2/deep/er/.sidecard-held-IMG_3.json.77.1", "{}");
  ExpectWarmEqualsCold();
  EXPECT_EQ(counts(), Counts(2, 1));
  ASSERT_EQ(unlink(tree_.Path(tmp).c_str()), 0);
  ExpectWarmEqualsCold();
  ExpectWarmEqualsCold();
  EXPECT_EQ(counts(), Counts(1, 0));
}

INSTANTIATE_TEST_SUITE_P(Proofs, TreeCacheTest,
                         ::testing::Values(Proof::kStamps, Proof::kWatch, Proof::kOneWatch,
                                           Proof::kNoEvents),
                         ProofName);
INSTANTIATE_TEST_SUITE_P(Proofs, TreeCacheChangeTest,
                         ::testing::Values(Proof::kStamps, Proof::kWatch, Proof::kOneWatch,
                                           Proof::kNoEvents),
                         ProofName);
INSTANTIATE_TEST_SUITE_P(Proofs, TreeCacheWatchedChangeTest, ::testing::Values(Proof::kWatch),
                         ProofName);

TEST(TreeCacheBoundTest, StaysWithinItsMemoryBound) {
  sidecard::testing::TempTree tree;
  for (int i = 0; i < 400; ++i) {
    tree.WriteFile("f" + std::to_string(i) + ".json", MergedDocument(1, 1));
    tree.SetMtime("f" + std::to_string(i) + ".json", 1'700'000'000);
  }
  WorkerPool pool(2);
  auto roots = *AllowedRoots::Create({tree.root()});
  TreeCache cache({/*max_bytes=*/64 * 1024, 1 << 20});
  EngineContext context{&pool, &cache, &roots};
  for (int round = 0; round < 2; ++round) {
    auto stats = ComputeStats(tree.root(), {}, context, Cancellation());
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->orphaned_sidecars, 400);  // answers stay right while evicting
  }
  const CacheFigures figures = cache.figures();
  EXPECT_LE(figures.bytes, 64 * 1024);
  EXPECT_GT(figures.evictions, 0);
  EXPECT_LT(figures.entries, 400);
}

// A tally rests on the cache's own proof: it is kept only when every sidecar
// file of the scan was inspected through the cache and proven by the watch
// at the scan's generation, and it is served only under the same key to a
// scan of the same generation.
TEST(TreeCacheTallyTest, KeepsOnlyProvenTalliesAndServesThemByKeyAndGeneration) {
  sidecard::testing::TempTree tree;
  tree.WriteFile("a.jpg", "jpeg");
  tree.WriteFile("a.json", MergedDocument());
  tree.WriteFile("b.json", MergedDocument());
  auto watcher = DirectoryWatcher::Create(0);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  TreeCache cache({64 << 20, 1 << 20}, *std::move(watcher));
  auto roots = *AllowedRoots::Create({tree.root()});
  const auto scan_now = [&] {
    cache.watcher()->Sync();
    ScanOptions options;
    options.allowed_roots = &roots;
    cache.PrepareScan(options);
    auto fd = OpenDirectoryBeneath(roots, tree.root());
    EXPECT_TRUE(fd.ok()) << fd.status();
    auto scan = ScanDirectory(*std::move(fd), "", tree.root(), options);
    EXPECT_TRUE(scan.ok()) << scan.status();
    return std::make_unique<DirectoryScan>(*std::move(scan));
  };
  struct Count : DirectoryTally {
    size_t bytes() const override { return sizeof(*this); }
  };

  const auto first = scan_now();
  ASSERT_NE(first->watch, nullptr);
  ASSERT_EQ(first->sidecars.size(), 2u);
  cache.StoreTally(*first, "k", std::make_shared<Count>());
  EXPECT_EQ(cache.FindTally(*first, "k"), nullptr) << "kept before its files were proven";
  EXPECT_EQ(cache.figures().directory_tallies, 0);

  for (const SidecarFile& file : first->sidecars) cache.Inspect(*first, file);
  const auto tally = std::make_shared<Count>();
  cache.StoreTally(*first, "k", tally);
  const auto unchanged = scan_now();
  EXPECT_EQ(cache.FindTally(*unchanged, "k"), tally);
  EXPECT_EQ(cache.FindTally(*unchanged, "other options"), nullptr);

  tree.WriteFile("b.json", MergedDocument(2));
  const auto changed = scan_now();
  EXPECT_EQ(cache.FindTally(*changed, "k"), nullptr) << "served after a change";
}

TEST(TreeCacheTallyTest, RemembersNothingWithoutABound) {
  sidecard::testing::TempTree tree;
  tree.WriteFile("a.json", MergedDocument());
  auto watcher = DirectoryWatcher::Create(0);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  TreeCache cache({/*max_bytes=*/0, 1 << 20}, *std::move(watcher));
  EXPECT_FALSE(cache.enabled());
  EXPECT_EQ(cache.watcher(), nullptr);
  WorkerPool pool(2);
  auto roots = *AllowedRoots::Create({tree.root()});
  EngineContext context{&pool, &cache, &roots};
  for (int round = 0; round < 2; ++round) {
    auto stats = ComputeStats(tree.root(), {}, context, Cancellation());
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->orphaned_sidecars, 1);
  }
  const CacheFigures figures = cache.figures();
  EXPECT_FALSE(figures.enabled);
  EXPECT_EQ(figures.entries + figures.hits + figures.directories + figures.directory_tallies, 0);
}

}  // namespace
}  // namespace sidecard::engine
