// The path sandbox at the engine level (sandboxed_open.h): hostile trees next
// to an "outside" directory that holds orphan-looking sidecars. Both ways of
// descending (openat2 and the O_NOFOLLOW walk that replaces it where openat2
// is missing) are checked on every case, and the engine operations that
// change files (Cleanup, Convert, SaveSidecar) are run against symlinks and
// hard links that point outside.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/ops/cleanup.h"
#include "server/engine/ops/convert.h"
#include "server/engine/store/image_locks.h"
#include "server/engine/store/sidecar_store.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kMarker = "outside-marker";
constexpr std::string_view kOrphanDoc =
    R"({"sidecar_info":{"operation_type":"yolov8"},"yolov8":{"success":true,"note":"outside-marker"}})";

bool Openat2Available() {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  const long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
  if (fd >= 0) close(static_cast<int>(fd));
  return fd >= 0 || errno != ENOSYS;
}

// (device, inode) of what `fd` or `path` refers to.
std::pair<dev_t, ino_t> IdOf(int fd) {
  struct stat st {};
  EXPECT_EQ(fstat(fd, &st), 0);
  return {st.st_dev, st.st_ino};
}
std::pair<dev_t, ino_t> IdOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return {st.st_dev, st.st_ino};
}

// Every entry below `dir` (never following links): path → kind and content.
std::map<std::string, std::string> Listing(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string path = entry.path().string();
    struct stat st {};
    lstat(path.c_str(), &st);
    std::string value = std::to_string(st.st_ino) + " mtime " + std::to_string(st.st_mtim.tv_sec) +
                        "." + std::to_string(st.st_mtim.tv_nsec);
    if (entry.is_symlink()) {
      value += " -> " + fs::read_symlink(entry.path()).string();
    } else if (entry.is_regular_file()) {
      std::FILE* file = std::fopen(path.c_str(), "rb");
      char buffer[4096];
      size_t n;
      while (file != nullptr && (n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
        value.append(buffer, n);
      }
      if (file != nullptr) std::fclose(file);
    }
    entries[path.substr(dir.size())] = value;
  }
  return entries;
}

// A tree with `root` (the only allowed root) and `outside` beside it.
class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.MakeDir("root/sub/d");
    tree_.WriteFile("outside/d/IMG_1.jpg", "outside jpeg");
    tree_.WriteFile("outside/d/IMG_1.json", kOrphanDoc);
    tree_.WriteBin("outside/d/orphan.bin", kOrphanDoc);
    tree_.WriteBin("outside/secret.bin", kOrphanDoc);
    auto roots = AllowedRoots::Create({R("")});
    ASSERT_TRUE(roots.ok()) << roots.status();
    roots_.emplace(*std::move(roots));
    outside_before_ = Listing(O(""));
  }

  std::string R(std::string_view rel) const {
    return rel.empty() ? tree_.Path("root") : tree_.Path("root/" + std::string(rel));
  }
  std::string O(std::string_view rel) const {
    return rel.empty() ? tree_.Path("outside") : tree_.Path("outside/" + std::string(rel));
  }

  void ExpectOutsideUntouched() {
    const auto after = Listing(O(""));
    size_t changed = 0;
    for (const auto& [path, value] : outside_before_) {
      auto it = after.find(path);
      if (it == after.end() || it->second != value) ++changed;
    }
    const size_t created = after.size() + changed - outside_before_.size();
    std::printf("[ figures ] outside files checked %zu, changed %zu, created %zu\n",
                outside_before_.size(), changed, created);
    EXPECT_EQ(changed, 0u);
    EXPECT_EQ(after, outside_before_);
  }

  EngineContext Context() { return EngineContext{&pool_, &cache_, &*roots_}; }

  CleanupSummary Cleanup(const std::string& dir, CleanupMode mode) {
    CleanupOptions options;
    options.mode = mode;
    auto summary = CleanupTree(dir, options, Context(), Cancellation(),
                               [](std::span<const CleanupResult>) { return true; });
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : CleanupSummary{};
  }

  std::vector<ConvertResult> Convert(const std::string& dir) {
    ConvertOptions options;
    options.apply = true;
    std::vector<ConvertResult> results;
    auto summary = ConvertTree(dir, options, Context(), locks_, Cancellation(),
                               [&](std::span<const ConvertResult> batch) {
                                 results.insert(results.end(), batch.begin(), batch.end());
                                 return true;
                               });
    EXPECT_TRUE(summary.ok()) << summary.status();
    return results;
  }

  absl::StatusOr<SaveOutcome> Save(const std::string& image) {
    auto payload = ParseJson(R"({"success":true})");
    SaveRequest request;
    request.image_path = image;
    request.operation = "yolov8";
    request.payload = &*payload;
    return store_.Save(*roots_, request);
  }

  sidecard::testing::TempTree tree_;
  std::optional<AllowedRoots> roots_;
  std::map<std::string, std::string> outside_before_;
  WorkerPool pool_{2};
  TreeCache cache_{TreeCacheOptions{}};  // remembers nothing
  ImageLocks locks_;
  SidecarStore store_{locks_, 1 << 20};
};

