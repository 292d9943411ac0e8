// The quarantine that Cleanup's QUARANTINE mode fills (cleanup.h):
// `<root>/.sidecard-quarantine/<batch>/<path relative to root>`, where a
// batch's ID is the UTC time of the Cleanup that made it, `YYYYMMDDTHHMMSSZ`.
// What listing, restoring and purging share: finding the batches and walking
// one, always below the root's descriptor (opened beneath the allowed roots)
// and never following a symlink.
#ifndef SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_BATCHES_H_
#define SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_BATCHES_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/fs/allowed_roots.h"

namespace sidecard::engine {

// The time a batch ID names; none when `id` is not a batch ID (which also
// keeps `/`, `..` and every other path out of an ID).
std::optional<absl::Time> ParseBatchId(std::string_view id);

// A batch as found: its figures count what is in it now.
struct QuarantineBatchInfo {
  std::string id;
  absl::Time created;
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t other_entries = 0;  // neither folders nor regular files
};

// `root` (resolved, inside the allowed roots) and its quarantine folder.
struct OpenedQuarantine {
  UniqueFd root_fd;
  UniqueFd quarantine_fd;  // invalid when the root has no quarantine
  std::string root;
  std::string quarantine_dir;  // absolute

  // Absolute paths of a file in a batch and of where it came from.
  std::string PathInBatch(std::string_view batch, std::string_view relative) const;
  std::string OriginalPath(std::string_view relative) const;
};

// The folder, relative to `root`, that receives the file at `relative` (to
// `root`) in the batch `batch_dir` (absolute, beneath `root`): the file's own
// folders repeated under the batch.
std::string BatchFolderOf(const std::string& root, const std::string& batch_dir,
                          const std::string& relative);

// Opens `root` beneath `roots` and its `.sidecard-quarantine`, if any.
// FailedPrecondition when that name is not a folder (a symlink, a file).
absl::StatusOr<OpenedQuarantine> OpenQuarantine(const AllowedRoots& roots, const std::string& root);

struct BatchIds {
  std::vector<std::string> ids;  // oldest first
  int64_t not_batches = 0;       // other entries of the quarantine folder
};

// The batches of `quarantine`, or only `only` when it is not empty:
// InvalidArgument when it is not a batch ID, NotFound when there is no such
// batch.
absl::StatusOr<BatchIds> ListBatchIds(const OpenedQuarantine& quarantine, std::string_view only);

// Opens one batch folder (O_NOFOLLOW). NotFound when it is gone.
absl::StatusOr<UniqueFd> OpenBatch(const OpenedQuarantine& quarantine, const std::string& id);

// One regular file met by WalkBatch.
struct BatchFile {
  int directory_fd;
  const std::string& name;
  const std::string& relative;  // to the batch folder, which is to the root
  const struct stat& st;
};

// The record a prune leaves beside the previous version of a file it
// rewrote (prune.h): `.sidecard-pruned-<name>`. Not a quarantined file: never
// listed or restored itself.
inline constexpr std::string_view kPruneRecordPrefix = ".sidecard-pruned-";
inline bool IsPruneRecordName(std::string_view name) {
  return name.substr(0, kPruneRecordPrefix.size()) == kPruneRecordPrefix;
}

struct BatchVisitor {
  // Each regular file, in bytewise sorted path order; false stops the walk
  // (Cancelled).
  std::function<bool(const BatchFile&)> on_file;
  // Each prune record (IsPruneRecordName), before the file it concerns; when
  // unset, records go to on_file like any file.
  std::function<bool(const BatchFile&)> on_record;
  // Each folder below the batch, after its contents (`name` in `parent_fd`).
  std::function<void(int parent_fd, const std::string& name)> after_folder;
  // Each entry that is neither a folder nor a regular file (a symlink, ...),
  // never followed.
  std::function<void(int directory_fd, const std::string& name)> on_other;
};

// Walks the batch folder `batch_fd`, opening each folder with O_NOFOLLOW.
// Errors name the folder that could not be opened or listed.
absl::Status WalkBatch(int batch_fd, const BatchVisitor& visitor);

// Counts what `id` holds now.
absl::StatusOr<QuarantineBatchInfo> MeasureBatch(const OpenedQuarantine& quarantine,
                                                 const std::string& id);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_BATCHES_H_
