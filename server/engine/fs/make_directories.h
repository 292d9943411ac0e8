// Creates a chain of folders below a directory descriptor, never following a
// symlink: how a quarantine batch folder is made inside the root it serves,
// and how a restore recreates the folders of a quarantined file.
#ifndef SIDECARD_SERVER_ENGINE_FS_MAKE_DIRECTORIES_H_
#define SIDECARD_SERVER_ENGINE_FS_MAKE_DIRECTORIES_H_

#include <sys/types.h>

#include <string_view>

#include "absl/status/statusor.h"
#include "server/engine/base/unique_fd.h"

namespace sidecard::engine {

// Creates (if needed, with `mode` less the umask; 0700 keeps a quarantine
// private) every folder of `relative` below `base_fd` and returns a
// descriptor of the last one. Errors name the folder.
absl::StatusOr<UniqueFd> MakeDirectories(int base_fd, std::string_view relative,
                                         mode_t mode = 0700);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_MAKE_DIRECTORIES_H_
