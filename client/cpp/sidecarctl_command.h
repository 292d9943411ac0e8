// What a sidecarctl command is, and what the commands share: exit codes, how
// errors are reported, the DIR argument, writing to stdout.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_COMMAND_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_COMMAND_H_

#include <grpcpp/grpcpp.h>

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/cpp/client.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_args.h"

namespace sidecard::ctl {

// sidecarctl's exit statuses (listed in `sidecarctl --help`).
enum ExitCode : int {
  kExitOk = 0,
  // The command found something: invalid sidecars, failed removals, a
  // service that is not serving.
  kExitFinding = 1,
  // Bad flags or arguments.
  kExitUsage = 2,
  // The daemon could not be reached.
  kExitUnreachable = 3,
  // The daemon refused or failed the request.
  kExitFailed = 4,
};

// What a command runs with.
struct Invocation {
  Client& client;
  // The command's own flags and positional arguments.
  const ParsedArgs& args;
  // --json: machine-readable output.
  bool json = false;
};

struct Command {
  absl::string_view name;
  // One line for the command list.
  absl::string_view summary;
  // What follows the command's name on its usage line: "DIR [--flag]...".
  absl::string_view usage;
  // The rest of `sidecarctl COMMAND --help`: what it does, its flags.
  absl::string_view help;
  // Flags besides the global ones.
  std::span<const FlagSpec> flags;
  // Runs the command; returns the exit status.
  int (*run)(const Invocation&);
};

extern const Command kValidateCommand;
extern const Command kStatsCommand;
extern const Command kCleanupCommand;
extern const Command kInfoCommand;
extern const Command kHealthCommand;
extern const Command kVersionCommand;
extern const Command kReadCommand;
extern const Command kSaveCommand;
extern const Command kExportCommand;
extern const Command kConvertCommand;
extern const Command kPruneCommand;
extern const Command kQuarantineCommand;
extern const Command kWatchCommand;
extern const Command kFindCommand;

// Prints "sidecarctl: <message>" and where to find help on stderr; returns
// kExitUsage. `command` names the command whose help applies, if any.
int UsageError(absl::string_view message, absl::string_view command = {});

// Prints why a call failed on stderr and returns kExitUnreachable when the
// daemon could not be reached, else kExitFailed:
// "sidecarctl: NOT_FOUND: root /x does not exist".
int CallFailed(Client& client, const grpc::Status& status);

// Prints that a stream ended without its summary; returns kExitFailed.
int MissingSummary();

// The single DIR argument of a command, made absolute against the current
// directory (the daemon requires absolute paths). `.` components and extra
// slashes are dropped; `..` is kept, for the daemon to resolve (it may
// follow a symlink). InvalidArgument when there is not exactly one. `skip`
// leading positional arguments (a subcommand) come before it.
absl::StatusOr<std::string> DirectoryArgument(const ParsedArgs& args, size_t skip = 0);

// The request of a command on the tree named by its one DIR argument
// (DirectoryArgument): its root and --non-recursive. The command sets the
// rest.
template <typename Request>
absl::StatusOr<Request> TreeRequest(const ParsedArgs& args) {
  absl::StatusOr<std::string> root = DirectoryArgument(args);
  if (!root.ok()) return root.status();
  Request request;
  SetRoot(request, *std::move(root));
  request.set_non_recursive(args.Has("non-recursive"));
  return request;
}

// The root a tree request names (`root`, or the bytes of `raw_root`), for
// progress lines.
template <typename Request>
const std::string& RootOf(const Request& request) {
  return request.root().empty() ? request.raw_root() : request.root();
}

// Returns InvalidArgument naming the first positional argument, if any.
absl::Status NoPositionalArguments(const ParsedArgs& args);

// Writes `text` to stdout.
void WriteOut(absl::string_view text);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_COMMAND_H_
