// The daemon's own working files against the real daemon: the start-up
// sweep resolves the strays a crash left (and only those), logs each, and
// reports its figures; Validate, Stats and Cleanup count and list them.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using namespace std::chrono_literals;

constexpr time_t kHour = 3600;

class WorkingFilesTest : public DaemonTest {
 protected:
  // The tree a crashed daemon left, built before this daemon starts.
  void SetUp() override {
    tree_.WriteFile("IMG_1.jpg", "jpeg");
    tree_.WriteFile("IMG_1.bin", BinBytes(kFaceDoc));
    tree_.WriteFile("g/IMG_2.jpg", "jpeg");
    tree_.WriteFile("g/IMG_3.jpg", "jpeg");
    tree_.WriteFile("g/IMG_3.json", std::string(kYoloDoc));
    Stray(".sidecard-tmp-IMG_1.bin.999.0", "half a write");
    tree_.WriteFile("g/.sidecard-tmp-IMG_2.bin.999.1", "a write in progress");
    Stray("g/.sidecard-held-IMG_2.bin.999.2", BinBytes(kYoloDoc));      // its name is free
    Stray(".sidecard-held-IMG_1.bin.999.3", BinBytes(kBothDoc));        // its name is taken
    Stray("g/.sidecard-held-IMG_3.json.999.4", std::string(kYoloDoc));  // identical
    tree_.WriteFile(".sidecard-held-IMG_1.bin.999.5", "being replaced now");
    Share();
    DaemonTest::SetUp();
  }

  void Stray(const std::string& rel, const std::string& bytes) {
    tree_.WriteFile(rel, bytes);
    tree_.SetMtime(rel, time(nullptr) - kHour);
  }

