// Recognises the daemon's own working files (atomic_file.h) among the entries
// of a directory: `.sidecard-tmp-<name>.<pid>.<n>` and
// `.sidecard-held-<name>.<pid>.<n>`, regular files only. Anything else, a
// symlink with such a name included, is not ours and is never touched.
#ifndef SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILES_H_
#define SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "server/engine/fs/file_stamp.h"

namespace sidecard::engine {

enum class WorkingFileKind {
  kTemporary,  // new content being written; an old one may be deleted
  kHeld,       // moved aside by a guarded replace; never deleted unseen
};

struct WorkingFileName {
  WorkingFileKind kind;
  // The name of the file it concerns, in the same directory.
  std::string_view concerns;
};

// Parses a directory entry's name strictly: the prefix, a non-empty name
// (not `.`, `..` or one of the daemon's own `.sidecard-` names), then
// `.<digits>.<digits>`. Nullopt: not ours.
std::optional<WorkingFileName> ParseWorkingFileName(std::string_view name);

struct WorkingFile {
  std::string name;
  WorkingFileKind kind = WorkingFileKind::kTemporary;
  std::string concerns;
  // As found (lstat): a later action checks the file is still this one.
  FileStamp stamp;

  absl::Time modified() const { return absl::FromUnixNanos(stamp.mtime_ns); }
  // Older than kWorkingFileWindow at `now`: no write can still own it.
  bool IsStray(absl::Time now) const;
};

// The entry `name` of `directory_fd` when it is one of our working files: its
// name parses and it is a regular file (not followed if a symlink).
std::optional<WorkingFile> RecognizeWorkingFile(int directory_fd, std::string_view name);

// How many of `files` are strays at `now`.
int64_t CountStrays(const std::vector<WorkingFile>& files, absl::Time now);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILES_H_
