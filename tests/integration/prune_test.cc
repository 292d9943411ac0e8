// Prune (issue 14 item 3) and Export's operation projection (item 2) against
// the real daemon: a dry run changes nothing, --apply loses nothing else
// (other operations, foreign files, formats), the quarantine brings the old
// bytes back, a kill -9 in the middle of an apply loses nothing.
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"
#include "support/sidecar_documents.h"

namespace sidecard::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Faces under two backends, yolo with numbers whose text matters, and an
// unknown key: what a prune of one operation must keep exactly.
constexpr std::string_view kRichDoc =
    R"({"face_detection":{"insightface":{"faces":[{"encoding":[0.1,-2.5e-7,1e300],"face_id":0}],)"
    R"("success":true},"unified":{"faces":[],"success":true}},)"
    R"("notes":{"big":18446744073709551615,"neg":-9223372036854775808,"pi":3.141592653589793},)"
    R"("sidecar_info":{"created_at":"2024-01-01T00:00:00Z","operation_type":"face_detection"},)"
    R"("yolov8":{"yolov8":{"objects":[{"class_name":"person","confidence":0.91}],"success":true}}})";

// The JSON text of a sidecar file (a .bin's body after its header).
std::string BodyOf(const std::string& bytes, bool bin) {
  if (!bin) return bytes;
  EXPECT_GE(bytes.size(), 8u);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(length, bytes.size() - 8) << "not a complete .bin";
  return bytes.substr(8);
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  EXPECT_FALSE(document.HasParseError()) << text;
  return document;
}

struct PruneRun {
  grpc::Status status;
  std::vector<v1::PruneResult> results;
  v1::PruneSummary summary;
  int summaries = 0;
};

class PruneTest : public DaemonTest {
 protected:
  PruneRun Prune(const std::string& operation, bool apply, const std::string* backend = nullptr,
                 Client* client = nullptr) {
    Share();
    v1::PruneRequest request;
    request.set_root(tree_.root());
    request.set_operation(operation);
    if (backend != nullptr) request.set_backend(*backend);
    request.set_apply(apply);
    PruneRun run;
    run.status = (client != nullptr ? *client : *client_)
                     .Prune(request, [&](const v1::PruneResponse& message) {
                       run.results.insert(run.results.end(), message.results().begin(),
                                          message.results().end());
                       if (message.has_summary()) {
                         run.summary = message.summary();
                         ++run.summaries;
                       }
                     });
    return run;
  }

  v1::RestoreQuarantineSummary Restore() {
    Share();
    v1::RestoreQuarantineRequest request;
    request.set_root(tree_.root());
    v1::RestoreQuarantineSummary summary;
    const grpc::Status status =
        client_->RestoreQuarantine(request, [&](const v1::RestoreQuarantineResponse& message) {
          for (const auto& result : message.results()) {
            EXPECT_NE(result.action(), v1::RESTORE_ACTION_FAILED) << result.error();
          }
          if (message.has_summary()) summary = message.summary();
        });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return summary;
  }

  // Images with sidecars in every format, an orphan, a corrupt sidecar, an
  // old per-operation file and foreign files.
  void BuildMixedTree() {
    tree_.WriteFile("a.jpg", "jpeg");
    tree_.WriteBin("a.bin", kRichDoc);
    tree_.WriteFile("b.jpg", "jpeg");
    tree_.WriteFile("b.json", std::string(kFaceDoc) + "\n");  // text, not canonical
    tree_.WriteFile("sub/c.jpg", "jpeg");
    tree_.WriteBin("sub/c.rkyv", kYoloDoc);  // no face_detection: untouched
    tree_.WriteFile("sub/d.jpg", "jpeg");
    tree_.WriteFile("sub/d.bin", RandomBytes());  // corrupt: reported, left alone
    tree_.WriteBin("orphan.bin", kBothDoc);
    tree_.WriteFile("e.jpg", "jpeg");
    tree_.WriteFile("e_face_detection.json", R"({"success":true,"faces":[]})");
    tree_.WriteFile("package.json", R"({"face_detection":{"name":"not a sidecar"}})");
    tree_.WriteFile("model.bin", RandomBytes());
    tree_.WriteFile("face_clusters.json", R"({"face_detection":{}})");
  }

