#include "server/daemon/daemon_options.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "server/daemon/daemon_flags.h"
#include "server/daemon/flag_types.h"

namespace sidecard {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

// What a parse finds besides the flags' values.
struct Parse {
  bool help = false;
  bool version = false;
  // Repeatable flags seen so far: the first occurrence replaces the default.
  std::set<std::string> lists_given;
  // The --config files read, for a message that says which one to edit.
  std::vector<std::string> config_files;
};

absl::Status CheckSecurity(const DaemonOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Invalid("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return Invalid("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
  }
  for (const std::string& address : o.listen) {
    if (IsUnixSocketAddress(address)) continue;
    if (o.tls_cert.empty() && !o.insecure) {
      return Invalid("--listen " + address +
                     ": a network listener needs TLS (--tls-cert and --tls-key); "
                     "--insecure allows plaintext, for a trusted network only");
    }
    if (o.token_file.empty()) {
      return Invalid("--listen " + address +
                     ": a network listener needs --token-file (bearer tokens with roles); "
                     "only the Unix socket relies on file permissions");
    }
  }
  return absl::OkStatus();
}

// "--name: what is wrong". Abseil says "Illegal value 'TEXT' specified for
// flag 'name'; " before the flag type's message; the user gets today's words.
std::string FlagError(const absl::CommandLineFlag& flag, const std::string& text,
                      const std::string& error) {
  const std::string abseil_prefix =
      "Illegal value '" + text + "' specified for flag '" + std::string(flag.Name()) + "'; ";
  const bool wrapped = error.rfind(abseil_prefix, 0) == 0;
  return "--" + daemon::CommandLineName(flag) + ": " +
         (wrapped ? error.substr(abseil_prefix.size()) : error);
}

// Sets `flag` from one occurrence on the command line or in a file.
absl::Status SetFlag(absl::CommandLineFlag& flag, const std::string& value, Parse& parse) {
  if (const std::string wrong = daemon::CheckGiven(flag, value); !wrong.empty()) {
    return Invalid("--" + daemon::CommandLineName(flag) + ": " + wrong);
  }
  std::string text = value;
  if (absl::optional<daemon::List> list = flag.TryGet<daemon::List>()) {
    if (parse.lists_given.insert(std::string(flag.Name())).second) list->items.clear();
    list->items.push_back(value);
    text = daemon::AbslUnparseFlag(*list);
  }
  std::string error;
  if (!flag.ParseFrom(text, &error)) return Invalid(FlagError(flag, text, error));
  return absl::OkStatus();
}

// Puts every daemon flag back to its default.
absl::Status ResetFlags() {
  for (absl::CommandLineFlag* flag : daemon::DaemonFlags()) {
    if (std::string error; !flag->ParseFrom(flag->DefaultValue(), &error)) {
      return absl::InternalError("--" + daemon::CommandLineName(*flag) + ": default: " + error);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseArgs(const std::vector<std::string>& args, Parse& parse, int depth);

// `--config FILE`: the lines are arguments, read in order (`--` optional).
// `--flagfile FILE`: Abseil's format, each line a whole `--name=value` (or a
// switch alone). Both skip blank lines and # comments, and may name more
// files.
absl::Status ReadFlagFile(const std::string& directive, const std::string& path, Parse& parse,
                          int depth) {
  if (depth > 4) return Invalid("--" + directive + ": files include each other too deeply");
  std::ifstream file(path);
  if (!file) return Invalid("--" + directive + ": cannot read " + path);
  const bool abseil_format = directive == "flagfile";
  if (!abseil_format) parse.config_files.push_back(path);
  std::vector<std::string> args;
  std::string line;
  while (std::getline(file, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    std::string arg = line.substr(start, end - start + 1);
    if (abseil_format) {
      if (arg.rfind("--", 0) != 0) {
        return Invalid("--flagfile: " + path + ": '" + arg + "' is not a --name=value line");
      }
      if (auto s = ParseArgs({arg}, parse, depth + 1); !s.ok()) return s;
      continue;
    }
    if (arg.rfind("--", 0) != 0) arg = "--" + arg;  // `listen=...` is accepted too
    args.push_back(std::move(arg));
  }
  return abseil_format ? absl::OkStatus() : ParseArgs(args, parse, depth + 1);
}

absl::Status ParseArgs(const std::vector<std::string>& args, Parse& parse, int depth) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parse.help = true;
      continue;
    }
    if (arg == "--version") {
      parse.version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return Invalid("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    std::replace(name.begin(), name.end(), '_', '-');
    absl::CommandLineFlag* flag = daemon::FindDaemonFlag(name);
    // `--no-NAME` turns a switch off (`--no-watch`); it takes no value.
    if (flag == nullptr && name.rfind("no-", 0) == 0) {
      absl::CommandLineFlag* const negated = daemon::FindDaemonFlag(name.substr(3));
      if (negated != nullptr && negated->IsOfType<daemon::Switch>()) {
        if (eq != std::string::npos) return Invalid("--" + name + " takes no value");
        if (auto s = SetFlag(*negated, "false", parse); !s.ok()) return s;
        continue;
      }
    }
    const bool file_flag = name == "config" || name == "flagfile";
    if (flag == nullptr && !file_flag) return Invalid("unknown flag --" + name + " (see --help)");
    if (eq == std::string::npos) {
      if (flag != nullptr && flag->IsOfType<daemon::Switch>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Invalid("--" + name + ": a value is required");
      }
    }
    if (file_flag) {
      if (auto s = ReadFlagFile(name, value, parse, depth); !s.ok()) return s;
      continue;
    }
    if (auto s = SetFlag(*flag, value, parse); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args) {
  // The flags are the process's: one parse at a time, each from the defaults.
  // (absl::FlagSaver would put them back too, but logs every flag it restores.)
  ABSL_CONST_INIT static absl::Mutex mutex(absl::kConstInit);
  const absl::MutexLock lock(&mutex);
  if (auto s = ResetFlags(); !s.ok()) return s;
  Parse parse;
  if (auto s = ParseArgs(args, parse, 0); !s.ok()) return s;
  DaemonOptions options = daemon::OptionsFromFlags();
  options.help = parse.help;
  options.version = parse.version;
  if (options.help || options.version) return options;
  if (options.allowed_roots.empty()) {
    // The shipped configuration has every line commented out: say what to
    // edit (this is what `systemctl status` shows).
    if (!parse.config_files.empty()) {
      return Invalid("no allowed roots configured: edit " + parse.config_files.front() +
                     " and add allowed-root=DIR (--allowed-root is required: the directories "
                     "sidecard may read and change)");
    }
    return Invalid("--allowed-root is required: the directories sidecard may read and change");
  }
  if (auto s = CheckSecurity(options); !s.ok()) return s;
  return options;
}

bool IsUnixSocketAddress(const std::string& address) { return address.rfind("unix:", 0) == 0; }

MessageLimits MessageLimitsFor(const DaemonOptions& options) {
  // Room for everything around the payload or the document.
  constexpr size_t kHeadroom = 1u << 20;
  constexpr size_t kLargest = std::numeric_limits<int>::max();
  return {
      .max_receive_bytes =
          static_cast<int>(std::min(options.max_payload_bytes, kLargest - kHeadroom) + kHeadroom),
      .max_send_bytes = static_cast<int>(
          std::min(options.max_sidecar_bytes, (kLargest - kHeadroom) / 2) * 2 + kHeadroom),
  };
}

}  // namespace sidecard
