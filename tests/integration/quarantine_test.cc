// The quarantine commands (ListQuarantine, RestoreQuarantine,
// PurgeQuarantine) against the real daemon, through the C++ client and
// sidecarctl: cleanup --quarantine, then list, restore (dry run, for real,
// never over an existing file) and purge by age.
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kOldBatch[] = "20200101T000000Z";

template <typename Result, typename Summary>
struct CallRun {
  grpc::Status status;
  std::vector<Result> results;
  Summary summary;
  int summaries = 0;
};

class QuarantineTest : public DaemonTest {
 protected:
  // Two images with sidecars and three orphans, one alone in its folders.
  void BuildAndQuarantine() {
    tree_.WriteFile("a.jpg", "jpeg");
    tree_.WriteBin("a.bin", kFaceDoc);
    tree_.WriteFile("sub/b.jpg", "jpeg");
    tree_.WriteBin("sub/b.bin", kYoloDoc);
    tree_.WriteBin("gone.bin", kFaceDoc);
    tree_.WriteFile("sub/gone2.json", kYoloDoc);
    tree_.WriteBin("deep/er/gone3.rkyv", kInfoOnlyDoc);
    originals_ = {{"gone.bin", tree_.ReadFile("gone.bin")},
                  {"sub/gone2.json", tree_.ReadFile("sub/gone2.json")},
                  {"deep/er/gone3.rkyv", tree_.ReadFile("deep/er/gone3.rkyv")}};
    const CleanupRun cleanup = Cleanup(tree_.root(), v1::CLEANUP_MODE_QUARANTINE);
    ASSERT_TRUE(cleanup.status.ok()) << cleanup.status.error_message();
    ASSERT_EQ(cleanup.summary.removed(), 3);
    batch_dir_ = cleanup.summary.quarantine_dir();
    batch_ = std::filesystem::path(batch_dir_).filename().string();
    for (const auto& [relative, bytes] : originals_) ASSERT_FALSE(tree_.Exists(relative));
  }

  // A batch made by hand with an old name: its age comes from the name.
  void AddOldBatch() {
    tree_.WriteBin(std::string(".sidecard-quarantine/") + kOldBatch + "/old/x.bin", kFaceDoc);
    Share();
  }

  int64_t OriginalBytes() const {
    int64_t total = 0;
    for (const auto& [relative, bytes] : originals_) total += static_cast<int64_t>(bytes.size());
    return total;
  }

  CallRun<v1::QuarantineFile, v1::ListQuarantineSummary> List(const std::string& batch = "") {
    Share();
    v1::ListQuarantineRequest request;
    request.set_root(tree_.root());
    request.set_batch(batch);
    CallRun<v1::QuarantineFile, v1::ListQuarantineSummary> run;
    run.status = client_->ListQuarantine(request, [&](const v1::ListQuarantineResponse& message) {
      run.results.insert(run.results.end(), message.files().begin(), message.files().end());
      if (message.has_summary()) {
        run.summary = message.summary();
        ++run.summaries;
      }
    });
    return run;
  }

  CallRun<v1::RestoreQuarantineResult, v1::RestoreQuarantineSummary> Restore(
      bool dry_run, const std::string& batch = "") {
    Share();
    v1::RestoreQuarantineRequest request;
    request.set_root(tree_.root());
    request.set_batch(batch);
    request.set_dry_run(dry_run);
    CallRun<v1::RestoreQuarantineResult, v1::RestoreQuarantineSummary> run;
    run.status =
        client_->RestoreQuarantine(request, [&](const v1::RestoreQuarantineResponse& message) {
          run.results.insert(run.results.end(), message.results().begin(), message.results().end());
          if (message.has_summary()) {
            run.summary = message.summary();
            ++run.summaries;
          }
        });
    return run;
  }