  // The sweep's figures once it has finished (it runs after readiness).
  v1::StartupSweepFigures SweepWhenDone() {
    v1::GetServerInfoResponse info;
    for (int i = 0; i < 200; ++i) {
      EXPECT_TRUE(client_->GetServerInfo(&info).ok());
      if (info.startup_sweep().finished()) break;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(info.startup_sweep().finished()) << info.ShortDebugString();
    return info.startup_sweep();
  }

  // The log line the daemon wrote about `rel`, or "".
  std::string LogLineAbout(const std::string& rel) {
    const std::string log = daemon_.Log();
    const size_t at = log.find("working file " + P(rel) + ":");
    if (at == std::string::npos) return "";
    return log.substr(at, log.find('\n', at) - at);
  }
};

TEST_F(WorkingFilesTest, StartUpSweepResolvesStraysOnly) {
  const v1::StartupSweepFigures sweep = SweepWhenDone();
  EXPECT_FALSE(sweep.dry_run());
  EXPECT_EQ(sweep.working_files(), 6);
  EXPECT_EQ(sweep.strays(), 4);
  EXPECT_EQ(sweep.removed(), 2);  // the old tmp file, the identical held copy
  EXPECT_EQ(sweep.restored(), 1);
  EXPECT_EQ(sweep.kept_as_conflict(), 1);
  EXPECT_EQ(sweep.failed(), 0);

  EXPECT_FALSE(tree_.Exists(".sidecard-tmp-IMG_1.bin.999.0"));
  EXPECT_TRUE(tree_.Exists("g/.sidecard-tmp-IMG_2.bin.999.1"));
  EXPECT_TRUE(tree_.Exists(".sidecard-held-IMG_1.bin.999.5"));
  EXPECT_FALSE(tree_.Exists("g/.sidecard-held-IMG_2.bin.999.2"));
  EXPECT_EQ(tree_.ReadFile("g/IMG_2.bin"), BinBytes(kYoloDoc));
  EXPECT_FALSE(tree_.Exists("g/.sidecard-held-IMG_3.json.999.4"));
  EXPECT_FALSE(tree_.Exists(".sidecard-held-IMG_1.bin.999.3"));
  // No sidecar changed.
  EXPECT_EQ(tree_.ReadFile("IMG_1.bin"), BinBytes(kFaceDoc));
  EXPECT_EQ(tree_.ReadFile("g/IMG_3.json"), kYoloDoc);

  EXPECT_NE(LogLineAbout(".sidecard-tmp-IMG_1.bin.999.0").find(": removed"), std::string::npos);
  EXPECT_NE(LogLineAbout("g/.sidecard-held-IMG_2.bin.999.2").find("restored to IMG_2.bin"),
            std::string::npos);
  const std::string conflict_line = LogLineAbout(".sidecard-held-IMG_1.bin.999.3");
  const size_t conflict_at = conflict_line.find("kept as conflict IMG_1.bin.conflict-");
  ASSERT_NE(conflict_at, std::string::npos) << daemon_.Log();
  const std::string conflict_name =
      conflict_line.substr(conflict_at + std::string("kept as conflict ").size());
  EXPECT_EQ(tree_.ReadFile(conflict_name), BinBytes(kBothDoc));
  EXPECT_NE(LogLineAbout("g/.sidecard-held-IMG_3.json.999.4").find("identical to IMG_3.json"),
            std::string::npos);
  EXPECT_EQ(LogLineAbout("g/.sidecard-tmp-IMG_2.bin.999.1"), "");  // debug only: not acted on
  EXPECT_NE(daemon_.Log().find("working file sweep done: 6 working files"), std::string::npos)
      << daemon_.Log();

  const RunResult info = Ctl({"info"});
  ASSERT_EQ(info.exit_code, 0) << info;
  EXPECT_NE(info.out.find("done: 6 working files"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("2 removed, 1 restored, 1 kept as conflict, 0 failed"), std::string::npos)
      << info.out;
}

TEST_F(WorkingFilesTest, ValidateStatsAndCleanupCountAndResolveThem) {
  SweepWhenDone();
  // Left: two fresh ones. Then a crash after start-up leaves an old one.
  Stray("g/.sidecard-tmp-IMG_3.json.998.0", "");
  const ValidateRun validated = Validate(tree_.root());
  ASSERT_TRUE(validated.status.ok()) << validated.status.error_message();
  EXPECT_EQ(validated.summary.working_files(), 3);
  EXPECT_EQ(validated.summary.stray_working_files(), 1);
  EXPECT_EQ(validated.summary.foreign_files(), 0);
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(tree_.root(), stats).ok());
  EXPECT_EQ(stats.working_files(), 3);
  EXPECT_EQ(stats.stray_working_files(), 1);
  const RunResult ctl_stats = Ctl({"stats", tree_.root()});
  EXPECT_NE(ctl_stats.out.find("3 (1 strays)"), std::string::npos) << ctl_stats;
  const RunResult ctl_json = Ctl({"--json", "validate", "--summary-only", tree_.root()});
  EXPECT_NE(ctl_json.out.find("\"stray_working_files\":1"), std::string::npos) << ctl_json;

  const CleanupRun dry = Cleanup(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  ASSERT_TRUE(dry.status.ok()) << dry.status.error_message();
  EXPECT_EQ(dry.summary.working_files(), 3);
  EXPECT_EQ(dry.summary.working_files_removed(), 1);
  EXPECT_EQ(dry.summary.orphans_found(), 0);
  int would_remove = 0;
  int too_recent = 0;
  for (const v1::CleanupResult& result : dry.results) {
    EXPECT_TRUE(result.working_file()) << result.ShortDebugString();
    would_remove += result.action() == v1::CLEANUP_ACTION_WOULD_REMOVE;
    too_recent += result.action() == v1::CLEANUP_ACTION_SKIPPED_TOO_RECENT;
  }
  EXPECT_EQ(would_remove, 1);
  EXPECT_EQ(too_recent, 2);
  EXPECT_TRUE(tree_.Exists("g/.sidecard-tmp-IMG_3.json.998.0"));
  const RunResult ctl_dry = Ctl({"cleanup", tree_.root()});
  EXPECT_NE(ctl_dry.out.find("1 would be removed"), std::string::npos) << ctl_dry;
  EXPECT_NE(ctl_dry.out.find("younger than 10 minutes"), std::string::npos) << ctl_dry;

  const CleanupRun deleted = Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE);
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.error_message();
  EXPECT_EQ(deleted.summary.working_files_removed(), 1);
  EXPECT_EQ(deleted.summary.failed(), 0);
  EXPECT_FALSE(tree_.Exists("g/.sidecard-tmp-IMG_3.json.998.0"));
  EXPECT_TRUE(tree_.Exists("g/.sidecard-tmp-IMG_2.bin.999.1"));
  EXPECT_TRUE(tree_.Exists(".sidecard-held-IMG_1.bin.999.5"));
  EXPECT_EQ(tree_.ReadFile("g/IMG_3.json"), kYoloDoc);
}

class ReadOnlyWorkingFilesTest : public WorkingFilesTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = WorkingFilesTest::MakeDaemonOptions();
    options.extra_args = {"--read-only"};
    return options;
  }
};

TEST_F(ReadOnlyWorkingFilesTest, SweepOnlyCounts) {
  const v1::StartupSweepFigures sweep = SweepWhenDone();
  EXPECT_TRUE(sweep.dry_run());
  EXPECT_EQ(sweep.strays(), 4);
  EXPECT_EQ(sweep.removed() + sweep.restored() + sweep.kept_as_conflict(), 0);
  EXPECT_TRUE(tree_.Exists(".sidecard-tmp-IMG_1.bin.999.0"));
  EXPECT_TRUE(tree_.Exists("g/.sidecard-held-IMG_2.bin.999.2"));
  EXPECT_FALSE(tree_.Exists("g/IMG_2.bin"));
  EXPECT_NE(LogLineAbout(".sidecard-tmp-IMG_1.bin.999.0").find("would remove"), std::string::npos)
      << daemon_.Log();
}

}  // namespace
}  // namespace sidecard::testing