  std::map<std::string, std::string> ActionsByPath(const PruneRun& run) {
    std::map<std::string, std::string> actions;
    for (const auto& result : run.results) {
      actions[fs::path(result.file().path()).lexically_relative(tree_.root()).string()] =
          v1::PruneAction_Name(result.action());
    }
    return actions;
  }
};

TEST_F(PruneTest, DryRunChangesNothingAndReportsEachFile) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const PruneRun run = Prune("face_detection", /*apply=*/false);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.summaries, 1);
  EXPECT_EQ(ListTree(tree_.root()), before);  // bytes, modes and mtimes
  EXPECT_FALSE(tree_.Exists(".sidecard-quarantine"));

  EXPECT_EQ(ActionsByPath(run), (std::map<std::string, std::string>{
                                    {"a.bin", "PRUNE_ACTION_WOULD_PRUNE"},
                                    {"b.json", "PRUNE_ACTION_WOULD_PRUNE"},
                                    {"e_face_detection.json", "PRUNE_ACTION_SKIPPED_LAYOUT"},
                                    {"orphan.bin", "PRUNE_ACTION_WOULD_PRUNE"},
                                    {"sub/d.bin", "PRUNE_ACTION_SKIPPED_UNREADABLE"},
                                }));
  EXPECT_FALSE(run.summary.applied());
  EXPECT_EQ(run.summary.pruned(), 3);
  EXPECT_EQ(run.summary.unreadable(), 1);
  EXPECT_EQ(run.summary.skipped(), 2);
  EXPECT_EQ(run.summary.failed(), 0);
  EXPECT_EQ(run.summary.foreign_files(), 3);  // package.json, model.bin, face_clusters.json
  EXPECT_EQ(run.summary.sidecars_examined(), 6);
  EXPECT_TRUE(run.summary.quarantine_dir().empty());
  for (const auto& result : run.results) {
    if (result.action() != v1::PRUNE_ACTION_WOULD_PRUNE) continue;
    EXPECT_EQ(result.removed(), "face_detection");
    EXPECT_LT(result.new_size_bytes(), result.size_bytes());
  }
}

TEST_F(PruneTest, ApplyRemovesOnlyTheOperationInEachFilesOwnFormat) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const std::string a_before = tree_.ReadFile("a.bin");
  const std::string b_before = tree_.ReadFile("b.json");
  const std::string orphan_before = tree_.ReadFile("orphan.bin");

  const PruneRun run = Prune("face_detection", /*apply=*/true);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_TRUE(run.summary.applied());
  EXPECT_EQ(run.summary.pruned(), 3);
  EXPECT_EQ(run.summary.failed(), 0);
  ASSERT_FALSE(run.summary.quarantine_dir().empty());

  // Every other operation's value is the same JSON value, numbers included.
  const rapidjson::Document old_a = Parse(BodyOf(a_before, true));
  const rapidjson::Document new_a = Parse(BodyOf(tree_.ReadFile("a.bin"), true));
  EXPECT_FALSE(new_a.HasMember("face_detection"));
  EXPECT_TRUE(new_a["yolov8"] == old_a["yolov8"]);
  EXPECT_TRUE(new_a["notes"] == old_a["notes"]);
  EXPECT_THAT(BodyOf(tree_.ReadFile("a.bin"), true),
              HasSubstr(R"("notes":{"big":18446744073709551615,"neg":-9223372036854775808,)"
                        R"("pi":3.141592653589793})"));
  EXPECT_EQ(std::string(new_a["sidecar_info"]["created_at"].GetString()), "2024-01-01T00:00:00Z");
  EXPECT_EQ(std::string(new_a["sidecar_info"]["last_pruned"].GetString()), "face_detection");
  EXPECT_TRUE(new_a["sidecar_info"].HasMember("last_updated"));

  // .json stays JSON text (not a .bin header); the file left with no
  // operation is kept.
  const std::string b_after = tree_.ReadFile("b.json");
  ASSERT_FALSE(b_after.empty());
  EXPECT_EQ(b_after[0], '{');
  const rapidjson::Document new_b = Parse(b_after);
  EXPECT_FALSE(new_b.HasMember("face_detection"));
  EXPECT_TRUE(new_b.HasMember("sidecar_info"));
  const rapidjson::Document new_orphan = Parse(BodyOf(tree_.ReadFile("orphan.bin"), true));
  EXPECT_TRUE(new_orphan["yolov8"] == Parse(BodyOf(orphan_before, true))["yolov8"]);

  // Untouched: the file without the operation, the corrupt one, the old
  // per-operation file, foreign files, images.
  const TreeListing after = ListTree(tree_.root());
  for (const char* same : {"sub/c.rkyv", "sub/d.bin", "e_face_detection.json", "package.json",
                           "model.bin", "face_clusters.json", "a.jpg", "sub/c.jpg"}) {
    EXPECT_EQ(after.at(same), before.at(same)) << same;
  }
  // The previous versions, byte for byte, in the quarantine batch.
  const std::string batch = run.summary.quarantine_dir();
  EXPECT_EQ(ReadWholeFile(batch + "/a.bin"), a_before);
  EXPECT_EQ(ReadWholeFile(batch + "/b.json"), b_before);
  EXPECT_EQ(ReadWholeFile(batch + "/orphan.bin"), orphan_before);

  // A second prune finds nothing left to remove.
  const PruneRun again = Prune("face_detection", /*apply=*/false);
  EXPECT_EQ(again.summary.pruned(), 0);
}

