// The path sandbox through the real daemon: hostile trees built next to an
// "outside" directory that holds orphan-looking sidecars and images. Requests
// with `..`, absolute and relative symlinks (files and directories) pointing
// out, symlinked images and sidecars pointing out, and a directory swapped
// with a symlink to the outside while calls run. Afterwards every outside
// file must be byte-identical and nothing may have been created outside.
//
// The outside directory belongs to the daemon's user like the root does, so a
// daemon that escaped could really read, write and delete there: the tests
// pass only because it never gets there.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every outside document carries this marker, so a response that holds it
// proves the daemon read outside the root.
constexpr std::string_view kOutsideMarker = "outside-marker";

std::string OutsideDoc(std::string_view operation) {
  return std::string(R"({"sidecar_info":{"operation_type":")") + std::string(operation) +
         R"("},")" + std::string(operation) + R"(":{"success":true,"note":")" +
         std::string(kOutsideMarker) + R"("}})";
}

// How many entries of `before` differ in `after`, and how many are new.
struct TreeDiff {
  size_t checked = 0;
  size_t changed = 0;
  size_t created = 0;
  std::vector<std::string> details;
};

TreeDiff Compare(const TreeListing& before, const TreeListing& after) {
  TreeDiff diff;
  for (const auto& [path, entry] : before) {
    ++diff.checked;
    auto it = after.find(path);
    if (it == after.end() || it->second != entry) {
      ++diff.changed;
      diff.details.push_back("changed or gone: " + path);
    }
  }
  for (const auto& entry : after) {
    const std::string& path = entry.first;
    if (!before.contains(path)) {
      ++diff.created;
      diff.details.push_back("created: " + path);
    }
  }
  return diff;
}

class HostileTreeTest : public DaemonTest {
 protected:
  // tree_ holds two siblings: `root` (the only allowed root) and `outside`.
  DaemonProcess::Options MakeDaemonOptions() override {
    tree_.MakeDir("root");
    BuildOutside();
    Share();
    DaemonProcess::Options options;
    options.allowed_roots = {tree_.Path("root")};
    return options;
  }

  void BuildOutside() {
    tree_.WriteBin("outside/orphan.bin", OutsideDoc("face_detection"));
    tree_.WriteFile("outside/orphan.json", OutsideDoc("yolov8"));
    tree_.WriteBin("outside/secret.bin", OutsideDoc("face_detection"));
    tree_.WriteFile("outside/IMG_out.jpg", "outside jpeg");
    tree_.WriteFile("outside/IMG_out.json", OutsideDoc("yolov8"));
    tree_.WriteFile("outside/d/IMG_1.jpg", "outside jpeg");
    tree_.WriteFile("outside/d/IMG_1.json", OutsideDoc("yolov8"));
    tree_.WriteFile("outside/d/IMG_2.jpg", "outside jpeg");
    for (int i = 0; i < 4; ++i) {
      tree_.WriteBin("outside/d/orphan_" + std::to_string(i) + ".bin", OutsideDoc("yolov8"));
    }
  }

  std::string R(std::string_view rel) const { return tree_.Path("root/" + std::string(rel)); }
  std::string Outside() const { return tree_.Path("outside"); }
  TreeListing OutsideListing() const { return ListTree(Outside()); }

  void ExpectOutsideUntouched(const TreeListing& before) {
    const TreeDiff diff = Compare(before, OutsideListing());
    std::printf("[ figures ] outside files checked %zu, changed %zu, created %zu\n", diff.checked,
                diff.changed, diff.created);
    EXPECT_GT(diff.checked, 0u);
    EXPECT_EQ(diff.changed, 0u) << ::testing::PrintToString(diff.details);
    EXPECT_EQ(diff.created, 0u) << ::testing::PrintToString(diff.details);
  }

  grpc::Status Read(const std::string& image, v1::ReadSidecarResponse& response) {
    Share();
    v1::ReadSidecarRequest request;
    request.set_image_path(image);
    return client_->ReadSidecar(request, &response);
  }

  grpc::Status Save(const std::string& image, bool allow_missing = false,
                    v1::SaveSidecarResponse* response = nullptr) {
    Share();
    v1::SaveSidecarRequest request;
    request.set_image_path(image);
    request.set_operation("yolov8");
    request.set_payload_json(R"({"success":true})");
    request.set_allow_missing_image(allow_missing);
    v1::SaveSidecarResponse ignored;
    return client_->SaveSidecar(request, response != nullptr ? response : &ignored);
  }

