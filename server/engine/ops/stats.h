// Stats (docs/CONTRACT.md §4): counts images, sidecars, operations, coverage and
// detections under a root, with the Rust tool's keys and correct values.
#ifndef SIDECARD_SERVER_ENGINE_OPS_STATS_H_
#define SIDECARD_SERVER_ENGINE_OPS_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/ops/engine_context.h"

namespace sidecard::engine {

// What Stats' per-directory counts depend on, and so the key its remembered
// tallies are stored under (counting_key.h).
struct StatsCounting {
  // Count only sidecar documents containing this operation; empty for all.
  std::string operation_filter;
};

struct StatsOptions {
  bool recursive = true;
  StatsCounting counting;
};

struct TreeStats {
  // The Rust tool's keys.
  std::string directory;
  int64_t total_images = 0;
  int64_t symlink_count = 0;
  int64_t broken_symlinks = 0;
  int64_t total_sidecars = 0;
  double coverage_percentage = 0;
  std::map<std::string, int64_t> operation_counts;
  std::map<std::string, double> avg_processing_times;
  std::map<std::string, double> success_rate_percentages;
  std::map<std::string, double> avg_data_sizes;
  std::string filter_applied;
  // Extras.
  std::map<std::string, int64_t> files_by_format;
  int64_t total_sidecar_files = 0;
  int64_t invalid_sidecars = 0;
  int64_t orphaned_sidecars = 0;
  int64_t foreign_files = 0;
  int64_t faces_found = 0;
  int64_t objects_found = 0;
  std::map<std::string, int64_t> object_classes;
  int64_t images_without_sidecars = 0;
  int64_t unreadable_directories = 0;
  int64_t symlinks_outside_roots = 0;
  int64_t directory_symlinks_skipped = 0;
  // The daemon's working files under the root, and of those the strays
  // (working_files.h): counted from each directory's scan, never a tally.
  int64_t working_files = 0;
  int64_t stray_working_files = 0;
  double duration_seconds = 0;
};

// Computes statistics for the tree under `root` (resolved and checked by the
// caller). Returns Cancelled if cancelled.
absl::StatusOr<TreeStats> ComputeStats(const std::string& root, const StatsOptions& options,
                                       const EngineContext& context,
                                       const Cancellation& cancellation);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_STATS_H_
