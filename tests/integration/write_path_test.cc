// The write path through the real daemon: ReadSidecar, SaveSidecar, Export
// and Convert, concurrent saves, and crash safety (kill -9 in the middle of
// saves and conversions, then restart: every sidecar still decodes and holds
// the old or the new content, and no acknowledged save is lost).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;

// The document in a sidecar file (`.bin` or `.json`), or an error text.
struct Decoded {
  bool ok = false;
  rapidjson::Document document;
  std::string error;
};

Decoded DecodeFile(const std::string& path) {
  Decoded decoded;
  const std::string bytes = ReadWholeFile(path);
  std::string_view body = bytes;
  if (path.ends_with(".bin")) {
    if (bytes.size() < 8) {
      decoded.error = "shorter than the length header";
      return decoded;
    }
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
    if (length != bytes.size() - 8) {
      decoded.error = "length header does not match the body";
      return decoded;
    }
    body.remove_prefix(8);
  }
  decoded.document.Parse(body.data(), body.size());
  if (decoded.document.HasParseError() || !decoded.document.IsObject()) {
    decoded.error = "not a JSON object";
    return decoded;
  }
  decoded.ok = true;
  return decoded;
}

class WritePathTest : public DaemonTest {
 protected:
  grpc::Status Save(Client& client, const std::string& rel_image, const std::string& operation,
                    const std::string& payload, v1::SaveSidecarResponse* response = nullptr,
                    bool overwrite_corrupt = false) {
    v1::SaveSidecarRequest request;
    request.set_image_path(P(rel_image));
    request.set_operation(operation);
    request.set_payload_json(payload);
    request.set_overwrite_corrupt(overwrite_corrupt);
    v1::SaveSidecarResponse ignored;
    return client.SaveSidecar(request, response != nullptr ? response : &ignored);
  }

  grpc::Status Read(const std::string& rel_image, v1::ReadSidecarResponse& response) {
    v1::ReadSidecarRequest request;
    request.set_image_path(P(rel_image));
    return client_->ReadSidecar(request, &response);
  }
};

// The C++ client retries UNAVAILABLE with backoff: a call made while the
// daemon is restarting succeeds once it is back.
TEST_F(WritePathTest, ClientRetriesWhileTheDaemonRestarts) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  daemon_.Kill();
  std::thread restart([&] {
    std::this_thread::sleep_for(300ms);
    EXPECT_TRUE(daemon_.Start(MakeDaemonOptions()));
  });
  Client patient({.address = daemon_.address(), .timeout = 10s});
  v1::StatsRequest request;
  request.set_root(tree_.root());
  v1::StatsResponse stats;
  const grpc::Status status = patient.Stats(request, &stats);
  restart.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.total_images(), 1);
  Client impatient({.address = daemon_.address(), .timeout = 10s, .max_attempts = 1});
  EXPECT_TRUE(impatient.Stats(request, &stats).ok());
}

TEST_F(WritePathTest, SaveThenReadThroughTheDaemon) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(
      Save(*client_, "IMG_1.jpg", "yolov8", R"({"success": true, "objects": []})", &saved).ok());
  EXPECT_TRUE(saved.created());
  EXPECT_EQ(saved.sidecar().path(), P("IMG_1.bin"));
  EXPECT_EQ(saved.format(), v1::SIDECAR_FORMAT_BIN);
  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_1.jpg", read).ok());
  EXPECT_TRUE(read.found());
  EXPECT_EQ(read.sidecar().path(), P("IMG_1.bin"));
  rapidjson::Document document;
  document.Parse(read.document_json().c_str());
  ASSERT_TRUE(document.IsObject());
  EXPECT_TRUE(document["yolov8"]["success"].GetBool());
  EXPECT_STREQ(document["sidecar_info"]["last_operation"].GetString(), "yolov8");
}

TEST_F(WritePathTest, ReadWithoutSidecarIsEmpty) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_1.jpg", read).ok());
  EXPECT_FALSE(read.found());
  EXPECT_EQ(read.document_json(), "{}");
}