TEST_F(PruneTest, RestoreFromTheQuarantineBringsTheOldBytesBack) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const PruneRun run = Prune("face_detection", /*apply=*/true);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.summary.pruned(), 3);
  // The listing shows the quarantined files, not the prune's records.
  const RunResult listed = Ctl({"quarantine", "list", tree_.root()});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_THAT(listed.out, Not(HasSubstr(".sidecard-pruned-")));

  const v1::RestoreQuarantineSummary restored = Restore();
  EXPECT_EQ(restored.restored(), 3);
  EXPECT_EQ(restored.conflicts(), 0);
  TreeListing after = ListTree(tree_.root());
  for (const auto& [path, entry] : before) {
    const bool rewritten = path == "a.bin" || path == "b.json" || path == "orphan.bin";
    if (!rewritten) {
      EXPECT_EQ(after.at(path), entry) << path;
      continue;
    }
    // Same bytes (mtime is the restore's).
    const std::string bytes_marker = " bytes ";
    EXPECT_EQ(after.at(path).substr(after.at(path).find(bytes_marker)),
              entry.substr(entry.find(bytes_marker)))
        << path;
  }
  EXPECT_FALSE(tree_.Exists(fs::path(run.summary.quarantine_dir())
                                .lexically_relative(tree_.root())
                                .string()));  // emptied batch removed
}

TEST_F(PruneTest, RestoreNeverReplacesAFileChangedSinceThePrune) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kBothDoc);
  const std::string original = tree_.ReadFile("a.bin");
  const PruneRun run = Prune("yolov8", /*apply=*/true);
  ASSERT_EQ(run.summary.pruned(), 1);
  // A detector writes a newer result after the prune.
  tree_.WriteBin("a.bin", kFaceDoc);
  const std::string newer = tree_.ReadFile("a.bin");
  const v1::RestoreQuarantineSummary restored = Restore();
  EXPECT_EQ(restored.restored(), 0);
  EXPECT_EQ(restored.conflicts(), 1);
  EXPECT_EQ(tree_.ReadFile("a.bin"), newer);
  EXPECT_EQ(ReadWholeFile(run.summary.quarantine_dir() + "/a.bin"), original);
}

TEST_F(PruneTest, BackendPruneKeepsTheOperationsOtherBackends) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kRichDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteBin("b.bin", kFaceDoc);  // insightface only: the operation goes too
  const std::string backend = "insightface";
  const PruneRun run = Prune("face_detection", /*apply=*/true, &backend);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.summary.pruned(), 2);
  EXPECT_EQ(run.summary.backend(), "insightface");
  const rapidjson::Document a = Parse(BodyOf(tree_.ReadFile("a.bin"), true));
  ASSERT_TRUE(a.HasMember("face_detection"));
  EXPECT_FALSE(a["face_detection"].HasMember("insightface"));
  EXPECT_TRUE(a["face_detection"].HasMember("unified"));
  EXPECT_EQ(std::string(a["sidecar_info"]["last_pruned"].GetString()),
            "face_detection.insightface");
  const rapidjson::Document b = Parse(BodyOf(tree_.ReadFile("b.bin"), true));
  EXPECT_FALSE(b.HasMember("face_detection"));
}

