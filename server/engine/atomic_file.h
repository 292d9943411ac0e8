// Replaces a file so that readers and crashes only ever see the old or the
// new content, never a mix or an empty file: write a temporary file in the
// same directory, fsync it, rename it over the target, fsync the directory.
#ifndef SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_
#define SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sidecard::engine {

// The daemon's own working files, beside the sidecar they concern. A crash
// (kill -9, power loss) may leave either behind; neither is ever a sidecar
// (the name ends in `.<pid>.<counter>`, not a sidecar extension).
//
// `.sidecard-tmp-<name>.<pid>.<n>`: new content being written. It never held
// anything a caller was told is saved, so an old one may be deleted.
inline constexpr std::string_view kTemporaryPrefix = ".sidecard-tmp-";
// `.sidecard-held-<name>.<pid>.<n>`: a file moved aside for a moment by a
// guarded replace or remove (below). It may hold another program's content,
// so it is never deleted unseen: an old one goes back to `<name>` if that
// name is free, else it is kept as `ConflictName(<name>, now)`.
inline constexpr std::string_view kHeldPrefix = ".sidecard-held-";
// How long a working file may legitimately exist (a write in progress, in
// this daemon or another on the same tree); older ones are strays.
inline constexpr absl::Duration kWorkingFileWindow = absl::Minutes(10);

// `<name>.conflict-<UTC time>`: where a lost race keeps the other content.
// Never a sidecar name, so Cleanup and Convert leave it alone.
std::string ConflictName(std::string_view name, absl::Time now);

// Atomically sets `name` inside `directory_fd` to `bytes`, with file mode
// `mode` (subject to umask). Errors name the file and the failing step.
absl::Status WriteFileAtomically(int directory_fd, const std::string& name, std::string_view bytes,
                                 mode_t mode = 0644);

// Makes directory entries (renames, unlinks) in `directory_fd` durable.
absl::Status SyncDirectory(int directory_fd);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_
