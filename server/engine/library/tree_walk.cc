#include "server/engine/library/tree_walk.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "server/engine/base/text.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/fs/sandboxed_open.h"

namespace sidecard::engine {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

absl::StatusOr<std::unique_ptr<TreeWalk>> TreeWalk::Open(const AllowedRoots& roots,
                                                         const std::string& root,
                                                         WalkOptions options) {
  // Every change that finished before this call is applied to the watches.
  if (options.scan.watcher != nullptr) options.scan.watcher->Sync();
  auto fd = OpenDirectoryBeneath(roots, root);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<TreeWalk> walk(new TreeWalk(std::move(options)));
  walk->root_path_ = root;
  auto scan = ScanDirectory(*std::move(fd), "", root, walk->options_.scan);
  if (!scan.ok()) {
    // The listing's own code: unreadable is PermissionDenied, out of
    // descriptors ResourceExhausted, an I/O error Unavailable.
    return absl::Status(scan.status().code(),
                        Concat(DisplayPath(root), ": ", scan.status().message()));
  }
  if (!walk->Admit(*scan)) return walk->limit_status_;
  auto shared = std::make_shared<DirectoryScan>(*std::move(scan));
  const bool yield_files = !walk->options_.on_directory || walk->options_.on_directory(*shared);
  walk->root_ = shared;
  walk->stack_.push_back({std::move(shared), 0, yield_files});
  return walk;
}

void TreeWalk::Enter(const Frame& parent, const std::string& name) {
  const DirectoryScan& dir = *parent.scan;
  const std::string absolute = dir.AbsolutePathOf(name);
  UniqueFd fd(openat(dir.fd.get(), name.c_str(), kDirectoryFlags));
  if (!fd.valid()) {
    errors_.push_back({absolute, Concat("cannot open: ", std::strerror(errno))});
    return;
  }
  auto scan = ScanDirectory(std::move(fd), dir.RelativePathOf(name), absolute, options_.scan);
  if (!scan.ok()) {
    errors_.push_back({absolute, std::string(scan.status().message())});
    return;
  }
  if (!Admit(*scan)) return;
  auto shared = std::make_shared<DirectoryScan>(*std::move(scan));
  const bool yield_files = !options_.on_directory || options_.on_directory(*shared);
  stack_.push_back({std::move(shared), 0, yield_files});
}

bool TreeWalk::Admit(const DirectoryScan& scan) {
  files_ += static_cast<int64_t>(scan.images.size() + scan.sidecars.size());
  if (options_.max_files <= 0 || files_ <= options_.max_files) return true;
  limit_status_ = absl::ResourceExhaustedError(
      Concat("more than ", options_.max_files, " files (images and sidecars) under ",
             DisplayPath(root_path_), ", the daemon's --max-files-per-request; stopped at ",
             DisplayPath(scan.absolute_path), " (ask for a subfolder)"));
  stack_.clear();
  return false;
}

bool TreeWalk::Next(SidecarRef& out) {
  while (limit_status_.ok() && !stack_.empty()) {
    Frame& top = stack_.back();
    if (top.position == top.scan->order.size()) {
      stack_.pop_back();
      continue;
    }
    const DirectoryScan::Step step = top.scan->order[top.position++];
    if (!step.is_subdirectory) {
      if (!top.yield_files) continue;
      out.directory = top.scan;
      out.index = step.index;
      return true;
    }
    if (options_.stop && options_.stop()) {
      stack_.clear();
      return false;
    }
    if (options_.recursive) {
      const Frame parent = top;  // Enter may grow the stack and move `top`
      Enter(parent, parent.scan->subdirectories[step.index]);
    }
  }
  return false;
}

}  // namespace sidecard::engine
