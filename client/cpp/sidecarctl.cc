// sidecarctl: the command-line tool for people and scripts that talk to the
// sidecard daemon. This file reads the global flags, picks the command and
// prints help; each command lives in its own sidecarctl_<command>.cc.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cpp/client.h"
#include "client/cpp/sidecarctl_args.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_exit.h"
#include "client/cpp/sidecarctl_output_pipe.h"
#include "client/cpp/sidecarctl_security.h"

#ifndef SIDECARD_VERSION
#define SIDECARD_VERSION "unknown"
#endif

namespace sidecard::ctl {

namespace {

// Accepted before the command and after it.
constexpr FlagSpec kGlobalFlags[] = {{"address", true}, {"timeout", true}, {"json"},
                                     {"help"},          {"version"},       {"token-file", true},
                                     {"tls"},           {"tls-ca", true},  {"tls-cert", true},
                                     {"tls-key", true}};

constexpr const Command* kCommands[] = {
    &kValidateCommand, &kStatsCommand, &kFindCommand,   &kCleanupCommand, &kQuarantineCommand,
    &kReadCommand,     &kSaveCommand,  &kExportCommand, &kConvertCommand, &kPruneCommand,
    &kWatchCommand,    &kInfoCommand,  &kHealthCommand, &kVersionCommand};

constexpr char kExitCodes[] = R"(Exit status:
  0  success
  1  a finding: invalid sidecars (validate), failed removals (cleanup),
     no sidecar (read), failed conversions (convert), failed rewrites
     (prune), not serving (health)
  2  usage error: bad flags or arguments
  3  cannot reach the daemon
  4  the daemon refused or failed the request
     (stderr says why, e.g. "sidecarctl: NOT_FOUND: root /x does not exist"),
     including a save over a corrupt sidecar without --overwrite-corrupt
)";

struct GlobalOptions {
  std::string address;  // empty: DefaultAddress(), looked up only then
  std::chrono::milliseconds timeout{0};
  bool json = false;
  SecurityFlags security;
};

const Command* FindCommand(absl::string_view name) {
  const auto it = std::find_if(std::begin(kCommands), std::end(kCommands),
                               [&](const Command* command) { return command->name == name; });
  return it == std::end(kCommands) ? nullptr : *it;
}

std::string MainHelp() {
  std::string text =
      R"(sidecarctl: ask the sidecard daemon about the sidecar files of a photo library.

Usage: sidecarctl [--address ADDR] [--timeout SECONDS] [--json] [SECURITY] COMMAND [ARGS]

Commands:
)";
  for (const Command* command : kCommands) {
    absl::StrAppend(&text, "  ", absl::StrFormat("%-12s", command->name), command->summary, "\n");
  }
  absl::StrAppend(&text, R"(  help        show this help, or a command's: sidecarctl help COMMAND

Global flags (before or after the command):
  --address ADDR      the daemon: unix:/path/to.sock or host:port; default:
                      $SIDECARD_ADDRESS if set and not empty, else
                      )",
                  kSystemSocketAddress, R"( if a daemon listens there,
                      else the private daemon the Python client autostarts
                      ()",
                  PrivateDaemonDirectory(), R"(/sidecard.sock) if one
                      listens there (now: )",
                  DefaultAddress(), R"()
  --timeout SECONDS   give up on a call after SECONDS (default 0: no limit)
  --json              print JSON for scripts instead of text for people
  --token-file FILE   send the bearer token in FILE (its first line) with
                      every call; default: $SIDECARD_TOKEN, else the file
                      $SIDECARD_TOKEN_FILE. A daemon's TCP listener needs one
  --tls               connect to a TCP address with TLS (system root CAs)
  --tls-ca FILE       ... verifying the daemon against the PEM CA in FILE
                      (default $SIDECARD_TLS_CA; implies --tls)
  --tls-cert FILE     client certificate and key (PEM) for mutual TLS
  --tls-key FILE      (default $SIDECARD_TLS_CERT, $SIDECARD_TLS_KEY)
  -h, --help          show help
  --version           print sidecarctl's version ('sidecarctl version' adds
                      the daemon's)

DIR and IMAGE arguments may be relative; they are made absolute before they are
sent. Streaming commands (validate, cleanup, export, convert, prune) show a live
counter on stderr when it is a terminal.

)",
                  kExitCodes, "\nRun 'sidecarctl COMMAND --help' for a command's flags.\n");
  return text;
}

