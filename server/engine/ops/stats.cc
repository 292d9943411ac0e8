#include "server/engine/ops/stats.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "server/engine/base/saturating.h"
#include "server/engine/documents/sidecar_group.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/ops/counting_key.h"
#include "server/engine/ops/directory_counting.h"
#include "server/engine/recovery/working_files.h"

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

// What Stats counts in one directory, and (added up in walk order) in a
// tree. Remembered for unchanged watched directories (tree_cache.h).
struct StatsTally : DirectoryTally {
  int64_t total_images = 0;
  int64_t covered_images = 0;
  int64_t symlink_count = 0;
  int64_t broken_symlinks = 0;
  int64_t symlinks_outside_roots = 0;
  int64_t directory_symlinks_skipped = 0;
  int64_t total_sidecars = 0;  // documents (groups)
  int64_t total_sidecar_files = 0;
  int64_t invalid_sidecars = 0;
  int64_t orphaned_sidecars = 0;
  int64_t foreign_files = 0;
  int64_t faces_found = 0;
  int64_t objects_found = 0;
  std::map<std::string, int64_t> files_by_format;
  std::map<std::string, int64_t> object_classes;
  std::map<std::string, OperationTotals, std::less<>> operations;

  size_t bytes() const override {
    // Each map node: the node, a short key and the value.
    return sizeof(*this) + 80 * (files_by_format.size() + object_classes.size()) +
           (80 + sizeof(OperationTotals)) * operations.size();
  }

  void Add(const StatsTally& other) {
    total_images += other.total_images;
    covered_images += other.covered_images;
    symlink_count += other.symlink_count;
    broken_symlinks += other.broken_symlinks;
    symlinks_outside_roots += other.symlinks_outside_roots;
    directory_symlinks_skipped += other.directory_symlinks_skipped;
    total_sidecars += other.total_sidecars;
    total_sidecar_files += other.total_sidecar_files;
    invalid_sidecars += other.invalid_sidecars;
    orphaned_sidecars += other.orphaned_sidecars;
    foreign_files += other.foreign_files;
    // Counts are claims of the files: they may be anything up to INT64_MAX.
    faces_found = SaturatingAdd(faces_found, other.faces_found);
    objects_found = SaturatingAdd(objects_found, other.objects_found);
    for (const auto& [format, count] : other.files_by_format) files_by_format[format] += count;
    for (const auto& [name, count] : other.object_classes) {
      object_classes[name] = SaturatingAdd(object_classes[name], count);
    }
    for (const auto& [operation, theirs] : other.operations) {
      OperationTotals& ours = operations[operation];
      ours.documents += theirs.documents;
      ours.size_sum = SaturatingAdd(ours.size_sum, theirs.size_sum);
      ours.payloads += theirs.payloads;
      ours.successes += theirs.successes;
      ours.timed += theirs.timed;
      ours.time_sum += theirs.time_sum;
    }
  }
};

// Stats' counting function (directory_counting.h) and the sums of its
// tallies. Counting sees only the counting options; the symlink targets it
// scans are a memo of this call, never part of a remembered tally (a
// directory holding symlinks is never remembered, tally_cache.h).
class StatsCollector {
 public:
  StatsCollector(const StatsCounting& counting, const EngineContext& context, TreeStats& stats)
      : counting_(counting), context_(context), stats_(stats) {}

