// Replaces a file so that readers and crashes only ever see the old or the
// new content, never a mix or an empty file: write a temporary file in the
// same directory, fsync it, rename it over the target, fsync the directory.
#ifndef SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_
#define SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace sidecard::engine {

// Prefix of temporary files; a crash may leave one behind (never a sidecar:
// its name does not end in a sidecar extension).
inline constexpr std::string_view kTemporaryPrefix = ".sidecard-tmp-";

// Atomically sets `name` inside `directory_fd` to `bytes`, with file mode
// `mode` (subject to umask). Errors name the file and the failing step.
absl::Status WriteFileAtomically(int directory_fd, const std::string& name, std::string_view bytes,
                                 mode_t mode = 0644);

// Makes directory entries (renames, unlinks) in `directory_fd` durable.
absl::Status SyncDirectory(int directory_fd);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_ATOMIC_FILE_H_