std::string CommandHelp(const Command& command) {
  return absl::StrCat(
      "Usage: sidecarctl [GLOBAL FLAGS] ", command.name, command.usage.empty() ? "" : " ",
      command.usage, "\n\n", command.help,
      "\nGlobal flags: --address ADDR, --timeout SECONDS, --json, --token-file FILE, "
      "--tls, --tls-ca FILE, --tls-cert FILE, --tls-key FILE (see "
      "'sidecarctl --help').\nExit status 2: usage error, 3: cannot reach the "
      "daemon, 4: the daemon refused or failed the request.\n");
}

int PrintVersion() {
  WriteOut("sidecarctl " SIDECARD_VERSION "\n");
  return kExitOk;
}

// Applies the global flags found in `args` to `options`.
absl::Status ApplyGlobalFlags(const ParsedArgs& args, GlobalOptions& options) {
  if (std::optional<std::string> address = args.Value("address")) options.address = *address;
  if (std::optional<std::string> text = args.Value("timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(*text, &seconds) || !std::isfinite(seconds) || seconds < 0 ||
        seconds > 1e9) {
      return absl::InvalidArgumentError(
          absl::StrCat("--timeout needs a number of seconds, not '", *text, "'"));
    }
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  }
  options.json = options.json || args.Has("json");
  const std::pair<const char*, std::string*> files[] = {
      {"token-file", &options.security.token_file},
      {"tls-ca", &options.security.tls_ca},
      {"tls-cert", &options.security.tls_cert},
      {"tls-key", &options.security.tls_key}};
  for (const auto& [flag, out] : files) {
    if (std::optional<std::string> value = args.Value(flag)) *out = *value;
  }
  options.security.tls = options.security.tls || args.Has("tls");
  return absl::OkStatus();
}

int Main(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> global = ParseArgs(argv, kGlobalFlags, /*stop_at_positional=*/true);
  if (!global.ok()) return UsageError(global.status().message());
  const std::vector<std::string>& rest = global->positional();
  if (global->Has("version")) return PrintVersion();
  if (global->Has("help") || (rest.size() == 1 && rest[0] == "help")) {
    WriteOut(MainHelp());
    return kExitOk;
  }
  if (rest.empty()) {
    return UsageError(
        "missing COMMAND (validate, stats, cleanup, read, save, export, convert, prune, info, "
        "health, version)");
  }
  if (rest[0] == "help") {
    const Command* command = FindCommand(rest[1]);
    if (command == nullptr) return UsageError(absl::StrCat("unknown command '", rest[1], "'"));
    if (rest.size() > 2) return UsageError(absl::StrCat("unexpected argument '", rest[2], "'"));
    WriteOut(CommandHelp(*command));
    return kExitOk;
  }

  const Command* command = FindCommand(rest[0]);
  if (command == nullptr) return UsageError(absl::StrCat("unknown command '", rest[0], "'"));
  std::vector<FlagSpec> accepted(command->flags.begin(), command->flags.end());
  accepted.insert(accepted.end(), std::begin(kGlobalFlags), std::end(kGlobalFlags));
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(std::span<const std::string>(rest).subspan(1), accepted);
  if (!args.ok()) return UsageError(args.status().message(), command->name);
  if (args->Has("help")) {
    WriteOut(CommandHelp(*command));
    return kExitOk;
  }
  if (args->Has("version")) return PrintVersion();
  GlobalOptions options;
  for (const ParsedArgs* flags : {&*global, &*args}) {
    if (absl::Status status = ApplyGlobalFlags(*flags, options); !status.ok()) {
      return UsageError(status.message(), command->name);
    }
  }
  if (options.address.empty()) options.address = DefaultAddress();
  ClientOptions client_options{.address = options.address, .timeout = options.timeout};
  if (absl::Status status = ApplySecurity(options.security, client_options); !status.ok()) {
    return UsageError(status.message(), command->name);
  }
  WidenStdoutPipe();
  Client client(std::move(client_options));
  // Ends here, with the client still open: its teardown is time the
  // caller would wait for nothing (sidecarctl_exit.h).
  ExitAfterOutput(command->run({.client = client, .args = *args, .json = options.json}));
}

}  // namespace
}  // namespace sidecard::ctl

int main(int argc, char** argv) {
  sidecard::ctl::ExitAfterOutput(
      sidecard::ctl::Main(std::vector<std::string>(argv + 1, argv + argc)));
}
