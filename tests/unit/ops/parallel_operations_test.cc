// Several requests at once, as the daemon serves them: Validate, Stats and a
// Cleanup dry run from concurrent callers on one tree, sharing one worker
// pool and one metadata cache. Every answer must equal the one a single
// caller gets with no cache. (Named `Parallel*` so scripts/test-hardening
// also runs it under ThreadSanitizer.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "server/engine/cache/tree_cache.h"
#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

class ParallelOperationsTest : public EngineHarness {
 protected:
  void SetUp() override {
    for (int i = 0; i < 40; ++i) {
      const std::string stem = "day" + std::to_string(i % 3) + "/IMG_" + std::to_string(i);
      tree_.WriteFile(stem + ".jpg", "jpeg");
      if (i % 7 == 0) {
        tree_.WriteFile(stem + ".json", "{\"face_detection\": {\"success\": tru");  // corrupt
      } else if (i % 2 == 0) {
        tree_.WriteBin(stem + ".bin", MergedDocument(i % 4, i % 3));
      } else {
        tree_.WriteFile(stem + ".json", MergedDocument(1, i % 5));
      }
    }
    for (int i = 0; i < 6; ++i) {  // orphans
      tree_.WriteBin("day1/gone_" + std::to_string(i) + ".bin", MergedDocument());
    }
    tree_.WriteFile("day2/package.json", "{\"name\": \"foreign\"}");
  }

  // Everything the three operations say, as text.
  std::string Answer(TreeCache& cache) {
    EngineContext context{&pool_, &cache, &roots_};
    std::ostringstream out;
    auto validate = ValidateTree(tree_.root(), {}, context, Cancellation(),
                                 [&](std::span<const ValidatedFile> files) {
                                   for (const ValidatedFile& file : files) {
                                     out << file.path << " " << file.inspection->valid() << " "
                                         << file.inspection->FirstError() << " "
                                         << file.inspection->facts.detection_count() << "\n";
                                   }
                                   return true;
                                 });
    EXPECT_TRUE(validate.ok()) << validate.status();
    auto stats = ComputeStats(tree_.root(), {}, context, Cancellation());
    EXPECT_TRUE(stats.ok()) << stats.status();
    if (stats.ok()) {
      out << "images=" << stats->total_images << " sidecars=" << stats->total_sidecars
          << " faces=" << stats->faces_found << " objects=" << stats->objects_found
          << " invalid=" << stats->invalid_sidecars << " orphans=" << stats->orphaned_sidecars
          << "\n";
    }
    auto cleanup = CleanupTree(tree_.root(), {}, context, Cancellation(),
                               [&](std::span<const CleanupResult> results) {
                                 for (const CleanupResult& result : results) {
                                   out << "orphan " << result.path << "\n";
                                 }
                                 return true;
                               });
    EXPECT_TRUE(cleanup.ok()) << cleanup.status();
    return out.str();
  }
};

TEST_F(ParallelOperationsTest, ConcurrentCallersSharingPoolAndCacheGetTheSingleCallerAnswer) {
  TreeCache cold({});  // remembers nothing
  const std::string expected = Answer(cold);
  ASSERT_NE(expected.find("orphan "), std::string::npos);

  // Files younger than the racy window are never trusted; past it, the
  // callers' first reads fill the cache while later ones answer from it.
  absl::SleepFor(MetadataCache::kRacyWindow + absl::Milliseconds(100));
  TreeCache cache({64 << 20, 1 << 20});
  constexpr int kCallers = 4;
  constexpr int kRounds = 3;
  std::atomic<int> answers{0};
  std::atomic<int> differing{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        if (Answer(cache) != expected) ++differing;
        ++answers;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  const CacheFigures figures = cache.figures();
  std::printf(
      "%d concurrent answers (validate+stats+cleanup), %d differing; cache: %lld hits, "
      "%lld misses\n",
      answers.load(), differing.load(), static_cast<long long>(figures.hits),
      static_cast<long long>(figures.misses));
  EXPECT_EQ(answers.load(), kCallers * kRounds);
  EXPECT_EQ(differing.load(), 0);
  EXPECT_GT(figures.hits, 0);  // the cached path ran concurrently too
}

}  // namespace
}  // namespace sidecard::engine
