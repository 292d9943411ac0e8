// Sidecar writes that never destroy what another program wrote meanwhile.
//
// sidecard serialises its own writes to one image (image_locks.h), but other
// programs (the old pipeline, a sync tool) write the same files the usual
// way, a temporary file renamed over the name, at any moment. A plain rename
// over a name checked a moment before would silently drop a file renamed in
// between (check-then-act), so:
//  - a name that must be new is taken with renameat2(RENAME_NOREPLACE);
//  - a file that must still be the version read is replaced with
//    renameat2(RENAME_EXCHANGE), which hands back what it displaced; if that
//    is not the version read, the exchange is undone;
//  - a file is moved or removed only after it was moved to a name no one
//    else uses (a `.sidecard-held-` name) and checked there; another
//    program's version goes back to its name.
// A lost race returns Aborted or AlreadyExists ("... by another program"):
// nothing of the other program's is lost. When its content cannot go back
// to its name (a third write took the name in those microseconds), it is
// kept as ConflictName(name) and the message says where.
//
// Readers never see a missing file during a replace. On file systems without
// renameat2's flags (EINVAL), a create falls back to link + unlink (just as
// atomic) and a replace to a check just before a plain rename (a window of
// microseconds remains there).
#ifndef SIDECARD_SERVER_ENGINE_FS_GUARDED_WRITE_H_
#define SIDECARD_SERVER_ENGINE_FS_GUARDED_WRITE_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "server/engine/fs/file_stamp.h"

namespace sidecard::engine {

// Writes `bytes` as the new file `name` in `directory_fd` (atomic_file.h) and
// syncs the directory. AlreadyExists, with nothing written, when any file
// (or folder, or symlink) has the name by then.
absl::Status CreateFileGuarded(int directory_fd, const std::string& name, std::string_view bytes,
                               mode_t mode = 0644);

// Replaces `name`, which must still be the version `expected` (read before),
// with `bytes`, and syncs the directory. Aborted, with the other version in
// place and nothing written, when another program replaced or removed it.
absl::Status ReplaceFileGuarded(int directory_fd, const std::string& name, std::string_view bytes,
                                const FileStamp& expected, mode_t mode = 0644);

// Moves `from_name` (in `from_fd`) to the new name `to_name` (in `to_fd`,
// the same file system) if it is still the version `expected`. NotFound when
// it is gone, AlreadyExists when the destination exists (nothing moved),
// Aborted when another version had taken its place (that version stays).
absl::Status MoveFileGuarded(int from_fd, const std::string& from_name, int to_fd,
                             const std::string& to_name, const FileStamp& expected);

// Removes `name` if it is still the version `expected`. NotFound when it is
// already gone, Aborted when another version had taken its place (it stays).
// The caller syncs the directory.
absl::Status RemoveFileGuarded(int directory_fd, const std::string& name,
                               const FileStamp& expected);

// Tests only: `hook` runs at each step where another program's write can
// land ("create", "replace", "put-back", "move") with the name concerned, so
// a test can land one there. Not thread-safe to change while writes run.
void SetGuardedWriteHookForTesting(
    std::function<void(std::string_view step, const std::string&)> hook);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_GUARDED_WRITE_H_
