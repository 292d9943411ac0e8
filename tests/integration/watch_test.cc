// The daemon, watching (its default) or not, against real changes: after
// each one, the warm
// daemon (answering from its cache, proven by inotify watches or, where those
// cannot vouch, by stamps) must answer exactly as a fresh daemon reading
// everything.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

// The default (every directory watched); room for one watch only (the
// root), so every deeper directory falls back to stamp checks; and
// --no-watch, stamps everywhere.
struct WatchMode {
  const char* name;
  std::vector<std::string> flags;
  bool stamps_prove;  // whether most files are proven by stamps
};

class WatchTest : public DaemonTest, public ::testing::WithParamInterface<WatchMode> {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = GetParam().flags;
    return options;
  }

  void SetUp() override {
    DaemonTest::SetUp();
    tree_.WriteFile("2025/g1/IMG_1.jpg", "jpeg");
    tree_.WriteBin("2025/g1/IMG_1.bin", kFaceDoc);
    tree_.WriteFile("2025/g1/IMG_2.jpg", "jpeg");
    tree_.WriteFile("2025/g1/IMG_2.json", kYoloDoc);
    tree_.WriteFile("2025/g2/deep/er/IMG_3.jpg", "jpeg");
    tree_.WriteFile("2025/g2/deep/er/IMG_3.json", kBothDoc);
    tree_.WriteFile("2025/g2/IMG_4.jpg", "jpeg");
    tree_.Symlink("games/link.jpg", "../2025/g1/IMG_1.jpg");
    Share();
    // Stamps vouch only for files older than the racy window (2 s); watches
    // need no wait. With one watch, most files are proven by stamps.
    if (GetParam().stamps_prove) std::this_thread::sleep_for(2100ms);
  }

  // Everything Validate (with reports, and summary only: the form answered
  // from remembered directory results) and Stats answer, with and without an
  // operation filter, durations left out.
  static std::string Answer(Client& client, const std::string& root) {
    std::string text;
    for (const char* filter : {"", "face_detection"}) {
      for (const bool summary_only : {false, true}) {
        v1::ValidateRequest request;
        request.set_root(root);
        request.set_operation_filter(filter);
        request.set_summary_only(summary_only);
        const grpc::Status validated = client.Validate(request, [&](const v1::ValidateResponse& m) {
          v1::ValidateResponse copy = m;
          copy.mutable_summary()->clear_duration_seconds();
          text += copy.ShortDebugString() + "\n";
        });
        EXPECT_TRUE(validated.ok()) << validated.error_message();
      }
      v1::StatsRequest stats_request;
      stats_request.set_root(root);
      stats_request.set_operation_filter(filter);
      v1::StatsResponse stats;
      const grpc::Status counted = client.Stats(stats_request, &stats);
      EXPECT_TRUE(counted.ok()) << counted.error_message();
      stats.clear_duration_seconds();
      text += stats.ShortDebugString() + "\n";
    }
    return text;
  }

  // The watching daemon's answer, twice (the second from its cache), must
  // equal a fresh daemon's.
  // (No Share() here: it changes every file's ctime; files written later are
  // world-readable anyway.)
  void ExpectWarmEqualsCold(const std::string& what) {
    const std::string warm = Answer(*client_, tree_.root());
    EXPECT_EQ(Answer(*client_, tree_.root()), warm) << what;
    DaemonProcess cold;
    DaemonProcess::Options options;
    options.allowed_roots = {tree_.root()};
    // Read-only, so its start-up sweep only counts the stray working files
    // the test leaves: both daemons must see the same tree.
    options.extra_args = {"--read-only"};
    ASSERT_TRUE(cold.Start(options));
    Client cold_client(ClientOptions{.address = cold.address(), .timeout = 30s});
    EXPECT_EQ(warm, Answer(cold_client, tree_.root())) << what;
    EXPECT_TRUE(cold.Stop());
  }

  v1::CacheFigures Cache() {
    v1::GetServerInfoResponse info;
    EXPECT_TRUE(client_->GetServerInfo(&info).ok());
    return info.cache();
  }
};