// ------------------------------------------------ OpenDirectoryBeneath

class OpenBeneathTest : public SandboxTest, public ::testing::WithParamInterface<BeneathMethod> {
 protected:
  void SetUp() override {
    if (GetParam() == BeneathMethod::kOpenat2 && !Openat2Available()) {
      GTEST_SKIP() << "openat2 is not available on this kernel";
    }
    SandboxTest::SetUp();
  }

  absl::StatusOr<UniqueFd> Open(const std::string& path) {
    return OpenDirectoryBeneath(*roots_, path, GetParam());
  }
};

TEST_P(OpenBeneathTest, OpensTheRootAndDirectoriesBelowIt) {
  for (const std::string& path : {R(""), R("sub"), R("sub/d")}) {
    auto fd = Open(path);
    ASSERT_TRUE(fd.ok()) << path << ": " << fd.status();
    EXPECT_EQ(IdOf(fd->get()), IdOf(path));
  }
}

TEST_P(OpenBeneathTest, PathsOutsideTheRootsLeadNowhere) {
  for (const std::string& path : {O(""), O("d"), R("../outside"), R("sub/../../outside/d")}) {
    auto fd = Open(path);
    ASSERT_FALSE(fd.ok()) << path;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_THAT(fd.status().message(), HasSubstr("leads outside the allowed roots"));
  }
}

// A resolved path holds no symlink, so any symlink on the way, wherever it
// points (even inside), means the tree changed: refused, naming the path.
TEST_P(OpenBeneathTest, AnySymlinkOnTheWayIsRefused) {
  tree_.Symlink("root/abs_out", O(""));
  tree_.Symlink("root/rel_out", "../outside");
  tree_.Symlink("root/rel_in", "sub");
  tree_.Symlink("root/sub/last_out", "../../outside/d");
  for (const std::string& path : {R("abs_out"), R("abs_out/d"), R("rel_out/d"), R("rel_in"),
                                  R("rel_in/d"), R("sub/last_out")}) {
    auto fd = Open(path);
    ASSERT_FALSE(fd.ok()) << path;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_THAT(fd.status().message(), HasSubstr("changed while in use: a symlink appeared"));
    EXPECT_THAT(fd.status().message(), HasSubstr(path));
  }
}

TEST_P(OpenBeneathTest, MissingOrNonDirectoryComponentsAreNotFound) {
  tree_.WriteFile("root/file", "x");
  for (const std::string& path : {R("nope"), R("nope/d"), R("file"), R("file/d")}) {
    auto fd = Open(path);
    ASSERT_FALSE(fd.ok()) << path;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kNotFound) << path << ": " << fd.status();
  }
}

// The roots are pinned when AllowedRoots is created. When a root's path is
// later replaced (here by a symlink to the outside; a mount over it is the
// same) the sandbox neither follows the new path nor silently serves the old
// directory: it refuses until a reload pins the roots anew.
TEST_P(OpenBeneathTest, ARootReplacedAfterCreationIsRefused) {
  ASSERT_EQ(rename(R("").c_str(), tree_.Path("moved_root").c_str()), 0);
  tree_.Symlink("root", "outside");
  for (const std::string& path : {R(""), R("d"), R("sub/d")}) {
    auto fd = Open(path);
    ASSERT_FALSE(fd.ok()) << path;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(fd.status().message(), HasSubstr("reload"));
  }
  // Put back, the same pinned root serves again.
  ASSERT_EQ(unlink(R("").c_str()), 0);
  ASSERT_EQ(rename(tree_.Path("moved_root").c_str(), R("").c_str()), 0);
  auto fd = Open(R("sub/d"));
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(IdOf(fd->get()), IdOf(R("sub/d")));
}

