// Convert (docs/CONTRACT.md §4): rewrites each image's sidecar files into one file
// of a target format, atomically, dry run unless asked.
//
// Per image (group of reported sidecar files of one stem, tree_documents.h),
// in group order, the first rule that applies:
//   kSkippedUnreadable   a member does not decode: nothing is touched;
//   kAlreadyTarget       the only file is `<stem>.<target ext>` (any case);
//   kSkippedTargetNewer  the files hold different values for the same keys
//                        and the target-format file is the newest: newer
//                        data is never overwritten, nothing is touched;
//   kSkippedConflict     the files hold different values for the same keys
//                        otherwise: removing one would lose them; nothing is
//                        touched. (Without such conflicts the merge only adds
//                        what a file lacks, so converting loses nothing.)
//   kFailed              the target's name is taken by a file that is not a
//                        member (foreign, unreadable without an image, a
//                        folder), or applying failed (`error`);
//   kWouldConvert        dry run: nothing is written;
//   kConverted           applied, as below.
// Applying, under the image's lock (the one Save takes): every member must
// still be the version read, else nothing is changed. The merged document
// (read priority wins key by key; an older target file is merged in at its
// priority; old `<stem>_<operation>.json` files too) is encoded and written
// atomically to the existing target file, or to `<stem>.<lower-case ext>`;
// read back, decoded and compared with what was meant. The target is taken
// only if its name is still free, or replaces only the version read; when
// another program writes it meanwhile, its write stays and nothing changes
// (kFailed; guarded_write.h). Only when the target verifies is each other
// member removed, and only if it is still the version read (else it is kept
// and the result is kFailed; the new target stays). Foreign
// files and unpaired files that do not decode are never members, so they are
// never touched. One group's failure never stops the rest.
#ifndef SIDECARD_SERVER_ENGINE_OPS_CONVERT_H_
#define SIDECARD_SERVER_ENGINE_OPS_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/ops/parallel_inspection.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

enum class ConvertAction {
  kWouldConvert,
  kConverted,
  kAlreadyTarget,
  kSkippedUnreadable,
  kSkippedTargetNewer,
  kSkippedConflict,
  kFailed,
};

struct ConvertOptions {
  bool recursive = true;
  SidecarFormat target = SidecarFormat::kBin;
  // False: dry run, nothing is written or removed.
  bool apply = false;
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
};

struct ConvertResult {
  // The image's sidecar files (absolute, raw bytes) in read priority order;
  // an existing target file is among them (its content is merged in).
  std::vector<std::string> sources;
  // The file in the target format (absolute, raw bytes).
  std::string target;
  ConvertAction action = ConvertAction::kWouldConvert;
  std::string error;
};

struct ConvertSummary {
  std::string root;
  SidecarFormat target = SidecarFormat::kBin;
  bool applied = false;
  // Converted, or in a dry run would be.
  int64_t converted = 0;
  int64_t already_target = 0;
  // Skipped unreadable or target newer.
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t sidecars_examined = 0;
  int64_t unreadable_directories = 0;
  double duration_seconds = 0;
};

// Converts the tree under `root` (resolved and checked by the caller).
// Results reach `sink` in group order, a batch at a time; the sink returns
// false to stop. Returns Cancelled when stopped.
absl::StatusOr<ConvertSummary> ConvertTree(
    const std::string& root, const ConvertOptions& options, const EngineContext& context,
    ImageLocks& locks, const Cancellation& cancellation,
    const std::function<bool(std::span<const ConvertResult>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_CONVERT_H_