  // Counts one directory (directory_counting.h).
  std::shared_ptr<const StatsTally> TallyDirectory(const DirectoryScan& scan,
                                                   Inspections inspections) {
    auto tally = std::make_shared<StatsTally>();
    tally->broken_symlinks = scan.broken_symlinks;
    tally->directory_symlinks_skipped = scan.directory_symlinks;
    tally->foreign_files = static_cast<int64_t>(scan.foreign_files.size());

    // The reported files' indices, ordered by group key (then index): each
    // run of one key is a group.
    std::vector<size_t> reported;
    reported.reserve(scan.sidecars.size());
    absl::flat_hash_set<std::string_view> paired_keys;
    for (size_t i = 0; i < scan.sidecars.size(); ++i) {
      const SidecarFile& file = scan.sidecars[i];
      const SidecarInspection& inspection = *inspections[i];
      if (!IsReportedSidecar(ClassifySidecar(file, inspection))) {
        ++tally->foreign_files;
        continue;
      }
      ++tally->total_sidecar_files;
      ++tally->files_by_format[std::string(FormatName(file.format))];
      if (!inspection.valid()) ++tally->invalid_sidecars;
      if (file.image) paired_keys.insert(file.group_key);
      reported.push_back(i);
    }
    // Listed in name order, the files usually come grouped already.
    const auto by_key = [&scan](size_t a, size_t b) {
      return scan.sidecars[a].group_key < scan.sidecars[b].group_key;
    };
    if (!std::is_sorted(reported.begin(), reported.end(), by_key)) {
      std::stable_sort(reported.begin(), reported.end(), by_key);
    }

    absl::flat_hash_set<std::string_view> covered_keys;
    std::vector<GroupMember> members;
    for (size_t begin = 0, end = 0; begin < reported.size(); begin = end) {
      const std::string_view key = scan.sidecars[reported[begin]].group_key;
      members.clear();
      for (end = begin; end < reported.size() && scan.sidecars[reported[end]].group_key == key;
           ++end) {
        members.push_back({&scan.sidecars[reported[end]], inspections[reported[end]]});
      }
      const SidecarGroup group = CombineGroup(members);
      if (!PassesFilter(group)) continue;
      CountGroup(group, *tally);
      if (!paired_keys.contains(key)) ++tally->orphaned_sidecars;
      if (group.readable) covered_keys.insert(key);
    }

    for (const ImageEntry& image : scan.images) {
      ++tally->total_images;
      bool covered;
      if (!image.is_symlink) {
        covered =
            !covered_keys.empty() && covered_keys.contains(FoldCase(SplitName(image.name).stem));
      } else {
        ++tally->symlink_count;
        if (image.target_outside_roots) ++tally->symlinks_outside_roots;
        covered = !image.target_outside_roots && TargetCovered(image.resolved_target);
      }
      if (covered) ++tally->covered_images;
    }
    return tally;
  }

  void Add(const StatsTally& tally) { totals_.Add(tally); }

  void Finish() {
    const StatsTally& totals = totals_;
    for (const auto& [operation, sums] : totals.operations) {
      stats_.operation_counts[operation] = sums.documents;
      if (sums.documents > 0) {
        stats_.avg_data_sizes[operation] =
            static_cast<double>(sums.size_sum) / static_cast<double>(sums.documents);
      }
      if (sums.payloads > 0) {
        stats_.success_rate_percentages[operation] =
            100.0 * static_cast<double>(sums.successes) / static_cast<double>(sums.payloads);
      }
      if (sums.timed > 0) {
        stats_.avg_processing_times[operation] = sums.time_sum / static_cast<double>(sums.timed);
      }
    }
    stats_.total_images = totals.total_images;
    stats_.symlink_count = totals.symlink_count;
    stats_.broken_symlinks = totals.broken_symlinks;
    stats_.symlinks_outside_roots = totals.symlinks_outside_roots;
    stats_.directory_symlinks_skipped = totals.directory_symlinks_skipped;
    stats_.total_sidecars = totals.total_sidecars;
    stats_.total_sidecar_files = totals.total_sidecar_files;
    stats_.invalid_sidecars = totals.invalid_sidecars;
    stats_.orphaned_sidecars = totals.orphaned_sidecars;
    stats_.foreign_files = totals.foreign_files;
    stats_.faces_found = totals.faces_found;
    stats_.objects_found = totals.objects_found;
    stats_.files_by_format = totals.files_by_format;
    stats_.object_classes = totals.object_classes;
    stats_.images_without_sidecars = totals.total_images - totals.covered_images;
    if (totals.total_images > 0) {
      stats_.coverage_percentage = 100.0 * static_cast<double>(totals.covered_images) /
                                   static_cast<double>(totals.total_images);
    }
  }

