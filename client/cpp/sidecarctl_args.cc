#include "client/cpp/sidecarctl_args.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sidecard::ctl {
namespace {

const FlagSpec* FindFlag(std::span<const FlagSpec> accepted, absl::string_view name) {
  const auto it = std::find_if(accepted.begin(), accepted.end(),
                               [&](const FlagSpec& spec) { return spec.name == name; });
  return it == accepted.end() ? nullptr : &*it;
}

}  // namespace

std::optional<std::string> ParsedArgs::Value(absl::string_view name) const {
  const auto it = flags_.find(std::string(name));
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ParsedArgs::Values(absl::string_view name) const {
  const auto it = all_values_.find(std::string(name));
  return it == all_values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                     std::span<const FlagSpec> accepted, bool stop_at_positional) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional_.insert(parsed.positional_.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {  // Includes "-", the usual name for stdin.
      if (stop_at_positional) {
        parsed.positional_.insert(parsed.positional_.end(), args.begin() + i, args.end());
        break;
      }
      parsed.positional_.push_back(arg);
      continue;
    }
    absl::string_view name = arg;
    if (name == "-h") name = "--help";
    if (!absl::StartsWith(name, "--"))
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    name.remove_prefix(2);
    std::optional<std::string> value;
    if (const size_t equals = name.find('='); equals != absl::string_view::npos) {
      value = std::string(name.substr(equals + 1));
      name = name.substr(0, equals);
    }
    const FlagSpec* spec = FindFlag(accepted, name);
    if (spec == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '--", name, "'"));
    if (!spec->takes_value) {
      if (value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      value = "";
    } else if (!value) {
      if (i + 1 == args.size())
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = args[++i];
    }
    if (spec->takes_value && value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a non-empty value"));
    }
    parsed.all_values_[std::string(name)].push_back(*value);
    parsed.flags_[std::string(name)] = *std::move(value);
  }
  return parsed;
}

}  // namespace sidecard::ctl
