#include "server/engine/stats.h"

#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "server/engine/sandboxed_open.h"
#include "server/engine/saturating.h"
#include "server/engine/sidecar_group.h"

namespace sidecard::engine {
namespace {

// Running sums for one operation.
struct OperationTotals {
  int64_t documents = 0;
  int64_t size_sum = 0;
  int64_t payloads = 0;
  int64_t successes = 0;
  int64_t timed = 0;
  double time_sum = 0;
};

std::string_view Dirname(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view Basename(std::string_view path) { return path.substr(path.rfind('/') + 1); }

class StatsCollector {
 public:
  StatsCollector(const StatsOptions& options, const EngineContext& context, TreeStats& stats)
      : options_(options), context_(context), stats_(stats) {}

  void OnDirectory(const DirectoryScan& scan) {
    if (scan.sidecars.empty()) {
      std::vector<std::shared_ptr<const SidecarInspection>> none;
      FinalizeDirectory(scan, none);
      return;
    }
    pending_[&scan].inspections.resize(scan.sidecars.size());
  }

  void OnInspected(InspectedSidecar& item) {
    const DirectoryScan& scan = *item.ref.directory;
    Pending& pending = pending_[&scan];
    pending.inspections[item.ref.index] = std::move(item.inspection);
    if (++pending.done == scan.sidecars.size()) {
      FinalizeDirectory(scan, pending.inspections);
      pending_.erase(&scan);
    }
  }

  void Finish() {
    for (const auto& [operation, totals] : operations_) {
      stats_.operation_counts[operation] = totals.documents;
      if (totals.documents > 0) {
        stats_.avg_data_sizes[operation] =
            static_cast<double>(totals.size_sum) / static_cast<double>(totals.documents);
      }
      if (totals.payloads > 0) {
        stats_.success_rate_percentages[operation] =
            100.0 * static_cast<double>(totals.successes) / static_cast<double>(totals.payloads);
      }
      if (totals.timed > 0) {
        stats_.avg_processing_times[operation] =
            totals.time_sum / static_cast<double>(totals.timed);
      }
    }
    stats_.images_without_sidecars = stats_.total_images - covered_images_;
    if (stats_.total_images > 0) {
      stats_.coverage_percentage =
          100.0 * static_cast<double>(covered_images_) / static_cast<double>(stats_.total_images);
    }
  }

 private:
  struct Pending {
    std::vector<std::shared_ptr<const SidecarInspection>> inspections;
    size_t done = 0;
  };

  // A directory that symlinked images point into, scanned on demand.
  struct TargetDirectory {
    std::unique_ptr<DirectoryScan> scan;  // null when it could not be scanned
    // The scan's sidecar files by group key (built once: many links may
    // point into one big folder).
    absl::flat_hash_map<std::string, std::vector<const SidecarFile*>> files_by_key;
    absl::flat_hash_map<std::string, bool> covered_by_key;
  };

  bool PassesFilter(const SidecarGroup& group) const {
    return options_.operation_filter.empty() || group.HasOperation(options_.operation_filter);
  }

  bool Counted(std::string_view operation) const {
    return options_.operation_filter.empty() || operation == options_.operation_filter;
  }

  void FinalizeDirectory(const DirectoryScan& scan,
                         std::vector<std::shared_ptr<const SidecarInspection>>& inspections) {
    stats_.broken_symlinks += scan.broken_symlinks;
    stats_.directory_symlinks_skipped += scan.directory_symlinks;
    stats_.foreign_files += static_cast<int64_t>(scan.foreign_files.size());

    std::map<std::string, std::vector<GroupMember>> groups;
    absl::flat_hash_set<std::string> paired_keys;
    for (size_t i = 0; i < scan.sidecars.size(); ++i) {
      const SidecarFile& file = scan.sidecars[i];
      const SidecarInspection& inspection = *inspections[i];
      if (!IsReportedSidecar(ClassifySidecar(file, inspection))) {
        ++stats_.foreign_files;
        continue;
      }
      ++stats_.total_sidecar_files;
      ++stats_.files_by_format[std::string(FormatName(file.format))];
      if (!inspection.valid()) ++stats_.invalid_sidecars;
      if (file.image) paired_keys.insert(file.group_key);
      groups[file.group_key].push_back({&file, inspections[i]});
    }

    absl::flat_hash_set<std::string> covered_keys;
    for (auto& [key, members] : groups) {
      const SidecarGroup group = CombineGroup(members);
      if (!PassesFilter(group)) continue;
      CountGroup(group);
      if (!paired_keys.contains(key)) ++stats_.orphaned_sidecars;
      if (group.readable) covered_keys.insert(key);
    }

    for (const ImageEntry& image : scan.images) {
      ++stats_.total_images;
      bool covered;
      if (!image.is_symlink) {
        covered = covered_keys.contains(FoldCase(SplitName(image.name).stem));
      } else {
        ++stats_.symlink_count;
        if (image.target_outside_roots) ++stats_.symlinks_outside_roots;
        covered = !image.target_outside_roots && TargetCovered(image.resolved_target);
      }
      if (covered) ++covered_images_;
    }
  }

  void CountGroup(const SidecarGroup& group) {
    ++stats_.total_sidecars;
    for (const auto& [operation, size] : group.operation_sizes) {
      if (!Counted(operation)) continue;
      OperationTotals& totals = operations_[operation];
      ++totals.documents;
      totals.size_sum += size;
    }
    for (const OperationContribution& contribution : group.payloads) {
      if (!Counted(contribution.operation)) continue;
      const PayloadFacts& payload = *contribution.payload;
      OperationTotals& totals = operations_[contribution.operation];
      ++totals.payloads;
      if (payload.success.value_or(false)) ++totals.successes;
      if (payload.processing_time_seconds) {
        ++totals.timed;
        totals.time_sum += *payload.processing_time_seconds;
      }
      // Counts are claims of the files: they may be anything up to INT64_MAX.
      stats_.faces_found = SaturatingAdd(stats_.faces_found, payload.faces);
      stats_.objects_found = SaturatingAdd(stats_.objects_found, payload.objects);
      for (const auto& [name, count] : payload.object_classes) stats_.object_classes[name] += count;
    }
  }

  // A symlinked image is covered through the sidecar beside its resolved
  // target (SIDECARS.md §1).
  bool TargetCovered(const std::string& target) {
    const std::string dir_path(Dirname(target));
    auto [it, inserted] = targets_.try_emplace(dir_path);
    TargetDirectory& dir = it->second;
    if (inserted) {
      dir.scan = ScanTarget(dir_path);
      if (dir.scan != nullptr) {
        for (const SidecarFile& file : dir.scan->sidecars) {
          dir.files_by_key[file.group_key].push_back(&file);
        }
      }
    }
    if (dir.scan == nullptr) return false;
    const std::string key = FoldCase(SplitName(Basename(target)).stem);
    auto [cached, fresh] = dir.covered_by_key.try_emplace(key, false);
    if (fresh) cached->second = GroupCovers(dir, key);
    return cached->second;
  }

  // The target's directory was resolved inside the roots; it is opened
  // beneath them, so a directory swapped for a link meanwhile is not read.
  std::unique_ptr<DirectoryScan> ScanTarget(const std::string& dir_path) const {
    auto fd = OpenDirectoryBeneath(*context_.allowed_roots, dir_path);
    if (!fd.ok()) return nullptr;
    ScanOptions scan_options;
    scan_options.image_extensions = context_.image_extensions;
    scan_options.allowed_roots = context_.allowed_roots;
    auto scan = ScanDirectory(*std::move(fd), "", dir_path, scan_options);
    if (!scan.ok()) return nullptr;
    return std::make_unique<DirectoryScan>(*std::move(scan));
  }

  bool GroupCovers(const TargetDirectory& dir, const std::string& key) const {
    std::vector<GroupMember> members;
    const auto files = dir.files_by_key.find(key);
    if (files == dir.files_by_key.end()) return false;
    for (const SidecarFile* file : files->second) {
      auto inspection = context_.inspector->Inspect(*dir.scan, *file);
      if (IsReportedSidecar(ClassifySidecar(*file, *inspection))) {
        members.push_back({file, std::move(inspection)});
      }
    }
    const SidecarGroup group = CombineGroup(members);
    return group.readable && PassesFilter(group);
  }

  const StatsOptions& options_;
  const EngineContext& context_;
  TreeStats& stats_;
  std::unordered_map<const DirectoryScan*, Pending> pending_;
  std::map<std::string, OperationTotals> operations_;
  std::unordered_map<std::string, TargetDirectory> targets_;
  int64_t covered_images_ = 0;
};

}  // namespace

absl::StatusOr<TreeStats> ComputeStats(const std::string& root, const StatsOptions& options,
                                       const EngineContext& context,
                                       const Cancellation& cancellation) {
  const absl::Time start = absl::Now();
  TreeStats stats;
  stats.directory = root;
  stats.filter_applied = options.operation_filter;
  StatsCollector collector(options, context, stats);

  WalkOptions walk_options = WalkOptionsFor(context, options.recursive);
  walk_options.scan.listings = context.inspector->listings();
  walk_options.scan.watcher = context.inspector->watcher();
  walk_options.on_directory = [&collector](const DirectoryScan& scan) {
    collector.OnDirectory(scan);
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  const absl::Status status =
      InspectInOrder(**walk, context, cancellation, [&](std::span<InspectedSidecar> batch) {
        for (InspectedSidecar& item : batch) collector.OnInspected(item);
        return true;
      });
  if (!status.ok()) return status;
  collector.Finish();
  stats.unreadable_directories = static_cast<int64_t>((*walk)->directory_errors().size());
  stats.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return stats;
}

}  // namespace sidecard::engine
