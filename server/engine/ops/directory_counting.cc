#include "server/engine/ops/directory_counting.h"

#include <map>
#include <unordered_map>
#include <utility>

namespace sidecard::engine {
namespace {

// Turns directories into tallies and hands them on in walk order. All calls
// come from the walk's on_directory and the inspection sink, which never run
// at the same time (parallel_inspection.h).
class TallyAssembler {
 public:
  TallyAssembler(const DirectoryCounting& counting, TreeCache& cache)
      : counting_(counting), cache_(cache) {}

  // For WalkOptions::on_directory: whether the directory's files are needed.
  bool OnDirectory(const DirectoryScan& scan) {
    if (counting_.on_scan) counting_.on_scan(scan);
    const size_t sequence = next_sequence_++;
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
    cache_.StoreTally(scan, counting_.key, tally);
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
};

}  // namespace

absl::StatusOr<std::vector<TreeWalk::DirectoryError>> CountByDirectory(
    const std::string& root, bool recursive, const EngineContext& context,
    const Cancellation& cancellation, const DirectoryCounting& counting) {
  TallyAssembler assembler(counting, *context.cache);
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
  return (*walk)->directory_errors();
}

}  // namespace sidecard::engine
