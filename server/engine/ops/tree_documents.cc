#include "server/engine/ops/tree_documents.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "server/engine/base/text.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/documents/sidecar_membership.h"

namespace sidecard::engine {
namespace {

// Walks a tree and hands every directory's groups on, a batch at a time.
class GroupWalker {
 public:
  GroupWalker(const GroupWalkOptions& options, const EngineContext& context,
              const Cancellation& cancellation, const GroupWork& work, const GroupSink& sink)
      : options_(options),
        context_(context),
        cancellation_(cancellation),
        work_(work),
        sink_(sink) {}

  // For WalkOptions::on_directory; after a stop it does nothing.
  void OnDirectory(const DirectoryScan& directory) {
    if (status_.ok()) status_ = Process(directory);
  }

  const absl::Status& status() const { return status_; }

 private:
  absl::Status Process(const DirectoryScan& directory) {
    const std::vector<GroupPlan> plans = PlanGroups(directory);
    std::vector<GroupDocument> batch;
    for (size_t begin = 0, size = 0; begin < plans.size(); begin += size) {
      if (cancellation_.cancelled()) return Cancellation::Status();
      size = BatchSize(directory, plans, begin);
      batch.clear();
      batch.resize(size);
      context_.pool->ParallelFor(batch.size(), [&](size_t i) {
        if (cancellation_.cancelled()) return;
        batch[i] = LoadGroup(directory, plans[begin + i], options_.max_sidecar_bytes);
        if (!batch[i].files.empty()) work_(directory, batch[i], i);
      });
      if (cancellation_.cancelled()) return Cancellation::Status();
      if (!sink_(directory, batch)) return Cancellation::Status();
    }
    return absl::OkStatus();
  }

  // How many groups from `begin` on make the next batch (see kGroupBatch).
  static size_t BatchSize(const DirectoryScan& directory, const std::vector<GroupPlan>& plans,
                          size_t begin) {
    int64_t bytes = 0;
    size_t size = 0;
    while (begin + size < plans.size() && size < kGroupBatch && bytes < kGroupBatchBytes) {
      for (size_t index : plans[begin + size].sidecars) {
        struct stat st {};
        if (fstatat(directory.fd.get(), directory.sidecars[index].name.c_str(), &st,
                    AT_SYMLINK_NOFOLLOW) == 0) {
          bytes += st.st_size;
        }
      }
      ++size;
    }
    return size;
  }

  const GroupWalkOptions& options_;
  const EngineContext& context_;
  const Cancellation& cancellation_;
  const GroupWork& work_;
  const GroupSink& sink_;
  absl::Status status_;
};

}  // namespace

const GroupFile* GroupDocument::best() const {
  for (const GroupFile& file : files) {
    if (file.readable()) return &file;
  }
  return nullptr;
}

size_t GroupDocument::unreadable_count() const {
  return static_cast<size_t>(
      std::count_if(files.begin(), files.end(), [](const GroupFile& f) { return !f.readable(); }));
}

GroupDocument LoadGroup(const DirectoryScan& directory, const GroupPlan& plan, size_t max_bytes) {
  std::vector<size_t> order = plan.sidecars;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return MemberRank(directory.sidecars[a]) < MemberRank(directory.sidecars[b]);
  });
  GroupDocument group;
  group.key = plan.key;
  for (size_t index : order) {
    const SidecarFile& file = directory.sidecars[index];
    LoadedSidecar loaded = LoadSidecarAt(directory.fd.get(), file.name, file.format, max_bytes);
    if (!IsReportedSidecar(ClassifySidecar(file, loaded.inspection))) continue;
    if (file.image) group.image = file.image;
    if (loaded.readable()) {
      PrepareMemberForMerge(file, loaded.inspection, loaded.document);
      if (group.document.IsNull()) {
        group.document.Swap(loaded.document);
      } else {
        for (std::string& where : MergeLowerPriority(group.document, loaded.document)) {
          group.conflicts.push_back(Concat(file.name, ": ", where));
        }
      }
    }
    group.files.push_back({&file, std::move(loaded.inspection)});
  }
  if (!group.document.IsNull()) group.facts = AnalyzeDocument(group.document);
  return group;
}

absl::StatusOr<std::vector<TreeWalk::DirectoryError>> ForEachGroup(
    const std::string& root, const GroupWalkOptions& options, const EngineContext& context,
    const Cancellation& cancellation, const GroupWork& work, const GroupSink& sink) {
  GroupWalker walker(options, context, cancellation, work, sink);
  WalkOptions walk_options = WalkOptionsFor(context, options.recursive);
  // A directory is processed as soon as it is scanned, so its groups come
  // before those of its subdirectories and only the open path stays in
  // memory. The walk itself yields single files, which are not needed here.
  walk_options.on_directory = [&walker](const DirectoryScan& directory) {
    walker.OnDirectory(directory);
    return false;
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  SidecarRef ignored;
  while (walker.status().ok() && (*walk)->Next(ignored)) {
  }
  if (!walker.status().ok()) return walker.status();
  if (!(*walk)->limit_status().ok()) return (*walk)->limit_status();
  return (*walk)->directory_errors();
}

}  // namespace sidecard::engine