TEST_F(WritePathTest, BadRequestsGetTheRightCodes) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  EXPECT_EQ(Save(*client_, "missing.jpg", "yolov8", "{}").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Save(*client_, "IMG_1.jpg", "yolov8", "[1, 2]").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Save(*client_, "IMG_1.jpg", "yolov8", "{\"a\":").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Save(*client_, "IMG_1.jpg", "Not An Operation", "{}").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::SaveSidecarRequest outside;
  outside.set_image_path("/etc/hostname");
  outside.set_operation("yolov8");
  outside.set_payload_json("{}");
  v1::SaveSidecarResponse response;
  EXPECT_EQ(client_->SaveSidecar(outside, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(tree_.Exists("IMG_1.bin"));
}

// docs/CONTRACT.md §5: "Save treated a corrupt .bin as {} and overwrote it".
TEST_F(WritePathTest, Regression_CorruptSidecarIsRefusedThenKeptAsideOnOverwrite) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.bin", RandomBytes());
  Share();
  const grpc::Status refused = Save(*client_, "IMG_1.jpg", "yolov8", R"({"success": true})");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr(P("IMG_1.bin")));
  EXPECT_EQ(tree_.ReadFile("IMG_1.bin"), RandomBytes());

  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(Save(*client_, "IMG_1.jpg", "yolov8", R"({"success": true})", &saved,
                   /*overwrite_corrupt=*/true)
                  .ok());
  ASSERT_THAT(saved.corrupt_kept_as().path(), HasSubstr("IMG_1.bin.corrupt-"));
  EXPECT_EQ(ReadWholeFile(saved.corrupt_kept_as().path()), RandomBytes());
  EXPECT_TRUE(DecodeFile(P("IMG_1.bin")).ok);
}

// docs/CONTRACT.md §5: "lost one of two concurrent saves".
TEST_F(WritePathTest, Regression_ThirtyTwoConcurrentSavesAllSurvive) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 32; ++i) {
    writers.emplace_back([&, i] {
      Client client({.address = daemon_.address(), .timeout = 30s});
      const std::string payload = R"({"success": true, "n": )" + std::to_string(i) + "}";
      if (Save(client, "IMG_1.jpg", "op_" + std::to_string(i), payload).ok()) ++ok;
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(ok.load(), 32);
  const Decoded decoded = DecodeFile(P("IMG_1.bin"));
  ASSERT_TRUE(decoded.ok) << decoded.error;
  for (int i = 0; i < 32; ++i) {
    const std::string key = "op_" + std::to_string(i);
    ASSERT_TRUE(decoded.document.HasMember(key.c_str())) << key;
    EXPECT_EQ(decoded.document[key.c_str()]["n"].GetInt(), i);
  }
}

// docs/CONTRACT.md §5: "resolved relative symlinks against the process's working
// directory" — the daemon runs with its own working directory.
TEST_F(WritePathTest, Regression_SymlinkedImageGetsSidecarBesideItsTarget) {
  tree_.WriteFile("originals/IMG_1.jpg", "");
  tree_.Symlink("games/g1/IMG_1.jpg", "../../originals/IMG_1.jpg");
  Share();
  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(Save(*client_, "games/g1/IMG_1.jpg", "yolov8", "{}", &saved).ok());
  EXPECT_EQ(saved.sidecar().path(), P("originals/IMG_1.bin"));
  EXPECT_FALSE(tree_.Exists("games/g1/IMG_1.bin"));
}

TEST_F(WritePathTest, Regression_LegacyJsonIsMergedOnFirstSave) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", R"({"face_detection": {"success": true, "faces": [{}]}})");
  Share();
  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(Save(*client_, "IMG_1.jpg", "yolov8", R"({"success": true})", &saved).ok());
  ASSERT_EQ(saved.merged_from_size(), 1);
  EXPECT_EQ(saved.merged_from(0).path(), P("IMG_1.json"));
  const Decoded decoded = DecodeFile(P("IMG_1.bin"));
  ASSERT_TRUE(decoded.ok);
  EXPECT_TRUE(decoded.document.HasMember("face_detection"));
  EXPECT_TRUE(decoded.document.HasMember("yolov8"));
}

TEST_F(WritePathTest, ExportJsonLinesParsesBack) {
  for (int i = 0; i < 3; ++i) {
    const std::string stem = "IMG_" + std::to_string(i);
    tree_.WriteFile(stem + ".jpg", "");
    tree_.WriteFile(stem + ".json", R"({"yolov8": {"success": true, "objects": [{}]}})");
  }
  Share();
  v1::ExportRequest request;
  request.set_root(tree_.root());
  request.set_format(v1::EXPORT_FORMAT_JSONL);
  std::string output;
  v1::ExportSummary summary;
  ASSERT_TRUE(client_
                  ->Export(request,
                           [&](const v1::ExportResponse& message) {
                             output += message.chunk();
                             if (message.has_summary()) summary = message.summary();
                           })
                  .ok());
  EXPECT_EQ(summary.exported(), 3);
  std::istringstream lines(output);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document item;
    item.Parse(line.c_str());
    ASSERT_TRUE(item.IsObject()) << line;
    EXPECT_EQ(std::string(item["image"].GetString()), P("IMG_" + std::to_string(count) + ".jpg"));
    EXPECT_TRUE(item["document"]["yolov8"]["success"].GetBool());
    ++count;
  }
  EXPECT_EQ(count, 3);
}

