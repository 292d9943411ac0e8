// The fault suite (issue 17): the real daemon, killed with SIGKILL in the
// middle of every kind of write, and raced by another program that writes
// sidecars the usual way (a temporary file renamed over the name). It checks
// that nothing a caller was told is saved, and nothing another program
// wrote, ends up in no file, and prints its figures. scripts/test runs it as
// a stage of its own (bounded: SIDECARD_FAULT_ROUNDS kill rounds, default
// 100; SIDECARD_FAULT_WRITES external renames, default 2400).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

namespace fs = std::filesystem;

int FromEnvironment(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

// The JSON text of a sidecar file, or nullopt when it does not decode as
// its extension says (a torn or empty file).
std::optional<std::string> SidecarText(const std::string& path) {
  const std::string bytes = ReadWholeFile(path);
  std::string_view body = bytes;
  if (path.ends_with(".bin")) {
    if (bytes.size() < 8) return std::nullopt;
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
    if (length != bytes.size() - 8) return std::nullopt;
    body.remove_prefix(8);
  }
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  return std::string(body);
}

// Everything the tree holds about each stem (`dir/IMG_7`): the text of its
// sidecars, conflict files and held working files, wherever they are
// (quarantine included), so a marker found nowhere is lost.
struct TreeContents {
  std::map<std::string, std::string> text_by_stem;
  int sidecars = 0;
  int torn = 0;  // sidecar names whose content does not decode
  int temporary_files = 0;
  int held_files = 0;
  int conflict_files = 0;
  std::vector<std::string> torn_paths;

  // Whether `marker` (a key or string value) is in some file of `stem`.
  bool Holds(const std::string& stem, const std::string& marker) const {
    const auto it = text_by_stem.find(stem);
    return it != text_by_stem.end() && it->second.find('"' + marker + '"') != std::string::npos;
  }
};

TreeContents ReadTree(const std::string& root) {
  TreeContents contents;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    // The stem key is the folder below the root (quarantine batches keep
    // relative paths) plus the file's stem.
    std::string relative = fs::relative(entry.path().parent_path(), root).string();
    if (relative.starts_with(".sidecard-quarantine")) {
      const size_t batch_end = relative.find('/', relative.find('/') + 1);
      relative = batch_end == std::string::npos ? "." : relative.substr(batch_end + 1);
    }
    const auto add = [&](std::string_view file, const std::string& text) {
      const std::string stem(file.substr(0, file.find('.')));
      contents.text_by_stem[relative + "/" + stem] += text;
    };
    if (name.starts_with(".sidecard-tmp-")) {
      ++contents.temporary_files;
    } else if (name.starts_with(".sidecard-held-")) {
      ++contents.held_files;
      add(std::string_view(name).substr(15), ReadWholeFile(entry.path()));
    } else if (name.find(".conflict-") != std::string::npos) {
      ++contents.conflict_files;
      add(name, ReadWholeFile(entry.path()));
    } else if (name.ends_with(".bin") || name.ends_with(".json")) {
      ++contents.sidecars;
      if (auto text = SidecarText(entry.path())) {
        add(name, *text);
      } else {
        ++contents.torn;
        contents.torn_paths.push_back(entry.path());
      }
    }
  }
  return contents;
}

class FaultSuite : public DaemonTest {
 protected:
  static std::string Stem(int folder, int image) {
    return "g" + std::to_string(folder) + "/IMG_" + std::to_string(image);
  }

  // A sidecar document carrying `marker` under its own key, so merges keep
  // it and nothing conflicts with it.
  static std::string Document(const std::string& marker) {
    return R"({")" + marker + R"(": {"success": true, "marker": ")" + marker + R"("}})";
  }

  // Saves `operation` (a small payload) into the sidecar of `stem`'s image.
  grpc::Status SaveOperation(Client& client, const std::string& stem,
                             const std::string& operation) {
    v1::SaveSidecarRequest request;
    request.set_image_path(P(stem + ".jpg"));
    request.set_operation(operation);
    request.set_payload_json(R"({"success": true})");
    v1::SaveSidecarResponse response;
    return client.SaveSidecar(request, &response);
  }

  void Restart() {
    client_.reset();
    ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
    client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
  }

