// `sidecarctl version`: the client's version and the daemon's, so a person
// can tell whether the two match (`--version` prints the client's alone and
// needs no daemon).
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cpp/sidecarctl_command.h"
#include "common/json_escape.h"

#ifndef SIDECARD_VERSION
#define SIDECARD_VERSION "unknown"
#endif

namespace sidecard::ctl {
namespace {

int Run(const Invocation& invocation) {
  if (absl::Status extra = NoPositionalArguments(invocation.args); !extra.ok()) {
    return UsageError(extra.message(), "version");
  }
  sidecar::v1::GetServerInfoResponse info;
  const grpc::Status status = invocation.client.GetServerInfo(&info);
  if (!invocation.json) {
    // The client's line even when the daemon cannot be reached.
    WriteOut("sidecarctl " SIDECARD_VERSION "\n");
    if (!status.ok()) return CallFailed(invocation.client, status);
    WriteOut(absl::StrCat("sidecard ", info.version(), "\n"));
    return kExitOk;
  }
  if (!status.ok()) return CallFailed(invocation.client, status);
  std::string json = "{\n  \"sidecarctl\": ";
  AppendJsonString(SIDECARD_VERSION, json);
  json += ",\n  \"sidecard\": ";
  AppendJsonString(info.version(), json);
  json += "\n}\n";
  WriteOut(json);
  return kExitOk;
}

}  // namespace

const Command kVersionCommand = {
    .name = "version",
    .summary = "print sidecarctl's version and the daemon's",
    .usage = "",
    .help = R"(Prints the version of sidecarctl and of the daemon it talks to (from
GetServerInfo), one per line: "sidecarctl 0.1.0", "sidecard 0.1.0". The
client's line comes first, even when the daemon cannot be reached (exit 3).
'sidecarctl --version' prints the client's version alone, without a call.

With --json: {"sidecarctl": "0.1.0", "sidecard": "0.1.0"}.
)",
    .flags = {},
    .run = Run,
};

}  // namespace sidecard::ctl