  CallRun<v1::PurgeQuarantineResult, v1::PurgeQuarantineSummary> Purge(
      std::optional<int64_t> seconds, bool dry_run) {
    Share();
    v1::PurgeQuarantineRequest request;
    request.set_root(tree_.root());
    if (seconds) request.set_older_than_seconds(*seconds);
    request.set_dry_run(dry_run);
    CallRun<v1::PurgeQuarantineResult, v1::PurgeQuarantineSummary> run;
    run.status = client_->PurgeQuarantine(request, [&](const v1::PurgeQuarantineResponse& message) {
      run.results.insert(run.results.end(), message.results().begin(), message.results().end());
      if (message.has_summary()) {
        run.summary = message.summary();
        ++run.summaries;
      }
    });
    return run;
  }

  std::map<std::string, std::string> originals_;  // relative path -> bytes
  std::string batch_dir_;
  std::string batch_;
};

TEST_F(QuarantineTest, ListShowsTheBatchItsFilesAndTheirSizes) {
  BuildAndQuarantine();
  const auto run = List();
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.summaries, 1);
  std::map<std::string, int64_t> sizes;
  for (const v1::QuarantineFile& file : run.results) {
    EXPECT_EQ(file.batch(), batch_);
    const std::string relative = file.original().path().substr(tree_.root().size() + 1);
    EXPECT_EQ(file.file().path(), batch_dir_ + "/" + relative);
    sizes[relative] = file.size_bytes();
  }
  std::map<std::string, int64_t> expected;
  for (const auto& [relative, bytes] : originals_) expected[relative] = bytes.size();
  EXPECT_EQ(sizes, expected);
  ASSERT_EQ(run.summary.batches_size(), 1);
  EXPECT_EQ(run.summary.batches(0).id(), batch_);
  EXPECT_EQ(run.summary.batches(0).files(), 3);
  EXPECT_EQ(run.summary.batches(0).bytes(), OriginalBytes());
  EXPECT_LE(std::abs(run.summary.batches(0).created_unix_seconds() - time(nullptr)), 60);
  EXPECT_EQ(run.summary.files(), 3);
  EXPECT_EQ(run.summary.quarantine_dir(), tree_.root() + "/.sidecard-quarantine");

  AddOldBatch();
  const auto both = List();
  ASSERT_EQ(both.summary.batches_size(), 2);
  EXPECT_EQ(both.summary.batches(0).id(), kOldBatch);  // oldest first
  EXPECT_EQ(both.results.front().batch(), kOldBatch);
  const auto one = List(kOldBatch);
  ASSERT_EQ(one.results.size(), 1u);
  EXPECT_EQ(one.results[0].original().path(), P("old/x.bin"));
}

TEST_F(QuarantineTest, EmptyWhenThereIsNoQuarantine) {
  tree_.WriteFile("a.jpg", "jpeg");
  const auto run = List();
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(run.results, IsEmpty());
  EXPECT_EQ(run.summary.batches_size(), 0);
  const auto restore = Restore(false);
  ASSERT_TRUE(restore.status.ok());
  EXPECT_EQ(restore.summary.restored(), 0);
}

TEST_F(QuarantineTest, RestoreDryRunChangesNothing) {
  BuildAndQuarantine();
  const TreeListing before = ListTree(tree_.root());
  const auto run = Restore(true);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(ListTree(tree_.root()), before);
  ASSERT_EQ(run.results.size(), 3u);
  for (const auto& result : run.results) {
    EXPECT_EQ(result.action(), v1::RESTORE_ACTION_WOULD_RESTORE) << result.destination().path();
  }
  EXPECT_TRUE(run.summary.dry_run());
  EXPECT_EQ(run.summary.restored(), 3);
  EXPECT_EQ(run.summary.bytes(), OriginalBytes());
}

TEST_F(QuarantineTest, RestorePutsTheFilesBackByteIdentical) {
  BuildAndQuarantine();
  std::filesystem::remove_all(P("deep"));  // its folders come back too
  const auto run = Restore(false, batch_);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.results.size(), 3u);
  for (const auto& result : run.results) {
    EXPECT_EQ(result.action(), v1::RESTORE_ACTION_RESTORED) << result.error();
  }
  for (const auto& [relative, bytes] : originals_) {
    EXPECT_EQ(tree_.ReadFile(relative), bytes) << relative;
  }
  EXPECT_EQ(run.summary.restored(), 3);
  EXPECT_EQ(run.summary.conflicts(), 0);
  EXPECT_EQ(run.summary.batches_emptied(), 1);
  EXPECT_FALSE(std::filesystem::exists(batch_dir_));
  // The restored orphans are orphans again: Cleanup finds exactly them.
  const CleanupRun dry = Cleanup(tree_.root(), v1::CLEANUP_MODE_DRY_RUN);
  EXPECT_EQ(dry.summary.orphans_found(), 3);
}