  void KillDaemon() {
    kill(daemon_.pid(), SIGKILL);  // no chance to finish anything
    daemon_.Kill();
  }
};

// Kill -9 in the middle of saves, conversions (to .json and to .bin) and
// cleanups (delete and quarantine), round after round, restarting each time.
TEST_F(FaultSuite, KillNineInTheMiddleOfEveryWriteLosesNothing) {
  const int rounds = FromEnvironment("SIDECARD_FAULT_ROUNDS", 100);
  constexpr int kFolders = 3;
  constexpr int kImages = 60;
  // Markers that must be found at the end: stem → markers.
  std::map<std::string, std::set<std::string>> must_keep;
  for (int f = 0; f < kFolders; ++f) {
    for (int i = 0; i < kImages; ++i) {
      const std::string stem = Stem(f, i);
      const std::string marker = "initial_" + std::to_string(f) + "_" + std::to_string(i);
      tree_.WriteFile(stem + ".jpg", "");
      if (i % 2 == 0) {
        tree_.WriteBin(stem + ".bin", Document(marker));
      } else {
        tree_.WriteFile(stem + ".json", Document(marker));
      }
      must_keep[stem].insert(marker);
    }
  }
  std::mt19937 random(20261204);
  std::mutex mutex;
  int calls = 0, acknowledged_saves = 0, interrupted = 0, orphans_made = 0;
  std::map<std::string, int> rounds_by_kind;
  for (int round = 0; round < rounds; ++round) {
    const int kind = round % 5;  // save, to json, to bin, delete, quarantine
    // Fresh orphans for the cleanups and conversions. Delete rounds clean
    // trash/ only, so every orphan elsewhere must stay somewhere (in place,
    // converted, or in quarantine).
    for (int k = 0; k < 12; ++k) {
      const std::string folder = kind == 3 ? "trash" : "g" + std::to_string(k % kFolders);
      const std::string marker = "orphan_" + std::to_string(round) + "_" + std::to_string(k);
      const std::string stem = folder + "/" + marker;
      if (k % 2 == 0) {
        tree_.WriteBin(stem + ".bin", Document(marker));
      } else {
        tree_.WriteFile(stem + ".json", Document(marker));
      }
      if (kind != 3) must_keep[stem].insert(marker);
      ++orphans_made;
    }
    static constexpr const char* kKinds[] = {"save", "convert to json", "convert to bin",
                                             "cleanup delete", "cleanup quarantine"};
    ++rounds_by_kind[kKinds[kind]];
    Share();
    if (!daemon_.running()) Restart();
    std::atomic<bool> done{false};
    std::vector<std::thread> workers;
    if (kind == 0) {
      for (int w = 0; w < 3; ++w) {
        workers.emplace_back([&, w] {
          Client client({.address = daemon_.address(), .timeout = 10s, .max_attempts = 1});
          for (int seq = 0;; ++seq) {
            const std::string stem = Stem((w + seq) % kFolders, (seq * 7 + w) % kImages);
            const std::string operation = "save_" + std::to_string(round) + "_" +
                                          std::to_string(w) + "_" + std::to_string(seq);
            const grpc::Status status = SaveOperation(client, stem, operation);
            std::lock_guard lock(mutex);
            ++calls;
            if (!status.ok()) return;  // killed
            ++acknowledged_saves;
            must_keep[stem].insert(operation);
          }
        });
      }
    } else {
      workers.emplace_back([&, kind] {
        // One attempt: a call the kill cut must not wait for a daemon.
        Client client({.address = daemon_.address(), .timeout = 30s, .max_attempts = 1});
        grpc::Status status;
        if (kind == 1 || kind == 2) {
          v1::ConvertRequest request;
          request.set_root(tree_.root());
          request.set_target_format(kind == 1 ? v1::SIDECAR_FORMAT_JSON : v1::SIDECAR_FORMAT_BIN);
          request.set_apply(true);
          status = client.Convert(request, [](const v1::ConvertResponse&) {});
        } else {
          v1::CleanupRequest request;
          request.set_root(kind == 3 ? P("trash") : tree_.root());
          request.set_mode(kind == 3 ? v1::CLEANUP_MODE_DELETE : v1::CLEANUP_MODE_QUARANTINE);
          status = client.Cleanup(request, [](const v1::CleanupResponse&) {});
        }
        std::lock_guard lock(mutex);
        ++calls;
        if (!status.ok()) ++interrupted;
        done = true;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + random() % 60));
    if (!done) ++interrupted;
    KillDaemon();
    for (auto& worker : workers) worker.join();
  }

  // Restart once more (a daemon that starts on a crashed tree), then check.
  Restart();
  const TreeContents contents = ReadTree(tree_.root());
  int lost = 0;
  std::string first_lost;
  for (const auto& [stem, markers] : must_keep) {
    for (const std::string& marker : markers) {
      if (contents.Holds(stem, marker)) continue;
      if (++lost == 1) first_lost = stem + ": " + marker;
    }
  }
  std::printf(
      "fault suite (kill -9): %d rounds (%d save, %d convert to json, %d convert to bin, "
      "%d cleanup delete, %d cleanup quarantine), %d calls, %d interrupted by the kill; "
      "%d acknowledged saves, %d orphans made; %d sidecar files checked, %d torn; "
      "working files left: %d temporary, %d held; %d conflict files; lost: %d\n",
      rounds, rounds_by_kind["save"], rounds_by_kind["convert to json"],
      rounds_by_kind["convert to bin"], rounds_by_kind["cleanup delete"],
      rounds_by_kind["cleanup quarantine"], calls, interrupted, acknowledged_saves, orphans_made,
      contents.sidecars, contents.torn, contents.temporary_files, contents.held_files,
      contents.conflict_files, lost);
  RecordProperty("rounds", rounds);
  RecordProperty("acknowledged_saves", acknowledged_saves);
  RecordProperty("lost", lost);
  EXPECT_GT(acknowledged_saves, 0);
  EXPECT_EQ(contents.torn, 0) << (contents.torn_paths.empty() ? "" : contents.torn_paths[0]);
  EXPECT_EQ(lost, 0) << "first lost: " << first_lost;
  // Whatever the crashes left, the restarted daemon validates the tree.
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.summary.invalid_files(), 0);
}

