#include "client/cpp/sidecarctl_command.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cpp/current_directory.h"

namespace sidecard::ctl {
namespace {

void WriteErr(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

}  // namespace

int UsageError(absl::string_view message, absl::string_view command) {
  const std::string help =
      command.empty() ? "sidecarctl --help" : absl::StrCat("sidecarctl ", command, " --help");
  WriteErr(absl::StrCat("sidecarctl: ", message, "\nTry '", help, "'.\n"));
  return kExitUsage;
}

int CallFailed(Client& client, const grpc::Status& status) {
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  const bool unreachable =
      status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !client.Connected());
  if (unreachable) {
    WriteErr(absl::StrCat("sidecarctl: cannot reach the daemon at ", client.options().address, ": ",
                          code, ": ", status.error_message(), "\n"));
    return kExitUnreachable;
  }
  WriteErr(absl::StrCat("sidecarctl: ", code, ": ", status.error_message(), "\n"));
  return kExitFailed;
}

int MissingSummary() {
  WriteErr("sidecarctl: the daemon ended the stream without a summary\n");
  return kExitFailed;
}

absl::StatusOr<std::string> DirectoryArgument(const ParsedArgs& args, size_t skip) {
  const std::vector<std::string>& positional = args.positional();
  if (positional.size() <= skip) return absl::InvalidArgumentError("missing DIR argument");
  if (positional.size() > skip + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", positional[skip + 1], "'"));
  }
  const std::string& dir = positional[skip];
  if (dir.empty()) return absl::InvalidArgumentError("DIR must not be empty");
  std::string absolute = dir;
  if (dir[0] != '/') {
    absl::StatusOr<std::string> cwd = CurrentDirectory();
    if (!cwd.ok()) return cwd.status();
    absolute = absl::StrCat(*cwd, "/", dir);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(absolute, '/', absl::SkipEmpty());
  std::erase(parts, ".");
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

absl::Status NoPositionalArguments(const ParsedArgs& args) {
  if (args.positional().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected argument '", args.positional()[0], "'"));
}

void WriteOut(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace sidecard::ctl
