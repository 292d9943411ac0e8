// Validate (docs/CONTRACT.md §4): checks every sidecar file under a root and
// reports, per file, whether it decodes to a well-formed sidecar document.
#ifndef SIDECARD_SERVER_ENGINE_OPS_VALIDATE_H_
#define SIDECARD_SERVER_ENGINE_OPS_VALIDATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/ops/engine_context.h"
#include "server/engine/ops/parallel_inspection.h"

namespace sidecard::engine {

// What Validate's per-directory counts depend on, and so the key its
// remembered tallies are stored under (counting_key.h).
struct ValidateCounting {
  // Report only sidecars containing this operation; empty for all.
  std::string operation_filter;
};

struct ValidatedFile;

struct ValidateOptions {
  bool recursive = true;
  ValidateCounting counting;
  // Only the summary is wanted: `sink` may see fewer files (those of
  // unchanged directories are counted from what was remembered of them).
  bool summary_only = false;
  // Optional, for full reports: encodes a reported file's report, less its
  // paths and size (the service's wire form). Each unchanged directory then
  // remembers what it returned for its files, and the next full report gives
  // those files from it, not inspected or encoded again. Every reported file
  // reaches `sink` with its memo.
  std::function<std::string(const ValidatedFile&)> encode_report;
};

// One reported sidecar file.
struct ValidatedFile {
  std::string path;                       // absolute, raw bytes
  std::optional<std::string> image_path;  // absolute; none for an orphan
  // Null when the file is reported from what its unchanged directory
  // remembered (then report_memo is set).
  std::shared_ptr<const SidecarInspection> inspection;
  // With ValidateOptions::encode_report: what it returned for this file, now
  // or when the directory was last reported unchanged since; and its size.
  std::string_view report_memo;
  int64_t size_bytes = 0;

  bool orphan() const { return !image_path.has_value(); }
  // Decoder warnings followed by document warnings.
  std::vector<std::string> warnings() const;
};

// What Validate counts, for a tree or one directory.
struct ValidateCounts {
  int64_t total_files = 0;
  int64_t valid_files = 0;
  int64_t invalid_files = 0;
  std::map<std::string, int64_t> by_format;
  std::map<std::string, int64_t> by_operation;
  int64_t foreign_files = 0;
  int64_t filtered_out = 0;
  int64_t orphans = 0;

  void Add(const ValidateCounts& other);
};

struct ValidateSummary : ValidateCounts {
  std::string root;
  std::vector<TreeWalk::DirectoryError> directory_errors;
  double duration_seconds = 0;
  std::string filter_applied;
  // The daemon's working files under the root, and of those the strays
  // (working_files.h): counted from each directory's scan, never a tally.
  int64_t working_files = 0;
  int64_t stray_working_files = 0;
};

// Validates the tree under `root` (resolved and checked by the caller).
// Reported files reach `sink` in sorted path order (with summary_only,
// possibly not all of them), a batch at a time; the
// sink returns false to stop. Returns the summary, or Cancelled.
absl::StatusOr<ValidateSummary> ValidateTree(
    const std::string& root, const ValidateOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const ValidatedFile>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_VALIDATE_H_