// The race at its core: a thread keeps exchanging `root/sub` with a symlink
// to the outside (absolute, then relative) while the main thread opens
// `root/sub/d`. Every open that succeeds must be the real `d`.
TEST_P(OpenBeneathTest, Race_SwappedDirectoryNeverOpensOutside) {
  tree_.Symlink("root/swap_abs", O(""));
  tree_.Symlink("root/swap_rel", "../outside");
  const auto real_d = IdOf(R("sub/d"));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> swaps{0};
  std::thread swapper([&] {
    for (int64_t i = 0; !stop; ++i) {
      const std::string link = (i / 2) % 2 == 0 ? R("swap_abs") : R("swap_rel");
      if (renameat2(AT_FDCWD, R("sub").c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE) != 0) {
        ADD_FAILURE() << "RENAME_EXCHANGE: " << std::strerror(errno);
        return;
      }
      ++swaps;
    }
  });
  int64_t opens = 0, opened = 0, refused = 0, not_found = 0, outside = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < until) {
    ++opens;
    auto fd = Open(R("sub/d"));
    if (fd.ok()) {
      ++opened;
      if (IdOf(fd->get()) != real_d) ++outside;
    } else if (fd.status().code() == absl::StatusCode::kPermissionDenied) {
      ++refused;
    } else {
      ++not_found;
    }
  }
  stop = true;
  swapper.join();
  std::printf(
      "[ figures ] opens %lld (real d %lld, refused %lld, other %lld), swaps %lld, opened "
      "outside %lld\n",
      static_cast<long long>(opens), static_cast<long long>(opened),
      static_cast<long long>(refused), static_cast<long long>(not_found),
      static_cast<long long>(swaps.load()), static_cast<long long>(outside));
  EXPECT_GT(swaps, 100);
  EXPECT_GT(opened, 0);
  EXPECT_EQ(outside, 0);
  EXPECT_EQ(not_found, 0);  // RENAME_EXCHANGE never leaves the name missing
}

INSTANTIATE_TEST_SUITE_P(Methods, OpenBeneathTest,
                         ::testing::Values(BeneathMethod::kOpenat2, BeneathMethod::kWalk),
                         [](const auto& method_info) {
                           return method_info.param == BeneathMethod::kOpenat2
                                      ? std::string("Openat2")
                                      : std::string("Walk");
                         });

TEST_F(SandboxTest, CopiesOfAllowedRootsShareThePinnedRoots) {
  const AllowedRoots copy = *roots_;
  roots_.reset();  // the copy keeps the descriptors open
  auto fd = OpenDirectoryBeneath(copy, R("sub"));
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(IdOf(fd->get()), IdOf(R("sub")));
}

TEST_F(SandboxTest, TheInnermostRootAnchorsAPath) {
  auto roots = AllowedRoots::Create({R(""), R("sub")});
  ASSERT_TRUE(roots.ok());
  // The anchor views into the path it was given: keep the path alive.
  const std::string inside = R("sub/d");
  auto anchor = roots->AnchorOf(inside);
  ASSERT_TRUE(anchor.has_value());
  EXPECT_EQ(anchor->root, R("sub"));
  EXPECT_EQ(anchor->relative, "d");
  const std::string top = R("");
  EXPECT_EQ(roots->AnchorOf(top).value().relative, "");
  EXPECT_FALSE(roots->AnchorOf(O("d")).has_value());
}

// ------------------------------------------- engine operations, hostile trees

// Links to the outside (directories and sidecars, absolute and relative) are
// never followed by Cleanup (delete, quarantine) nor Convert.
TEST_F(SandboxTest, CleanupAndConvertNeverFollowLinksOut) {
  tree_.Symlink("root/dir_abs", O("d"));
  tree_.Symlink("root/sub/dir_rel", "../../outside/d");
  tree_.Symlink("root/orphan_abs.bin", O("secret.bin"));
  tree_.Symlink("root/sub/d/orphan_rel.json", "../../../outside/d/IMG_1.json");
  tree_.WriteFile("root/sub/d/IMG_1.jpg", "jpeg");
  tree_.Symlink("root/sub/d/IMG_1.json", "../../../outside/d/IMG_1.json");
  for (CleanupMode mode : {CleanupMode::kDelete, CleanupMode::kQuarantine}) {
    const CleanupSummary summary = Cleanup(R(""), mode);
    EXPECT_EQ(summary.orphans_found, 0);
    EXPECT_EQ(summary.removed, 0);
  }
  for (const ConvertResult& result : Convert(R(""))) {
    ADD_FAILURE() << "converted " << result.target;
  }
  EXPECT_TRUE(tree_.Exists("root/orphan_abs.bin"));
  EXPECT_TRUE(tree_.Exists("root/sub/d/IMG_1.json"));
  EXPECT_FALSE(tree_.Exists("root/sub/d/IMG_1.bin"));
  ExpectOutsideUntouched();
}

