#include "server/engine/fs/make_directories.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "server/engine/base/text.h"

namespace sidecard::engine {

absl::StatusOr<UniqueFd> MakeDirectories(int base_fd, std::string_view relative, mode_t mode) {
  UniqueFd current(fcntl(base_fd, F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) return absl::InternalError(Concat("dup: ", std::strerror(errno)));
  for (std::string_view part : SplitNonEmpty(relative, '/')) {
    const std::string name(part);
    if (mkdirat(current.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
      return absl::InternalError(Concat("cannot create folder ", name, ": ", std::strerror(errno)));
    }
    UniqueFd next(
        openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      return absl::InternalError(Concat("cannot open folder ", name, ": ", std::strerror(errno)));
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace sidecard::engine
