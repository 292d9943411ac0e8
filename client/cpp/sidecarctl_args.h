// Command-line flags of sidecarctl: `--name`, `--name=value`, `--name value`,
// `-h` for `--help`, and `--` to end the flags. Each command declares the
// flags it accepts; anything else is a usage error.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_ARGS_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_ARGS_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sidecard::ctl {

// One accepted flag, named without its leading dashes.
struct FlagSpec {
  absl::string_view name;
  // True for `--name VALUE`; false for a switch such as `--json`.
  bool takes_value = false;
};

// The flags and positional arguments of a command line.
class ParsedArgs {
 public:
  // Whether flag `name` was given.
  bool Has(absl::string_view name) const { return flags_.count(std::string(name)) > 0; }
  // The value of flag `name` (the last one when repeated), or nullopt.
  std::optional<std::string> Value(absl::string_view name) const;
  // Every value of flag `name`, in the order given (for a repeatable flag).
  std::vector<std::string> Values(absl::string_view name) const;
  // Arguments that are not flags, in order.
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string>,
                                              std::span<const FlagSpec>, bool);
  std::map<std::string, std::string> flags_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
};

// Parses `args` against `accepted`. With `stop_at_positional`, the first
// positional argument and everything after it are returned as positional,
// unparsed (for the global flags that come before a command). Returns
// InvalidArgument with a message for people on an unknown flag, a missing or
// empty value, or a value given to a switch.
absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                     std::span<const FlagSpec> accepted,
                                     bool stop_at_positional = false);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_ARGS_H_
