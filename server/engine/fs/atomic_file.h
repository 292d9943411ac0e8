// Writes a file so that readers and crashes only ever see the old or the new
// content, never a mix or an empty file: the content goes into a temporary
// file in the same directory, is fsynced, and only then takes the real name
// (guarded_write.h decides how it takes it); the directory is fsynced after.
#ifndef SIDECARD_SERVER_ENGINE_FS_ATOMIC_FILE_H_
#define SIDECARD_SERVER_ENGINE_FS_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/fs/file_stamp.h"

namespace sidecard::engine {

// The daemon's own working files, beside the sidecar they concern. A crash
// (kill -9, power loss) may leave either behind; neither is ever a sidecar
// (the name ends in `.<pid>.<counter>`, not a sidecar extension).
//
// `.sidecard-tmp-<name>.<pid>.<n>`: new content being written. It never held
// anything a caller was told is saved, so an old one may be deleted.
inline constexpr std::string_view kTemporaryPrefix = ".sidecard-tmp-";
// `.sidecard-held-<name>.<pid>.<n>`: a file moved aside for a moment by a
// guarded replace or remove (guarded_write.h). It may hold another program's
// content, so it is never deleted unseen: an old one goes back to `<name>` if
// that name is free, else it is kept as `ConflictName(<name>, now)`.
inline constexpr std::string_view kHeldPrefix = ".sidecard-held-";
// How long a working file may legitimately exist (a write in progress, in
// this daemon or another on the same tree); older ones are strays.
inline constexpr absl::Duration kWorkingFileWindow = absl::Minutes(10);

// `<name>.conflict-<UTC time>`: where a lost race keeps the other content.
// Never a sidecar name, so Cleanup and Convert leave it alone.
std::string ConflictName(std::string_view name, absl::Time now);

// A fresh working-file name for `name` with `prefix` (unique across threads
// and processes).
std::string NewWorkingFileName(std::string_view prefix, std::string_view name);

// A complete, fsynced temporary file, not yet under its real name.
struct TemporaryFile {
  std::string name;  // in the same directory
  FileStamp stamp;   // identifies it after renames (device and inode)
};

// Writes `bytes` to a new temporary file for `name` in `directory_fd`, with
// file mode `mode` (subject to umask), and fsyncs it. On failure nothing is
// left behind. Errors name the file and the failing step.
absl::StatusOr<TemporaryFile> WriteTemporaryFile(int directory_fd, const std::string& name,
                                                 std::string_view bytes, mode_t mode);

// Makes directory entries (renames, unlinks) in `directory_fd` durable.
absl::Status SyncDirectory(int directory_fd);

// The status for a failed file-system step on `name` (errno is read): a full
// disk is ResourceExhausted, a refusal PermissionDenied, the rest Internal.
absl::Status FileSystemFailure(std::string_view step, std::string_view name);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_ATOMIC_FILE_H_