TEST_F(WritePathTest, ConvertDryRunChangesNothing) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", R"({"yolov8": {"success": true}})");
  tree_.WriteFile("package.json", R"({"name": "x"})");
  Share();
  const TreeListing before = ListTree(tree_.root());
  v1::ConvertRequest request;
  request.set_root(tree_.root());
  request.set_target_format(v1::SIDECAR_FORMAT_BIN);
  int would_convert = 0;
  ASSERT_TRUE(client_
                  ->Convert(request,
                            [&](const v1::ConvertResponse& message) {
                              for (const auto& result : message.results()) {
                                if (result.action() == v1::CONVERT_ACTION_WOULD_CONVERT) {
                                  ++would_convert;
                                }
                              }
                            })
                  .ok());
  EXPECT_EQ(would_convert, 1);
  EXPECT_EQ(ListTree(tree_.root()), before);
}

// Crash safety: kill -9 the daemon repeatedly while clients save, restart it
// each time. Every acknowledged save must be on disk; every sidecar must
// decode (old or new content, never empty or half-written).
TEST_F(WritePathTest, CrashSafety_KillDuringSavesLosesNothingAcknowledged) {
  constexpr int kImages = 8;
  constexpr int kRounds = 4;
  constexpr int kWriters = 4;
  for (int i = 0; i < kImages; ++i) tree_.WriteFile("IMG_" + std::to_string(i) + ".jpg", "");
  Share();
  client_.reset();
  std::mt19937 random(20251125);
  std::set<std::pair<int, std::string>> acknowledged;  // (image, operation)
  std::mutex acknowledged_mutex;
  int calls = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (!daemon_.running()) {
      ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> round_calls{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        Client client({.address = daemon_.address(), .timeout = 5s});
        for (int seq = 0; !stop; ++seq) {
          const int image = (w + seq) % kImages;
          const std::string operation =
              "op_" + std::to_string(round) + "_" + std::to_string(w) + "_" + std::to_string(seq);
          ++round_calls;
          if (Save(client, "IMG_" + std::to_string(image) + ".jpg", operation,
                   R"({"success": true, "encoding": [0.1, 0.2, 0.3, 0.4]})")
                  .ok()) {
            std::lock_guard lock(acknowledged_mutex);
            acknowledged.insert({image, operation});
          } else {
            return;  // the daemon is gone
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + random() % 250));
    kill(daemon_.pid(), SIGKILL);  // the fault: no chance to finish anything
    daemon_.Kill();
    stop = true;
    for (auto& writer : writers) writer.join();
    calls += round_calls;
  }

  // Restart and check every sidecar and every acknowledged save.
  ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
  int files_checked = 0;
  int lost = 0;
  for (int i = 0; i < kImages; ++i) {
    const std::string path = P("IMG_" + std::to_string(i) + ".bin");
    if (!std::filesystem::exists(path)) continue;
    const Decoded decoded = DecodeFile(path);
    ++files_checked;
    ASSERT_TRUE(decoded.ok) << path << ": " << decoded.error;
    for (const auto& [image, operation] : acknowledged) {
      if (image == i && !decoded.document.HasMember(operation.c_str())) ++lost;
    }
  }
  RecordProperty("save_calls", calls);
  RecordProperty("faults_injected", kRounds);
  RecordProperty("saves_acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("files_checked", files_checked);
  RecordProperty("saves_lost", lost);
  std::printf(
      "crash safety (saves): %d calls, %d kill -9, %zu acknowledged, %d files checked, "
      "%d lost\n",
      calls, kRounds, acknowledged.size(), files_checked, lost);
  EXPECT_GT(acknowledged.size(), 0u);
  EXPECT_EQ(files_checked, kImages);
  EXPECT_EQ(lost, 0);
  // The restarted daemon reads them too.
  client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok());
  EXPECT_EQ(run.summary.invalid_files(), 0);
}

// Crash safety of Convert: kill -9 repeatedly in the middle of converting
// .json to .bin; after the restarts each image's sidecar still reads as its
// original document, and a last convert finishes the job.
TEST_F(WritePathTest, CrashSafety_KillDuringConvertKeepsEveryDocument) {
  constexpr int kImages = 400;
  std::vector<std::string> originals;
  for (int i = 0; i < kImages; ++i) {
    const std::string stem = "g/IMG_" + std::to_string(1000 + i);
    const std::string json = R"({"face_detection": {"insightface": {"success": true, "n": )" +
                             std::to_string(i) + R"(}}, "sidecar_info": {"image_path": "x"}})";
    tree_.WriteFile(stem + ".jpg", "");
    tree_.WriteFile(stem + ".json", json);
    originals.push_back(json);
  }
  Share();
  v1::ConvertRequest request;
  request.set_root(tree_.root());
  request.set_target_format(v1::SIDECAR_FORMAT_BIN);
  request.set_apply(true);

  // Three times: start a convert, kill -9 the daemon in the middle, restart.
  constexpr int kKills = 3;
  for (int kill_round = 0; kill_round < kKills; ++kill_round) {
    std::thread converter([&] {
      Client client({.address = daemon_.address(), .timeout = 30s});
      client.Convert(request, [](const v1::ConvertResponse&) {});
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(60 + 30 * kill_round));
    kill(daemon_.pid(), SIGKILL);
    daemon_.Kill();
    converter.join();
    client_.reset();
    ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
    client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
  }

  // Every image still reads as its original document (from .bin or .json).
  int converted_before_kill = 0;
  int lost = 0;
  for (int i = 0; i < kImages; ++i) {
    const std::string stem = "g/IMG_" + std::to_string(1000 + i);
    if (!tree_.Exists(stem + ".json")) ++converted_before_kill;
    v1::ReadSidecarResponse read;
    ASSERT_TRUE(Read(stem + ".jpg", read).ok());
    rapidjson::Document got;
    got.Parse(read.document_json().c_str());
    rapidjson::Document want;
    want.Parse(originals[static_cast<size_t>(i)].c_str());
    if (!read.found() || got != want) ++lost;
  }
  std::printf("crash safety (convert): %d images, %d kill -9, %d converted before them, %d lost\n",
              kImages, kKills, converted_before_kill, lost);
  RecordProperty("converted_before_kill", converted_before_kill);
  EXPECT_EQ(lost, 0);

  // A second run finishes: only .bin files, each with its original document.
  int failed = 0;
  ASSERT_TRUE(client_
                  ->Convert(request,
                            [&](const v1::ConvertResponse& message) {
                              for (const auto& result : message.results()) {
                                if (result.action() == v1::CONVERT_ACTION_FAILED) ++failed;
                              }
                            })
                  .ok());
  EXPECT_EQ(failed, 0);
  for (int i = 0; i < kImages; ++i) {
    const std::string stem = "g/IMG_" + std::to_string(1000 + i);
    EXPECT_FALSE(tree_.Exists(stem + ".json")) << stem;
    const Decoded decoded = DecodeFile(P(stem + ".bin"));
    ASSERT_TRUE(decoded.ok) << stem;
    rapidjson::Document want;
    want.Parse(originals[static_cast<size_t>(i)].c_str());
    EXPECT_TRUE(decoded.document == want) << stem;
  }
}

}  // namespace
}  // namespace sidecard::testing