  grpc::Status Convert(const std::string& root, int* converted = nullptr) {
    Share();
    v1::ConvertRequest request;
    request.set_root(root);
    request.set_target_format(v1::SIDECAR_FORMAT_BIN);
    request.set_apply(true);
    return client_->Convert(request, [&](const v1::ConvertResponse& message) {
      for (const auto& result : message.results()) {
        if (converted != nullptr && result.action() == v1::CONVERT_ACTION_CONVERTED) ++*converted;
      }
    });
  }

  grpc::Status Export(const std::string& root, std::string& text) {
    Share();
    v1::ExportRequest request;
    request.set_root(root);
    request.set_format(v1::EXPORT_FORMAT_JSONL);
    return client_->Export(request,
                           [&](const v1::ExportResponse& message) { text += message.chunk(); });
  }
};

// Every tree operation and every image operation on a path that escapes with
// `..` is refused, whether `..` climbs straight out or through a subfolder.
TEST_F(HostileTreeTest, DotDotEscapesAreRefused) {
  tree_.WriteFile("root/sub/IMG_1.jpg", "jpeg");
  Share();
  const TreeListing before = OutsideListing();
  for (const std::string& dir :
       {R("../outside"), R("sub/../../outside"), R("../outside/d"), R("sub/../../outside/d/..")}) {
    SCOPED_TRACE(dir);
    v1::StatsResponse stats;
    EXPECT_EQ(Stats(dir, stats).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Validate(dir).status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Cleanup(dir, v1::CLEANUP_MODE_DELETE).status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Convert(dir).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    std::string text;
    EXPECT_EQ(Export(dir, text).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(text, Not(HasSubstr(kOutsideMarker)));
  }
  for (const std::string& image : {R("../outside/IMG_out.jpg"), R("sub/../../outside/d/IMG_1.jpg"),
                                   R("../outside/d/new.jpg")}) {
    SCOPED_TRACE(image);
    v1::ReadSidecarResponse read;
    EXPECT_EQ(Read(image, read).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Save(image, /*allow_missing=*/true).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  ExpectOutsideUntouched(before);
}

// Directory symlinks pointing out, absolute and relative: naming them (or a
// path through them) is refused; walking the root never follows them.
TEST_F(HostileTreeTest, DirectorySymlinksOutAreRefusedAndNeverFollowed) {
  tree_.Symlink("root/abs_link", Outside());
  tree_.Symlink("root/rel_link", "../outside");
  tree_.Symlink("root/sub/deep_rel_link", "../../outside/d");
  tree_.WriteFile("root/sub/IMG_1.jpg", "jpeg");
  tree_.WriteFile("root/sub/IMG_1.json", R"({"yolov8":{"success":true}})");
  Share();
  const TreeListing before = OutsideListing();
  for (const std::string& dir : {R("abs_link"), R("rel_link"), R("rel_link/d"),
                                 R("sub/deep_rel_link"), R("abs_link/d/..")}) {
    SCOPED_TRACE(dir);
    v1::StatsResponse stats;
    EXPECT_EQ(Stats(dir, stats).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Cleanup(dir, v1::CLEANUP_MODE_DELETE).status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Cleanup(dir, v1::CLEANUP_MODE_QUARANTINE).status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Convert(dir).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  for (const std::string& image :
       {R("abs_link/IMG_out.jpg"), R("rel_link/d/IMG_1.jpg"), R("sub/deep_rel_link/IMG_2.jpg")}) {
    SCOPED_TRACE(image);
    v1::ReadSidecarResponse read;
    EXPECT_EQ(Read(image, read).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Save(image).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  // The whole root: the links are counted, never entered.
  const CleanupRun deleted = Cleanup(R(""), v1::CLEANUP_MODE_DELETE);
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.error_message();
  EXPECT_EQ(deleted.summary.orphans_found(), 0);
  const CleanupRun quarantined = Cleanup(R(""), v1::CLEANUP_MODE_QUARANTINE);
  ASSERT_TRUE(quarantined.status.ok()) << quarantined.status.error_message();
  int converted = 0;
  ASSERT_TRUE(Convert(R(""), &converted).ok());
  EXPECT_EQ(converted, 1);  // root/sub/IMG_1.json, nothing beyond the links
  std::string text;
  ASSERT_TRUE(Export(R(""), text).ok());
  EXPECT_THAT(text, Not(HasSubstr(kOutsideMarker)));
  const ValidateRun validated = Validate(R(""));
  ASSERT_TRUE(validated.status.ok());
  EXPECT_EQ(validated.summary.total_files(), 1);
  ExpectOutsideUntouched(before);
}

// A symlinked image whose target is outside (absolute or relative link): its
// sidecar would live beside the target, outside, so it is never read nor
// written; Stats counts the link as outside and reads nothing there.
TEST_F(HostileTreeTest, SymlinkedImagesPointingOutAreRefused) {
  tree_.Symlink("root/IMG_abs.jpg", tree_.Path("outside/IMG_out.jpg"));
  tree_.Symlink("root/games/IMG_rel.jpg", "../../outside/d/IMG_1.jpg");
  tree_.Symlink("root/IMG_chain.jpg", "games/IMG_rel.jpg");  // inside, then out
  Share();
  const TreeListing before = OutsideListing();
  for (const std::string& image : {R("IMG_abs.jpg"), R("games/IMG_rel.jpg"), R("IMG_chain.jpg")}) {
    SCOPED_TRACE(image);
    v1::ReadSidecarResponse read;
    const grpc::Status status = Read(image, read);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("outside the allowed roots"));
    EXPECT_THAT(read.document_json(), Not(HasSubstr(kOutsideMarker)));
    EXPECT_EQ(Save(image).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Save(image, /*allow_missing=*/true).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(R(""), stats).ok());
  EXPECT_EQ(stats.symlink_count(), 3);
  EXPECT_EQ(stats.symlinks_outside_roots(), 3);
  EXPECT_EQ(stats.coverage_percentage(), 0);  // the outside sidecars are never read
  ExpectOutsideUntouched(before);
}

// A sidecar that is itself a symlink to an outside file is a foreign file:
// never read, never written through, never replaced, deleted or converted.
TEST_F(HostileTreeTest, SidecarSymlinksPointingOutAreNeverReadWrittenOrRemoved) {
  tree_.WriteFile("root/IMG_3.jpg", "jpeg");
  tree_.Symlink("root/IMG_3.bin", tree_.Path("outside/secret.bin"));
  tree_.WriteFile("root/IMG_4.jpg", "jpeg");
  tree_.Symlink("root/IMG_4.json", "../outside/IMG_out.json");
  tree_.Symlink("root/orphan_abs.bin", tree_.Path("outside/orphan.bin"));
  tree_.Symlink("root/sub/orphan_rel.json", "../../outside/orphan.json");
  Share();
  const TreeListing before = OutsideListing();
  const TreeListing root_before = ListTree(tree_.Path("root"));

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read(R("IMG_3.jpg"), read).ok());
  EXPECT_FALSE(read.found());
  EXPECT_THAT(read.document_json(), Not(HasSubstr(kOutsideMarker)));
  // Saving would have to replace the link: refused, naming the file.
  const grpc::Status saved = Save(R("IMG_3.jpg"));
  EXPECT_EQ(saved.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(saved.error_message(), HasSubstr("IMG_3.bin"));
  EXPECT_THAT(saved.error_message(), HasSubstr("symlink"));
  // Saving beside a linked .json writes a new .bin and leaves the link.
  v1::SaveSidecarResponse response;
  ASSERT_TRUE(Save(R("IMG_4.jpg"), false, &response).ok());
  EXPECT_EQ(response.sidecar().path(), R("IMG_4.bin"));
  EXPECT_EQ(response.merged_from_size(), 0);
  EXPECT_THAT(tree_.ReadFile("root/IMG_4.bin"), Not(HasSubstr(kOutsideMarker)));

  for (v1::CleanupMode mode : {v1::CLEANUP_MODE_DELETE, v1::CLEANUP_MODE_QUARANTINE}) {
    const CleanupRun run = Cleanup(R(""), mode);
    ASSERT_TRUE(run.status.ok()) << run.status.error_message();
    EXPECT_EQ(run.summary.orphans_found(), 0);
  }
  int converted = 0;
  ASSERT_TRUE(Convert(R(""), &converted).ok());
  EXPECT_EQ(converted, 0);
  std::string text;
  ASSERT_TRUE(Export(R(""), text).ok());
  EXPECT_THAT(text, Not(HasSubstr(kOutsideMarker)));

  // Every link is still there, unchanged; the only new file is IMG_4.bin.
  TreeListing root_after = ListTree(tree_.Path("root"));
  EXPECT_TRUE(root_after.contains("IMG_4.bin"));
  root_after.erase("IMG_4.bin");
  EXPECT_EQ(root_after, root_before);
  ExpectOutsideUntouched(before);
}

// The race: a thread keeps exchanging `root/sub` (a real directory) with a
// symlink to the outside directory (absolute and relative, in turn; an atomic
// RENAME_EXCHANGE, so the name always exists) while Cleanup (delete and
// quarantine), Convert (apply), SaveSidecar, ReadSidecar and Export run over
// and over on paths below `root/sub`. The outside mirrors the layout, so a
// daemon that followed the swapped-in link would find work there.
TEST_F(HostileTreeTest, Race_DirectorySwappedWithSymlinkOutNeverEscapes) {
  tree_.WriteFile("root/sub/d/IMG_1.jpg", "jpeg");
  tree_.WriteFile("root/sub/d/IMG_2.jpg", "jpeg");
  tree_.Symlink("root/swap_abs", Outside());
  tree_.Symlink("root/swap_rel", "../outside");
  Share();
  const TreeListing before = OutsideListing();

  // The real `d`, held open so it can be refilled wherever `sub` is now.
  const int real_d = open(R("sub/d").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(real_d, 0) << std::strerror(errno);
  const auto refill = [&] {
    const auto put = [&](const std::string& name, std::string_view bytes) {
      const int fd = openat(real_d, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return;
      const ssize_t written = write(fd, bytes.data(), bytes.size());
      (void)written;
      if (RunningAsRoot() && fchown(fd, kUnprivilegedUid, kUnprivilegedGid) != 0) {
        ADD_FAILURE() << "fchown: " << std::strerror(errno);
      }
      close(fd);
    };
    for (int i = 0; i < 4; ++i) put("orphan_" + std::to_string(i) + ".bin", BinBytes(kFaceDoc));
    put("IMG_2.json", kYoloDoc);
  };
  refill();

  std::atomic<bool> stop{false};
  std::atomic<int64_t> swaps{0};
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> succeeded{0};
  std::atomic<int64_t> refused{0};
  std::atomic<int64_t> other_errors{0};
  std::atomic<int64_t> symlink_appeared{0};  // refused by the open beneath the root
  std::atomic<int64_t> leaks{0};             // responses holding outside content
  std::atomic<int64_t> removed{0};
  std::atomic<int64_t> converted{0};
  std::vector<std::string> unexpected;
  std::mutex unexpected_mutex;
  const auto count = [&](const grpc::Status& status, const char* what) {
    ++calls;
    if (status.ok()) {
      ++succeeded;
    } else if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
               status.error_code() == grpc::StatusCode::NOT_FOUND) {
      ++refused;  // the path led outside, or the swap left nothing there
      if (status.error_message().find("a symlink appeared") != std::string::npos) {
        ++symlink_appeared;
      }
    } else {
      ++other_errors;
      std::lock_guard<std::mutex> lock(unexpected_mutex);
      if (unexpected.size() < 10) {
        unexpected.push_back(std::string(what) + ": " + std::to_string(status.error_code()) + " " +
                             status.error_message());
      }
    }
  };

  std::thread swapper([&] {
    const std::string sub = R("sub");
    for (int64_t i = 0; !stop; ++i) {
      const std::string link = (i / 2) % 2 == 0 ? R("swap_abs") : R("swap_rel");
      if (renameat2(AT_FDCWD, sub.c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE) != 0) {
        ADD_FAILURE() << "RENAME_EXCHANGE: " << std::strerror(errno);
        return;
      }
      ++swaps;
      if (i % 64 == 1) refill();  // `sub` is the link now; the real d is refilled in place
    }
  });

  const std::string d = R("sub/d");
  const auto run_for = [&](auto body) {
    return std::thread([&, body] {
      Client client({.address = daemon_.address(), .timeout = 10s});
      for (int i = 0; !stop; ++i) body(client, i);
    });
  };
  std::vector<std::thread> callers;
  callers.push_back(run_for([&](Client& client, int i) {
    v1::CleanupRequest request;
    request.set_root(d);
    request.set_mode(i % 2 == 0 ? v1::CLEANUP_MODE_DELETE : v1::CLEANUP_MODE_QUARANTINE);
    count(client.Cleanup(request,
                         [&](const v1::CleanupResponse& message) {
                           for (const auto& result : message.results()) {
                             if (result.action() == v1::CLEANUP_ACTION_DELETED ||
                                 result.action() == v1::CLEANUP_ACTION_QUARANTINED) {
                               ++removed;
                             }
                           }
                         }),
          "Cleanup");
  }));
  callers.push_back(run_for([&](Client& client, int) {
    v1::ConvertRequest request;
    request.set_root(d);
    request.set_target_format(v1::SIDECAR_FORMAT_BIN);
    request.set_apply(true);
    count(client.Convert(request,
                         [&](const v1::ConvertResponse& message) {
                           for (const auto& result : message.results()) {
                             if (result.action() == v1::CONVERT_ACTION_CONVERTED) ++converted;
                           }
                         }),
          "Convert");
  }));
  callers.push_back(run_for([&](Client& client, int i) {
    v1::SaveSidecarRequest request;
    request.set_image_path(i % 3 == 0 ? d + "/IMG_new.jpg" : d + "/IMG_1.jpg");
    request.set_allow_missing_image(i % 3 == 0);
    request.set_operation("yolov8");
    request.set_payload_json(R"({"success":true,"round":)" + std::to_string(i) + "}");
    v1::SaveSidecarResponse response;
    count(client.SaveSidecar(request, &response), "SaveSidecar");
  }));
  callers.push_back(run_for([&](Client& client, int i) {
    if (i % 2 == 0) {
      v1::ReadSidecarRequest request;
      request.set_image_path(d + "/IMG_1.jpg");
      v1::ReadSidecarResponse response;
      count(client.ReadSidecar(request, &response), "ReadSidecar");
      if (response.document_json().find(kOutsideMarker) != std::string::npos) ++leaks;
    } else {
      v1::ExportRequest request;
      request.set_root(d);
      request.set_format(v1::EXPORT_FORMAT_JSONL);
      std::string text;
      count(client.Export(request, [&](const v1::ExportResponse& m) { text += m.chunk(); }),
            "Export");
      if (text.find(kOutsideMarker) != std::string::npos) ++leaks;
    }
  }));

  std::this_thread::sleep_for(3s);
  stop = true;
  for (std::thread& caller : callers) caller.join();
  swapper.join();
  close(real_d);

  const TreeDiff diff = Compare(before, OutsideListing());
  std::printf(
      "[ figures ] calls %lld (ok %lld, refused %lld of which %lld as \"a symlink appeared\", "
      "other "
      "errors %lld), swaps %lld, sidecars "
      "removed inside %lld, converted inside %lld, responses with outside content %lld, outside "
      "files checked %zu, changed %zu, created %zu\n",
      static_cast<long long>(calls), static_cast<long long>(succeeded),
      static_cast<long long>(refused), static_cast<long long>(symlink_appeared),
      static_cast<long long>(other_errors), static_cast<long long>(swaps),
      static_cast<long long>(removed), static_cast<long long>(converted),
      static_cast<long long>(leaks), diff.checked, diff.changed, diff.created);
  EXPECT_GT(swaps, 100);
  EXPECT_GT(succeeded, 0);  // the calls did reach the real directory
  EXPECT_EQ(leaks, 0);
  EXPECT_EQ(other_errors, 0);  // a swap is a refusal (or not found), never a failure
  EXPECT_GT(diff.checked, 0u);
  EXPECT_EQ(diff.changed, 0u) << ::testing::PrintToString(diff.details);
  EXPECT_EQ(diff.created, 0u) << ::testing::PrintToString(diff.details);
  for (const std::string& error : unexpected) std::printf("unexpected error: %s\n", error.c_str());
}

}  // namespace
}  // namespace sidecard::testing