TEST_F(QuarantineTest, RestoreNeverOverwritesAndReportsTheConflict) {
  BuildAndQuarantine();
  tree_.WriteBin("gone.bin", kYoloDoc);  // another version took the name
  const std::string theirs = tree_.ReadFile("gone.bin");
  const auto dry = Restore(true);
  ASSERT_TRUE(dry.status.ok());
  EXPECT_EQ(dry.summary.conflicts(), 1);
  EXPECT_EQ(dry.summary.restored(), 2);
  const auto run = Restore(false);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  for (const auto& result : run.results) {
    const bool conflict = result.destination().path() == P("gone.bin");
    EXPECT_EQ(result.action(), conflict ? v1::RESTORE_ACTION_CONFLICT : v1::RESTORE_ACTION_RESTORED)
        << result.destination().path();
    if (conflict) {
      EXPECT_EQ(result.file().path(), batch_dir_ + "/gone.bin");
    }
  }
  EXPECT_EQ(run.summary.conflicts(), 1);
  EXPECT_EQ(run.summary.restored(), 2);
  EXPECT_EQ(run.summary.batches_emptied(), 0);
  EXPECT_EQ(tree_.ReadFile("gone.bin"), theirs);  // both untouched
  EXPECT_EQ(tree_.ReadFile(".sidecard-quarantine/" + batch_ + "/gone.bin"), originals_["gone.bin"]);
  EXPECT_EQ(tree_.ReadFile("sub/gone2.json"), originals_["sub/gone2.json"]);
}

TEST_F(QuarantineTest, PurgeDeletesOnlyBatchesOlderThanAsked) {
  BuildAndQuarantine();
  AddOldBatch();
  // A symlink in the old batch pointing out of it: deleted as a link only.
  tree_.WriteFile("keep/target.bin", "target");
  tree_.Symlink(std::string(".sidecard-quarantine/") + kOldBatch + "/link", "../../keep");
  Share();
  const TreeListing before = ListTree(tree_.root());
  const auto dry = Purge(30 * 86400, true);
  ASSERT_TRUE(dry.status.ok()) << dry.status.error_message();
  EXPECT_EQ(ListTree(tree_.root()), before);
  ASSERT_EQ(dry.results.size(), 1u);
  EXPECT_EQ(dry.results[0].batch().id(), kOldBatch);
  EXPECT_EQ(dry.results[0].action(), v1::PURGE_ACTION_WOULD_PURGE);
  EXPECT_EQ(dry.summary.purged(), 1);
  EXPECT_EQ(dry.summary.kept(), 1);

  const auto run = Purge(30 * 86400, false);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_EQ(run.results[0].action(), v1::PURGE_ACTION_PURGED) << run.results[0].error();
  EXPECT_EQ(run.summary.files(), 1);
  EXPECT_FALSE(tree_.Exists(std::string(".sidecard-quarantine/") + kOldBatch));
  EXPECT_TRUE(std::filesystem::exists(batch_dir_));
  EXPECT_EQ(tree_.ReadFile("keep/target.bin"), "target");

  const auto all = Purge(0, false);
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.summary.purged(), 1);
  EXPECT_FALSE(std::filesystem::exists(batch_dir_));
}

