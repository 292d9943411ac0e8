// Export (docs/CONTRACT.md §4): the sidecar documents of a tree, or a flat table of
// per-image facts, as one JSON array, JSON Lines or CSV, streamed as text.
//
// One item per image (group of sidecar files of one stem, paired or orphan),
// in group order (tree_documents.h). Items:
//   documents  {"document": <merged document>, "files": [<merged files>],
//               "format": "bin", "image": "<image path>"|null,
//               "sidecar": "<highest-priority readable file>",
//               "unreadable": [<member files that did not decode>]}
//   table      {"image", "sidecar", "format", "valid", "operations", "faces",
//               "objects", "detections", "success"} (see ExportTableColumns)
// Every item is canonical compact JSON (keys sorted). Paths are absolute, as
// DisplayPath text. Encodings:
//   JSON   "[\n" + items joined by ",\n" + "\n]\n" ("[\n]\n" when empty)
//   JSONL  one item per line, each ending in "\n"
//   CSV    a header row, then one row per image; rows end in "\r\n" and
//          fields are quoted as RFC 4180 says (a field holding a comma, a
//          quote, CR or LF is quoted, its quotes doubled). Table content only.
// Groups whose every file fails to decode are left out; their files, and any
// other member file that fails to decode, are counted as unreadable.
//
// Operation projection (`operations`): each merged document keeps only the
// top-level keys named there and `sidecar_info` (old layouts are normalized
// before, so `Face_detector` is `face_detection` by then); an image whose
// document holds none of them is left out and counted in
// `without_operations`. The table is computed from the projected document.
#ifndef SIDECARD_SERVER_ENGINE_OPS_EXPORT_H_
#define SIDECARD_SERVER_ENGINE_OPS_EXPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/ops/parallel_inspection.h"

namespace sidecard::engine {

enum class ExportFormat { kJson, kJsonLines, kCsv };
enum class ExportContent { kDocuments, kTable };

struct ExportOptions {
  bool recursive = true;
  // Export only images whose merged document holds this operation; empty
  // for all.
  std::string operation_filter;
  // Operation projection; empty: whole documents.
  std::vector<std::string> operations;
  ExportFormat format = ExportFormat::kJson;
  // kDocuments cannot be written as CSV.
  ExportContent content = ExportContent::kDocuments;
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
};

struct ExportSummary {
  std::string root;
  // Items written.
  int64_t exported = 0;
  // Member files that could not be read or decoded (left out).
  int64_t unreadable = 0;
  // Images left out by the operation filter.
  int64_t filtered_out = 0;
  // Readable images left out because they hold none of `operations`.
  int64_t without_operations = 0;
  // Sidecar files that were members of some group.
  int64_t sidecars_examined = 0;
  int64_t output_bytes = 0;
  int64_t unreadable_directories = 0;
  double duration_seconds = 0;
  // The first kMaxNamedUnreadable of the files counted in `unreadable`.
  struct Unreadable {
    std::string path;  // absolute
    std::string error;
  };
  std::vector<Unreadable> unreadable_files;
};

// How many unreadable files ExportSummary names.
inline constexpr size_t kMaxNamedUnreadable = 1000;

// Output is handed to the sink in pieces of at most this many bytes.
inline constexpr size_t kExportChunkBytes = 64u << 10;

// The CSV header and the table columns, in order: image, sidecar, format,
// valid (every member file decodes and is well-formed), operations
// (`;`-joined, sorted), faces, objects, detections (faces + objects + other
// detections), success (`operation=true|false` `;`-joined, sorted: false when
// any payload of the operation reports `success: false`, true when all that
// report it say true; operations without a boolean `success` are left out).
std::span<const std::string_view> ExportTableColumns();

// Exports the tree under `root` (resolved and checked by the caller). The
// text reaches `sink` in order, in chunks of at most kExportChunkBytes; the
// sink returns false to stop. Returns InvalidArgument for documents as CSV,
// Cancelled when stopped.
absl::StatusOr<ExportSummary> ExportTree(const std::string& root, const ExportOptions& options,
                                         const EngineContext& context,
                                         const Cancellation& cancellation,
                                         const std::function<bool(std::string_view chunk)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_EXPORT_H_