TEST_F(PruneTest, EmptyOrReservedNamesAreInvalidArguments) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  const std::string empty;
  EXPECT_EQ(Prune("", false).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Prune("sidecar_info", false).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const PruneRun empty_backend = Prune("face_detection", true, &empty);
  EXPECT_EQ(empty_backend.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty_backend.status.error_message(), HasSubstr("backend"));
  EXPECT_EQ(tree_.ReadFile("a.bin"), BinBytes(kFaceDoc));

  const RunResult ctl =
      Ctl({"prune", tree_.root(), "--operation", "face_detection", "--backend", ""});
  EXPECT_EQ(ctl.exit_code, 2) << ctl;
}

TEST_F(PruneTest, SidecarctlPruneIsADryRunUntilApply) {
  BuildMixedTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const RunResult dry = Ctl({"prune", tree_.root(), "--operation", "face_detection"});
  EXPECT_EQ(dry.exit_code, 0) << dry;
  EXPECT_THAT(dry.out, HasSubstr("WOULD PRUNE"));
  EXPECT_THAT(dry.out, HasSubstr("Dry run: nothing was changed"));
  EXPECT_EQ(ListTree(tree_.root()), before);

  const RunResult applied =
      Ctl({"prune", tree_.root(), "--operation", "face_detection", "--apply", "--jsonl"});
  EXPECT_EQ(applied.exit_code, 0) << applied;
  EXPECT_THAT(applied.out, HasSubstr(R"("action":"pruned")"));
  EXPECT_THAT(applied.out, HasSubstr("\"summary\""));
  EXPECT_FALSE(Parse(BodyOf(tree_.ReadFile("a.bin"), true)).HasMember("face_detection"));

  const RunResult restored = Ctl({"quarantine", "restore", tree_.root()});
  EXPECT_EQ(restored.exit_code, 0) << restored;
  EXPECT_EQ(tree_.ReadFile("a.bin"), BinBytes(kRichDoc));
}

// SIGKILL in the middle of an apply over many files: every sidecar is
// complete and either its old or its pruned version, every old version is in
// place or in the quarantine, and a restore brings them all back.
TEST_F(PruneTest, KillNineDuringAnApplyLosesNothing) {
  constexpr int kFolders = 4;
  constexpr int kImages = 250;
  std::map<std::string, std::string> originals;  // relative path -> bytes
  for (int f = 0; f < kFolders; ++f) {
    for (int i = 0; i < kImages; ++i) {
      const std::string stem = "g" + std::to_string(f) + "/IMG_" + std::to_string(i);
      tree_.WriteFile(stem + ".jpg", "");
      const std::string name = stem + (i % 3 == 0 ? ".json" : ".bin");
      if (i % 3 == 0) {
        tree_.WriteFile(name, kRichDoc);
      } else {
        tree_.WriteBin(name, kRichDoc);
      }
      originals[name] = tree_.ReadFile(name);
    }
  }
  Share();
  std::atomic<bool> finished{false};
  std::thread pruning([&] {
    Client client({.address = daemon_.address(), .timeout = 60s, .max_attempts = 1});
    Prune("face_detection", /*apply=*/true, nullptr, &client);
    finished = true;
  });
  // Let some files be pruned, not all.
  for (int waited = 0; waited < 2000 && !finished; waited += 5) {
    std::this_thread::sleep_for(5ms);
    if (fs::exists(P(".sidecard-quarantine"))) {
      std::this_thread::sleep_for(1s);
      break;
    }
  }
  kill(daemon_.pid(), SIGKILL);
  daemon_.Kill();
  pruning.join();

  const rapidjson::Document original_doc = Parse(std::string(kRichDoc));
  std::string batch;
  if (fs::exists(P(".sidecard-quarantine"))) {
    for (const auto& entry : fs::directory_iterator(P(".sidecard-quarantine"))) {
      batch = entry.path();
    }
  }
  int pruned = 0, old = 0;
  for (const auto& [relative, bytes] : originals) {
    const bool bin = relative.ends_with(".bin");
    ASSERT_TRUE(tree_.Exists(relative)) << relative << " is gone";
    const std::string now = tree_.ReadFile(relative);
    if (now == bytes) {
      ++old;
      continue;
    }
    // The pruned version: complete, without face_detection, the rest equal;
    // the old version in the quarantine.
    const rapidjson::Document document = Parse(BodyOf(now, bin));
    ASSERT_TRUE(document.IsObject()) << relative;
    EXPECT_FALSE(document.HasMember("face_detection")) << relative;
    EXPECT_TRUE(document["yolov8"] == original_doc["yolov8"]) << relative;
    EXPECT_TRUE(document["notes"] == original_doc["notes"]) << relative;
    ASSERT_FALSE(batch.empty());
    EXPECT_EQ(ReadWholeFile(batch + "/" + relative), bytes) << relative;
    ++pruned;
  }
  EXPECT_EQ(pruned + old, kFolders * kImages);
  std::printf("prune kill -9: %d pruned, %d old when killed\n", pruned, old);

  // Restart and undo: every old version comes back.
  ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
  client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 60s});
  Restore();
  for (const auto& [relative, bytes] : originals) {
    EXPECT_EQ(tree_.ReadFile(relative), bytes) << relative;
  }
}