// A sidecar that is a symlink to an outside file: Read never reads it (and
// says so), Save refuses to replace it.
TEST_F(SandboxTest, SymlinkedSidecarIsNeverReadNorReplaced) {
  tree_.WriteFile("root/IMG_1.jpg", "jpeg");
  tree_.Symlink("root/IMG_1.bin", "../outside/secret.bin");
  auto read = store_.Read(*roots_, R("IMG_1.jpg"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->found);
  ASSERT_EQ(read->skipped.size(), 1u);
  EXPECT_EQ(read->skipped[0].path, R("IMG_1.bin"));
  EXPECT_THAT(read->skipped[0].error, HasSubstr("symlink"));
  EXPECT_THAT(CanonicalJson(read->document), Not(HasSubstr(kMarker)));

  auto saved = Save(R("IMG_1.jpg"));
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(saved.status().message(), HasSubstr("IMG_1.bin is a symlink"));
  EXPECT_EQ(std::filesystem::read_symlink(R("IMG_1.bin")).string(), "../outside/secret.bin");
  ExpectOutsideUntouched();
}

// A symlinked image whose target is outside: its sidecar would be beside the
// target, so Read and Save refuse it.
TEST_F(SandboxTest, SymlinkedImagePointingOutIsRefused) {
  tree_.Symlink("root/IMG_abs.jpg", O("d/IMG_1.jpg"));
  tree_.Symlink("root/sub/IMG_rel.jpg", "../../outside/d/IMG_1.jpg");
  for (const std::string& image : {R("IMG_abs.jpg"), R("sub/IMG_rel.jpg")}) {
    auto read = store_.Read(*roots_, image);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied) << image;
    auto saved = Save(image);
    EXPECT_EQ(saved.status().code(), absl::StatusCode::kPermissionDenied) << image;
  }
  ExpectOutsideUntouched();
}

// Hard links cannot be told from files, so what sidecard guarantees for them
// is that it never writes into an existing file: a save or a conversion
// writes a new file and renames it over the name, and a removal removes the
// name. A hard link inside the root to an outside file may be read, but the
// outside file keeps its content.
TEST_F(SandboxTest, HardLinksToOutsideFilesAreNeverWrittenThrough) {
  tree_.WriteFile("root/IMG_1.jpg", "jpeg");
  if (link(O("secret.bin").c_str(), R("IMG_1.bin").c_str()) != 0) {
    GTEST_SKIP() << "cannot make a hard link here: " << std::strerror(errno);
  }
  ASSERT_EQ(link(O("d/orphan.bin").c_str(), R("orphan.bin").c_str()), 0);
  tree_.WriteFile("root/IMG_2.jpg", "jpeg");
  ASSERT_EQ(link(O("d/IMG_1.json").c_str(), R("IMG_2.json").c_str()), 0);

  auto saved = Save(R("IMG_1.jpg"));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_NE(IdOf(R("IMG_1.bin")), IdOf(O("secret.bin")));  // a new file, not the link
  Convert(R(""));
  EXPECT_TRUE(tree_.Exists("root/IMG_2.bin"));
  EXPECT_FALSE(tree_.Exists("root/IMG_2.json"));  // the name is gone, the outside file stays
  EXPECT_EQ(Cleanup(R(""), CleanupMode::kDelete).removed, 1);
  EXPECT_FALSE(tree_.Exists("root/orphan.bin"));
  // The outside files' contents are unchanged (their link counts dropped).
  for (const char* rel : {"secret.bin", "d/orphan.bin", "d/IMG_1.json"}) {
    struct stat st {};
    ASSERT_EQ(stat(O(rel).c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << rel;
  }
  ExpectOutsideUntouched();
}

}  // namespace
}  // namespace sidecard::engine