 private:
  // A directory that symlinked images point into, scanned on demand.
  struct TargetDirectory {
    std::unique_ptr<DirectoryScan> scan;  // null when it could not be scanned
    // The scan's sidecar files by group key (built once: many links may
    // point into one big folder).
    absl::flat_hash_map<std::string, std::vector<const SidecarFile*>> files_by_key;
    absl::flat_hash_map<std::string, bool> covered_by_key;
  };

  bool PassesFilter(const SidecarGroup& group) const {
    return counting_.operation_filter.empty() || group.HasOperation(counting_.operation_filter);
  }

  bool Counted(std::string_view operation) const {
    return counting_.operation_filter.empty() || operation == counting_.operation_filter;
  }

  static OperationTotals& Totals(StatsTally& tally, std::string_view operation) {
    auto it = tally.operations.find(operation);
    if (it == tally.operations.end())
      it = tally.operations.emplace(operation, OperationTotals{}).first;
    return it->second;
  }

  void CountGroup(const SidecarGroup& group, StatsTally& tally) const {
    ++tally.total_sidecars;
    for (const auto& [operation, size] : group.operation_sizes) {
      if (!Counted(operation)) continue;
      OperationTotals& totals = Totals(tally, operation);
      ++totals.documents;
      totals.size_sum = SaturatingAdd(totals.size_sum, size);
    }
    for (const OperationContribution& contribution : group.payloads) {
      if (!Counted(contribution.operation)) continue;
      const PayloadFacts& payload = *contribution.payload;
      OperationTotals& totals = Totals(tally, contribution.operation);
      ++totals.payloads;
      if (payload.success.value_or(false)) ++totals.successes;
      if (payload.processing_time_seconds) {
        ++totals.timed;
        totals.time_sum += *payload.processing_time_seconds;
      }
      tally.faces_found = SaturatingAdd(tally.faces_found, payload.faces);
      tally.objects_found = SaturatingAdd(tally.objects_found, payload.objects);
      for (const auto& [name, count] : payload.object_classes) {
        tally.object_classes[name] = SaturatingAdd(tally.object_classes[name], count);
      }
    }
  }

  // A symlinked image is covered through the sidecar beside its resolved
  // target (docs/CONTRACT.md §1).
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
      auto inspection = context_.cache->Inspect(*dir.scan, *file);
      if (IsReportedSidecar(ClassifySidecar(*file, *inspection))) {
        members.push_back({file, std::move(inspection)});
      }
    }
    const SidecarGroup group = CombineGroup(members);
    return group.readable && PassesFilter(group);
  }

  const StatsCounting& counting_;
  const EngineContext& context_;
  TreeStats& stats_;
  StatsTally totals_;
  std::unordered_map<std::string, TargetDirectory> targets_;
};

}  // namespace

absl::StatusOr<TreeStats> ComputeStats(const std::string& root, const StatsOptions& options,
                                       const EngineContext& context,
                                       const Cancellation& cancellation) {
  const absl::Time start = absl::Now();
  TreeStats stats;
  stats.directory = root;
  stats.filter_applied = options.counting.operation_filter;
  StatsCollector collector(options.counting, context, stats);

  DirectoryCounting counting;
  counting.key = CountingKey("stats", options.counting);
  counting.count = [&collector](const DirectoryScan& scan, Inspections inspections, Memos) {
    return collector.TallyDirectory(scan, inspections);
  };
  counting.add = [&collector](const DirectoryTally& tally) {
    collector.Add(static_cast<const StatsTally&>(tally));
  };
  counting.on_working_files = [&stats,
                               now = absl::Now()](const std::vector<WorkingFile>& working_files) {
    // A stray's age is not a directory change, so no tally could hold it.
    stats.working_files += static_cast<int64_t>(working_files.size());
    stats.stray_working_files += CountStrays(working_files, now);
  };
  auto directory_errors =
      CountByDirectory(root, options.recursive, context, cancellation, counting);
  if (!directory_errors.ok()) return directory_errors.status();
  collector.Finish();
  stats.unreadable_directories = static_cast<int64_t>(directory_errors->size());
  stats.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return stats;
}

}  // namespace sidecard::engine