// Another program writes `IMG_n.json` the usual way (temporary file, then
// rename) while sidecard converts the folder back and forth and saves into
// the same images. Each image is written by the other program once, so its
// write is the last word on that file and must end up in some file. The
// work runs in small folders, one after the other, so that every pass of
// Convert is short and the other program's writes often land inside one.
TEST_F(FaultSuite, AnotherProgramsWritesSurviveConvertAndSave) {
  const int writes = FromEnvironment("SIDECARD_FAULT_WRITES", 2400);
  constexpr int kImagesPerFolder = 40;  // the other program writes 30 of them
  constexpr int kWritesPerFolder = 30;
  struct Write {
    std::string stem, marker;
  };
  std::vector<Write> other_writes;
  struct Saved {
    std::string stem, operation;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Saved> saved;
  std::map<std::string, std::chrono::steady_clock::time_point> other_wrote_at;
  std::mutex mutex;
  int conversions = 0, convert_refusals = 0, save_calls = 0, saves_aborted = 0;
  std::mt19937 random(4242);
  for (int folder = 0; static_cast<int>(other_writes.size()) < writes; ++folder) {
    const std::string dir = "f" + std::to_string(folder);
    std::vector<std::string> stems;
    for (int i = 0; i < kImagesPerFolder; ++i) {
      const std::string stem = dir + "/IMG_" + std::to_string(i);
      stems.push_back(stem);
      tree_.WriteFile(stem + ".jpg", "");
      // A third each: a .bin, a .json, no sidecar yet.
      if (i % 3 == 0) tree_.WriteBin(stem + ".bin", Document("initial"));
      if (i % 3 == 1) tree_.WriteFile(stem + ".json", Document("initial"));
    }
    Share();
    std::vector<std::string> order = stems;
    std::shuffle(order.begin(), order.end(), random);
    order.resize(kWritesPerFolder);

    std::atomic<bool> stop{false};
    std::thread other_program([&] {
      const std::string scratch = P(dir + "/other-program.tmp");
      for (const std::string& stem : order) {
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
        const std::string marker =
            "other_" + std::to_string(folder) + "_" + stem.substr(dir.size() + 1);
        {
          std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
          out << Document(marker);
        }
        if (rename(scratch.c_str(), P(stem + ".json").c_str()) != 0) {
          ADD_FAILURE() << "rename: " << std::strerror(errno);
          break;
        }
        std::lock_guard lock(mutex);
        other_wrote_at[stem] = std::chrono::steady_clock::now();
        other_writes.push_back({stem, marker});
      }
      stop = true;
    });
    std::thread converter([&] {
      Client client({.address = daemon_.address(), .timeout = 60s});
      for (int pass = 0; !stop; ++pass) {
        v1::ConvertRequest request;
        request.set_root(P(dir));
        request.set_target_format(pass % 2 == 0 ? v1::SIDECAR_FORMAT_JSON : v1::SIDECAR_FORMAT_BIN);
        request.set_apply(true);
        const grpc::Status status = client.Convert(request, [&](const v1::ConvertResponse& m) {
          std::lock_guard lock(mutex);
          for (const auto& result : m.results()) {
            if (result.action() == v1::CONVERT_ACTION_CONVERTED) ++conversions;
            if (result.action() == v1::CONVERT_ACTION_FAILED) ++convert_refusals;
          }
        });
        EXPECT_TRUE(status.ok()) << status.error_message();
      }
    });
    std::thread saver([&] {
      Client client({.address = daemon_.address(), .timeout = 30s});
      for (int seq = 0; !stop; ++seq) {
        const std::string& stem = stems[static_cast<size_t>(seq * 7) % stems.size()];
        const std::string operation = "save_" + std::to_string(folder) + "_" + std::to_string(seq);
        const grpc::Status status = SaveOperation(client, stem, operation);
        std::lock_guard lock(mutex);
        ++save_calls;
        if (status.ok()) {
          saved.push_back({stem, operation, std::chrono::steady_clock::now()});
        } else if (status.error_code() == grpc::StatusCode::ABORTED) {
          ++saves_aborted;  // the other program kept writing: refused, not lost
        } else {
          ADD_FAILURE() << status.error_message();
        }
      }
    });
    other_program.join();
    converter.join();
    saver.join();
  }

  const TreeContents contents = ReadTree(tree_.root());
  int lost_other = 0, lost_saves = 0, saves_checked = 0;
  std::string first_lost;
  for (const Write& write : other_writes) {
    if (contents.Holds(write.stem, write.marker)) continue;
    if (++lost_other <= 5) first_lost += write.stem + ": " + write.marker + "; ";
  }
  for (const Saved& save : saved) {
    // The other program's rename replaces whatever the .json held, by its
    // own doing (it does not merge); a save acknowledged after it must stay.
    const auto wrote = other_wrote_at.find(save.stem);
    if (wrote != other_wrote_at.end() && wrote->second >= save.at) continue;
    ++saves_checked;
    if (!contents.Holds(save.stem, save.operation)) {
      if (++lost_saves <= 5) first_lost += save.stem + ": " + save.operation + "; ";
    }
  }
  std::printf(
      "fault suite (another program writes): %zu renames by the other program, %d conversions "
      "applied (%d refused as changed meanwhile), %d save calls (%zu acknowledged, %d checked, "
      "%d aborted after retries); %d sidecar files, %d torn, %d conflict files; "
      "lost: %d of the other program's writes, %d acknowledged saves\n",
      other_writes.size(), conversions, convert_refusals, save_calls, saved.size(), saves_checked,
      saves_aborted, contents.sidecars, contents.torn, contents.conflict_files, lost_other,
      lost_saves);
  RecordProperty("renames", static_cast<int>(other_writes.size()));
  RecordProperty("lost", lost_other + lost_saves);
  EXPECT_GE(static_cast<int>(other_writes.size()), writes);
  EXPECT_GT(conversions, 0);
  EXPECT_EQ(contents.torn, 0);
  EXPECT_EQ(lost_other + lost_saves, 0) << "lost (the first 5 of each): " << first_lost;
}

}  // namespace
}  // namespace sidecard::testing