TEST_F(QuarantineTest, BadRequestsGetTheirStatusCodes) {
  BuildAndQuarantine();
  EXPECT_EQ(List("../x").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Restore(false, "20201301T000000Z").status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Restore(false, "20190101T000000Z").status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Purge(std::nullopt, false).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Purge(-1, false).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListQuarantineRequest outside;
  outside.set_root("/etc");
  const grpc::Status status = client_->ListQuarantine(outside, [](const auto&) {});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  for (const auto& [relative, bytes] : originals_) EXPECT_FALSE(tree_.Exists(relative));
}

TEST_F(QuarantineTest, SidecarctlListsRestoresAndPurges) {
  BuildAndQuarantine();
  AddOldBatch();
  const RunResult list = Ctl({"quarantine", "list", tree_.root()});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_THAT(list.out, HasSubstr(batch_));
  EXPECT_THAT(list.out, HasSubstr(P("deep/er/gone3.rkyv")));
  EXPECT_THAT(list.out, HasSubstr("4 files"));
  EXPECT_THAT(list.out, HasSubstr("2 batches"));

  const RunResult json = Ctl({"--json", "quarantine", "list", tree_.root(), "--batch", batch_});
  ASSERT_EQ(json.exit_code, 0) << json;
  rapidjson::Document document;
  document.Parse(json.out.c_str());
  ASSERT_FALSE(document.HasParseError()) << json.out;
  EXPECT_EQ(document["results"].Size(), 3u);
  EXPECT_EQ(document["summary"]["batches"][0]["id"].GetString(), batch_);

  const TreeListing before = ListTree(tree_.root());
  const RunResult dry = Ctl({"quarantine", "restore", tree_.root(), "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry;
  EXPECT_THAT(dry.out, HasSubstr("WOULD RESTORE"));
  EXPECT_THAT(dry.out, HasSubstr("Would restore 4 files"));
  EXPECT_EQ(ListTree(tree_.root()), before);

  tree_.WriteBin("old/x.bin", kYoloDoc);  // the old batch's file conflicts
  Share();
  const RunResult restore = Ctl({"quarantine", "restore", tree_.root()});
  EXPECT_EQ(restore.exit_code, 1) << restore;  // a conflict is a finding
  EXPECT_THAT(restore.out, HasSubstr("CONFLICT"));
  EXPECT_THAT(restore.out, HasSubstr("Restored 3 files"));
  for (const auto& [relative, bytes] : originals_) EXPECT_EQ(tree_.ReadFile(relative), bytes);
  EXPECT_EQ(tree_.ReadFile("old/x.bin"), BinBytes(kYoloDoc));

  const RunResult usage = Ctl({"quarantine", "purge", tree_.root()});
  EXPECT_EQ(usage.exit_code, 2) << usage;
  EXPECT_THAT(usage.err, HasSubstr("--older-than"));
  EXPECT_EQ(Ctl({"quarantine", "nope", tree_.root()}).exit_code, 2);
  EXPECT_EQ(Ctl({"quarantine", "list", tree_.root(), "--dry-run"}).exit_code, 2);

  const RunResult purge_dry =
      Ctl({"quarantine", "purge", tree_.root(), "--older-than", "30", "--dry-run"});
  ASSERT_EQ(purge_dry.exit_code, 0) << purge_dry;
  EXPECT_THAT(purge_dry.out, HasSubstr("WOULD PURGE"));
  EXPECT_TRUE(tree_.Exists(std::string(".sidecard-quarantine/") + kOldBatch + "/old/x.bin"));
  const RunResult purge = Ctl({"quarantine", "purge", tree_.root(), "--older-than", "30"});
  ASSERT_EQ(purge.exit_code, 0) << purge;
  EXPECT_THAT(purge.out, HasSubstr("Purged 1 batch"));
  EXPECT_FALSE(tree_.Exists(std::string(".sidecard-quarantine/") + kOldBatch));
}

class QuarantineReadOnlyTest : public QuarantineTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--read-only"};
    return options;
  }
};

TEST_F(QuarantineReadOnlyTest, ListsAndDryRunsButChangesNothing) {
  tree_.WriteBin(std::string(".sidecard-quarantine/") + kOldBatch + "/x.bin", kFaceDoc);
  Share();
  const TreeListing before = ListTree(tree_.root());
  EXPECT_TRUE(List().status.ok());
  EXPECT_TRUE(Restore(true).status.ok());
  EXPECT_TRUE(Purge(0, true).status.ok());
  EXPECT_EQ(Restore(false).status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Purge(0, false).status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListTree(tree_.root()), before);
}

}  // namespace
}  // namespace sidecard::testing
