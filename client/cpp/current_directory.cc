#include "client/cpp/current_directory.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sidecard {

absl::StatusOr<std::string> CurrentDirectory() {
  std::vector<char> buffer(4096);
  while (getcwd(buffer.data(), buffer.size()) == nullptr) {
    if (errno != ERANGE) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot tell the current directory: ", std::strerror(errno)));
    }
    buffer.resize(buffer.size() * 2);
  }
  return std::string(buffer.data());
}

}  // namespace sidecard