// Export's operation projection: only the named operations' subtrees (and
// sidecar_info), images without them left out and counted.
TEST_F(PruneTest, ExportWithOperationsProjectsEachDocument) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kRichDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteBin("b.bin", kYoloDoc);  // no face_detection
  tree_.WriteFile("c.jpg", "jpeg");
  tree_.WriteFile("c.json", kFaceDoc);
  Share();
  for (const v1::ExportFormat format : {v1::EXPORT_FORMAT_JSON, v1::EXPORT_FORMAT_JSONL}) {
    v1::ExportRequest request;
    request.set_root(tree_.root());
    request.set_format(format);
    request.add_operations("face_detection");
    std::string text;
    v1::ExportSummary summary;
    const grpc::Status status = client_->Export(request, [&](const v1::ExportResponse& message) {
      text += message.chunk();
      if (message.has_summary()) summary = message.summary();
    });
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(summary.exported(), 2);
    EXPECT_EQ(summary.without_operations(), 1);
    std::vector<std::string> items;
    if (format == v1::EXPORT_FORMAT_JSONL) {
      for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
           start = end + 1) {
        items.push_back(text.substr(start, end - start));
      }
    } else {
      const rapidjson::Document array = Parse(text);
      ASSERT_TRUE(array.IsArray());
      for (const auto& item : array.GetArray()) {
        items.push_back(item["image"].GetString());  // checked below by path
      }
      EXPECT_EQ(items.size(), 2u);
      const auto& document = array[0]["document"];
      std::vector<std::string> keys;
      for (const auto& member : document.GetObject()) keys.push_back(member.name.GetString());
      EXPECT_THAT(keys, ElementsAre("face_detection", "sidecar_info"));
      EXPECT_TRUE(document["face_detection"] == Parse(std::string(kRichDoc))["face_detection"]);
      continue;
    }
    ASSERT_EQ(items.size(), 2u);
    for (const std::string& line : items) {
      const rapidjson::Document item = Parse(line);
      std::vector<std::string> keys;
      for (const auto& member : item["document"].GetObject()) {
        keys.push_back(member.name.GetString());
      }
      EXPECT_THAT(keys, ElementsAre("face_detection", "sidecar_info")) << line;
    }
  }
  const RunResult ctl = Ctl({"export", tree_.root(), "--format", "jsonl", "--keep-operation",
                             "yolov8", "--keep-operation", "notes"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl;
  EXPECT_THAT(ctl.out, HasSubstr(R"("notes":{)"));
  EXPECT_THAT(ctl.out, Not(HasSubstr(R"("face_detection":{)")));
  EXPECT_THAT(ctl.err, HasSubstr("1 without the kept operations left out"));

  v1::ExportRequest bad;
  bad.set_root(tree_.root());
  bad.add_operations("");
  const grpc::Status refused = client_->Export(bad, [](const v1::ExportResponse&) {});
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace sidecard::testing