TEST_P(WatchTest, ChangesUnderAWatchedTreeAreSeen) {
  ExpectWarmEqualsCold("first answer");
  const v1::CacheFigures warmed = Cache();
  std::printf("[%s] after warm-up: %lld watches, %lld hits, %lld misses\n", GetParam().name,
              static_cast<long long>(warmed.watches()), static_cast<long long>(warmed.hits()),
              static_cast<long long>(warmed.misses()));
  EXPECT_GT(warmed.hits(), 0);
  const std::string mode = GetParam().name;
  if (mode == "Default") {
    EXPECT_GE(warmed.watches(), 6);  // root, 2025, g1, g2, deep, er, games
    // The second answer came in part from remembered directory results.
    EXPECT_GT(warmed.directory_tallies(), 0);
    EXPECT_GT(warmed.directory_tally_hits(), 0);
  } else {
    EXPECT_EQ(warmed.watches(), mode == "OneWatch" ? 1 : 0);
    EXPECT_EQ(warmed.directory_tally_hits(), 0);
  }

  // Content changed with size and modification time restored.
  {
    struct stat st {};
    ASSERT_EQ(stat(P("2025/g1/IMG_2.json").c_str(), &st), 0);
    std::string text = tree_.ReadFile("2025/g1/IMG_2.json");
    const size_t at = text.find("true");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 4, "nope");
    tree_.WriteFile("2025/g1/IMG_2.json", text);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(utimensat(AT_FDCWD, P("2025/g1/IMG_2.json").c_str(), times, 0), 0);
    ExpectWarmEqualsCold("content changed, size and mtime restored");
  }
  // Replaced by rename.
  tree_.WriteFile("2025/g1/tmp", kBothDoc);
  ASSERT_EQ(rename(P("2025/g1/tmp").c_str(), P("2025/g1/IMG_1.json").c_str()), 0);
  ExpectWarmEqualsCold("added by rename");
  // Deleted and added.
  ASSERT_EQ(unlink(P("2025/g1/IMG_1.bin").c_str()), 0);
  tree_.WriteFile("2025/g2/IMG_4.json", kFaceDoc);
  ExpectWarmEqualsCold("deleted and added");
  // Deep change.
  tree_.WriteFile("2025/g2/deep/er/IMG_3.json", "[1]");
  ExpectWarmEqualsCold("deep change");
  // A symlinked image pointed elsewhere.
  ASSERT_EQ(unlink(P("games/link.jpg").c_str()), 0);
  tree_.Symlink("games/link.jpg", "../2025/g2/IMG_4.jpg");
  ExpectWarmEqualsCold("symlink re-pointed");
  // A directory renamed, and one put back in its place.
  ASSERT_EQ(rename(P("2025/g2").c_str(), P("2025/g3").c_str()), 0);
  ExpectWarmEqualsCold("directory renamed");
  tree_.WriteFile("2025/g2/IMG_5.jpg", "jpeg");
  tree_.WriteFile("2025/g2/IMG_5.json", kYoloDoc);
  ExpectWarmEqualsCold("new directory under the old name");
  ASSERT_EQ(rename(P("2025/g3/deep").c_str(), P("2025/g2/deep").c_str()), 0);
  ExpectWarmEqualsCold("subdirectory moved back");
  // A sidecar written through a hard link in another directory: no event
  // reaches the sidecar's own directory, so a file with other links is never
  // vouched for by the watch. (A link made outside the served trees after
  // the file was cached is a documented blind spot: README, "Watching".)
  tree_.MakeDir("elsewhere");
  tree_.WriteFile("2025/g2/IMG_6.jpg", "jpeg");
  tree_.WriteFile("2025/g2/IMG_6.json", kYoloDoc);
  ASSERT_EQ(link(P("2025/g2/IMG_6.json").c_str(), P("elsewhere/IMG_6.dat").c_str()), 0);
  ExpectWarmEqualsCold("hard-linked sidecar added");
  tree_.WriteFile("elsewhere/IMG_6.dat", kFaceDoc);  // in place: O_TRUNC, no rename
  ExpectWarmEqualsCold("written through the hard link");
  // A link made later, in a watched directory, to a file that had one: its
  // creation and the write through it are events of the link's directory
  // only; the daemon sees the new name is a second link and proves every
  // file by stamp again.
  const int64_t links_before = Cache().watch_links_seen();
  ASSERT_EQ(link(P("2025/g1/IMG_2.json").c_str(), P("2025/g2/IMG_2.json.bak").c_str()), 0);
  tree_.WriteFile("2025/g2/IMG_2.json.bak", kBothDoc);  // in place
  ExpectWarmEqualsCold("written through a link made later in another directory");
  if (!GetParam().stamps_prove) {
    EXPECT_EQ(Cache().watch_links_seen(), links_before + 1);
  }
  // A broken symlinked image whose target appears in another directory: no
  // event reaches the link's directory either.
  tree_.Symlink("2025/g1/IMG_9.jpg", "../../later/IMG_9.jpg");
  tree_.WriteFile("2025/g1/IMG_9.json", kYoloDoc);
  ExpectWarmEqualsCold("broken symlink added");
  tree_.WriteFile("later/IMG_9.jpg", "jpeg");
  tree_.WriteFile("later/IMG_9.json", kYoloDoc);
  ExpectWarmEqualsCold("symlink target appeared elsewhere");
  // A working file of the daemon, counted from each scan: one that appears,
  // ages into a stray (no event but its own attribute change) and goes is
  // counted warm as cold.
  const std::string working = "2025/g1/.sidecard-tmp-IMG_1.bin.77.0";
  tree_.WriteFile(working, "partial");
  ExpectWarmEqualsCold("working file added");
  tree_.SetMtime(working, time(nullptr) - 3600);
  ExpectWarmEqualsCold("working file aged into a stray");
  EXPECT_NE(Answer(*client_, tree_.root()).find("working_files: 1 stray_working_files: 1"),
            std::string::npos);
  ASSERT_EQ(unlink(P(working).c_str()), 0);
  ExpectWarmEqualsCold("working file gone");

  const v1::CacheFigures end = Cache();
  std::printf("[%s] at the end: %lld watches, %lld hits, %lld misses\n", GetParam().name,
              static_cast<long long>(end.watches()), static_cast<long long>(end.hits()),
              static_cast<long long>(end.misses()));
}

TEST_P(WatchTest, InfoNamesTheWatches) {
  ExpectWarmEqualsCold("first answer");
  const RunResult info = Ctl({"info"});
  ASSERT_EQ(info.exit_code, 0) << info;
  const std::string expected = std::to_string(Cache().watches()) + " directories watched";
  EXPECT_NE(info.out.find(expected), std::string::npos) << info.out;
}

INSTANTIATE_TEST_SUITE_P(Modes, WatchTest,
                         ::testing::Values(WatchMode{"Default", {}, false},
                                           WatchMode{"OneWatch", {"--max-watches", "1"}, true},
                                           WatchMode{"NoWatch", {"--no-watch"}, true}),
                         [](const ::testing::TestParamInfo<WatchMode>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace sidecard::testing
