#include "server/engine/ops/directory_counting.h"

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace sidecard::engine {
namespace {

// Turns directories into tallies and hands them on in walk order. All calls
// come from the walk's on_directory and the inspection sink, which never run
// at the same time (parallel_inspection.h).
class TallyAssembler {
 public:
  // `remember_whole_tree`: collect the walk's answer for the whole tree.
  TallyAssembler(const DirectoryCounting& counting, TreeCache& cache, bool remember_whole_tree)
      : counting_(counting), cache_(cache) {
    if (remember_whole_tree) whole_tree_.emplace();
  }

  // The answer for the whole tree once the walk is done, if every directory
  // was proven; null otherwise.
  std::shared_ptr<const SubtreeAnswer> WholeTree() {
    if (!whole_tree_.has_value() || !ready_.empty() || !pending_.empty()) return nullptr;
    return std::make_shared<const SubtreeAnswer>(*std::move(whole_tree_));
  }

  // For WalkOptions::on_directory: whether the directory's files are needed.
  bool OnDirectory(const DirectoryScan& scan) {
    if (counting_.on_working_files) counting_.on_working_files(scan.working_files);
    const size_t sequence = next_sequence_++;
    if (whole_tree_.has_value()) {
      // Every directory must be watched, proven, and hold nothing counted
      // as it is now, or the tree's answer is not remembered.
      if (!DirectoryResults::Rememberable(scan) || !scan.working_files.empty()) {
        whole_tree_.reset();
      } else {
        whole_tree_->directories.push_back({scan.watch, scan.watched_generation});
      }
    }
    if (counting_.use_remembered) {
      if (auto tally = cache_.FindTally(scan, counting_.key)) {
        if (counting_.pass_remembered_files && !scan.sidecars.empty()) {
          answering_[&scan] = Answering{tally, scan.sidecars.size()};
          Ready(sequence, std::move(tally));
          return true;
        }
        Ready(sequence, std::move(tally));
        return false;
      }
    }
    if (scan.sidecars.empty()) {
      // Counted from its listing alone, which its generation proves.
      Ready(sequence, counting_.count(scan, {}, {}));
      return true;
    }
    Pending& pending = pending_[&scan];
    pending.sequence = sequence;
    pending.inspections.resize(scan.sidecars.size());
    pending.memos.resize(scan.sidecars.size());
    return true;
  }

  // For InspectInOrder: the tally answering for a file of `scan`, once per
  // file the walk yields (so the entry goes with the directory's last file,
  // before another directory could reuse the address).
  std::shared_ptr<const DirectoryTally> AnsweredBy(const DirectoryScan& scan) {
    const auto it = answering_.find(&scan);
    if (it == answering_.end()) return nullptr;
    std::shared_ptr<const DirectoryTally> tally = it->second.tally;
    if (--it->second.files_left == 0) answering_.erase(it);
    return tally;
  }

  void OnInspected(InspectedSidecar& item) {
    if (item.answered_by != nullptr) return;  // counted when its directory was found
    const DirectoryScan& scan = *item.ref.directory;
    const auto it = pending_.find(&scan);
    Pending& pending = it->second;
    pending.inspections[item.ref.index] = item.inspection;
    pending.memos[item.ref.index] = std::move(item.memo);
    if (++pending.done < scan.sidecars.size()) return;
    std::shared_ptr<const DirectoryTally> tally =
        counting_.count(scan, pending.inspections, pending.memos);
    if (!cache_.StoreTally(scan, counting_.key, tally)) whole_tree_.reset();
    const size_t sequence = pending.sequence;
    pending_.erase(it);
    Ready(sequence, std::move(tally));
  }

 private:
  struct Pending {
    size_t sequence = 0;
    std::vector<std::shared_ptr<const SidecarInspection>> inspections;
    std::vector<std::string> memos;
    size_t done = 0;
  };
  struct Answering {
    std::shared_ptr<const DirectoryTally> tally;
    size_t files_left = 0;
  };

  // Adds up every tally that is ready, in walk order.
  void Ready(size_t sequence, std::shared_ptr<const DirectoryTally> tally) {
    ready_.emplace(sequence, std::move(tally));
    for (auto it = ready_.begin(); it != ready_.end() && it->first == next_to_add_;
         it = ready_.erase(it), ++next_to_add_) {
      counting_.add(*it->second);
      if (whole_tree_.has_value()) whole_tree_->tallies.push_back(it->second);
    }
  }

  const DirectoryCounting& counting_;
  TreeCache& cache_;
  std::unordered_map<const DirectoryScan*, Pending> pending_;
  // Remembered directories whose files still pass (pass_remembered_files).
  std::unordered_map<const DirectoryScan*, Answering> answering_;
  // Tallies done but not yet added (an earlier directory is still open).
  std::map<size_t, std::shared_ptr<const DirectoryTally>> ready_;
  size_t next_sequence_ = 0;
  size_t next_to_add_ = 0;
  // The answer for the whole tree being collected; reset at the first
  // directory that cannot be part of one.
  std::optional<SubtreeAnswer> whole_tree_;
};

// The key of a whole-tree answer: what the walk covered and the question.
std::string SubtreeKey(const std::string& root, bool recursive, const EngineContext& context,
                       const DirectoryCounting& counting) {
  // A path never holds a NUL.
  std::string key = root;
  key += '\0';
  key += recursive ? "recursive" : "flat";
  key += '\0';
  key += std::to_string(context.max_files);
  key += '\0';
  key += counting.key;
  return key;
}

}  // namespace

absl::StatusOr<std::vector<TreeWalk::DirectoryError>> CountByDirectory(
    const std::string& root, bool recursive, const EngineContext& context,
    const Cancellation& cancellation, const DirectoryCounting& counting) {
  // Only a walk that skips the files of remembered directories can be
  // answered as a whole (a full report needs every file).
  const bool whole_tree = counting.use_remembered && !counting.pass_remembered_files &&
                          context.cache->watcher() != nullptr;
  std::string subtree_key;
  if (whole_tree) {
    subtree_key = SubtreeKey(root, recursive, context, counting);
    if (auto answer = context.cache->FindSubtree(subtree_key)) {
      for (const auto& tally : answer->tallies) counting.add(*tally);
      return std::vector<TreeWalk::DirectoryError>{};
    }
  }
  TallyAssembler assembler(counting, *context.cache, whole_tree);
  WalkOptions walk_options = CountingWalkOptionsFor(context, recursive);
  walk_options.on_directory = [&assembler](const DirectoryScan& scan) {
    return assembler.OnDirectory(scan);
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  AnsweredBy answered_by;
  if (counting.pass_remembered_files) {
    answered_by = [&assembler](const DirectoryScan& scan) { return assembler.AnsweredBy(scan); };
  }
  const absl::Status status = InspectInOrder(
      **walk, context, cancellation,
      [&](std::span<InspectedSidecar> batch) {
        // on_files first: it may leave memos for the tallies counted next.
        if (counting.on_files && !counting.on_files(batch)) return false;
        for (InspectedSidecar& item : batch) assembler.OnInspected(item);
        return true;
      },
      answered_by);
  if (!status.ok()) return status;
  if (whole_tree && (*walk)->directory_errors().empty()) {
    if (auto answer = assembler.WholeTree()) {
      context.cache->StoreSubtree(std::move(subtree_key), std::move(answer));
    }
  }
  return (*walk)->directory_errors();
}

}  // namespace sidecard::engine
