// The working directory, which the command-line clients join relative paths
// to (the daemon takes absolute ones only).
#ifndef SIDECARD_CLIENT_CPP_CURRENT_DIRECTORY_H_
#define SIDECARD_CLIENT_CPP_CURRENT_DIRECTORY_H_

#include <string>

#include "absl/status/statusor.h"

namespace sidecard {

// FailedPrecondition saying why when getcwd fails (the directory was
// removed, or a parent is not searchable).
absl::StatusOr<std::string> CurrentDirectory();

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_CURRENT_DIRECTORY_H_
