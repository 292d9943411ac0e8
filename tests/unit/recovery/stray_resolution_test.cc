#include "server/engine/recovery/stray_resolution.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

class StrayResolutionTest : public ::testing::Test {
 protected:
  StrayResolutionTest() {
    tree_.WriteFile(".sidecard-held-IMG_1.bin.5.0", "held content");
    tree_.SetMtime(".sidecard-held-IMG_1.bin.5.0", time(nullptr) - 3600);
    dir_ = UniqueFd(open(tree_.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }

  WorkingFile Held() { return *RecognizeWorkingFile(dir_.get(), ".sidecard-held-IMG_1.bin.5.0"); }

  sidecard::testing::TempTree tree_;
  UniqueFd dir_;
};

// A save of the same image holds its image lock; the restore waits for it,
// then finds the name taken and keeps the held copy beside it: the saved
// sidecar is never overwritten, and neither copy is lost.
TEST_F(StrayResolutionTest, ARestoreWaitsForTheImageLockOfASaveInProgress) {
  ImageLocks locks;
  StrayOptions options{StrayMode::kResolve, absl::Now(), {}};
  options.locks = &locks;
  const WorkingFile held = Held();
  StrayResolution resolution;
  std::thread sweep;
  {
    ImageLocks::Guard save = locks.Lock(tree_.root(), "img_1");
    sweep =
        std::thread([&] { resolution = ResolveStray(dir_.get(), tree_.root(), held, options); });
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_TRUE(tree_.Exists(".sidecard-held-IMG_1.bin.5.0"));  // still waiting
    tree_.WriteFile("IMG_1.bin", "the save's content");
  }
  sweep.join();
  EXPECT_EQ(resolution.outcome, StrayOutcome::kKeptAsConflict);
  EXPECT_EQ(tree_.ReadFile("IMG_1.bin"), "the save's content");
  EXPECT_EQ(tree_.ReadFile(resolution.new_name), "held content");
}

TEST_F(StrayResolutionTest, AFileChangedSinceItWasFoundIsLeftAlone) {
  const WorkingFile held = Held();
  tree_.WriteFile(".sidecard-held-IMG_1.bin.5.0", "taken up again");
  const StrayResolution resolution =
      ResolveStray(dir_.get(), tree_.root(), held, {StrayMode::kResolve, absl::Now(), {}});
  EXPECT_EQ(resolution.outcome, StrayOutcome::kChanged);
  EXPECT_EQ(tree_.ReadFile(".sidecard-held-IMG_1.bin.5.0"), "taken up again");
  EXPECT_FALSE(tree_.Exists("IMG_1.bin"));
}

TEST_F(StrayResolutionTest, AYoungFileIsNeverTouched) {
  const WorkingFile held = Held();
  const StrayResolution resolution =
      ResolveStray(dir_.get(), tree_.root(), held,
                   {StrayMode::kResolve, held.modified() + absl::Minutes(9), {}});
  EXPECT_EQ(resolution.outcome, StrayOutcome::kTooRecent);
  EXPECT_TRUE(tree_.Exists(".sidecard-held-IMG_1.bin.5.0"));
}

}  // namespace
}  // namespace sidecard::engine
