// `sidecarctl health`: asks the standard gRPC health service whether the
// daemon (or one of its services) is serving.
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cpp/sidecarctl_command.h"

namespace sidecard::ctl {
namespace {

using grpc::health::v1::HealthCheckResponse;

constexpr FlagSpec kFlags[] = {{"service", true}};

int Run(const Invocation& invocation) {
  if (absl::Status extra = NoPositionalArguments(invocation.args); !extra.ok()) {
    return UsageError(extra.message(), "health");
  }
  HealthCheckResponse::ServingStatus serving = HealthCheckResponse::UNKNOWN;
  const grpc::Status status =
      invocation.client.CheckHealth(invocation.args.Value("service").value_or(""), &serving);
  if (!status.ok()) return CallFailed(invocation.client, status);
  // The same word in both outputs, the one probes and people know: SERVING.
  const std::string name = HealthCheckResponse::ServingStatus_Name(serving);
  WriteOut(invocation.json ? absl::StrCat("{\n  \"status\": \"", name, "\"\n}\n") : name + "\n");
  return serving == HealthCheckResponse::SERVING ? kExitOk : kExitFinding;
}

}  // namespace

const Command kHealthCommand = {
    .name = "health",
    .summary = "ask whether the daemon is serving",
    .usage = "[--service NAME]",
    .help = R"(Asks the daemon's standard gRPC health service (grpc.health.v1.Health) and
prints SERVING, NOT_SERVING or SERVICE_UNKNOWN.

Flags:
  --service NAME    the service to ask about, e.g. sidecar.v1.SidecarService
                    (default: the daemon as a whole)

With --json: {"status": "SERVING"}, spelled as without it (NOT_SERVING,
SERVICE_UNKNOWN, UNKNOWN).

Exit status: 0 when SERVING; 1 when the daemon answers but is not serving
(NOT_SERVING while it drains, SERVICE_UNKNOWN); 3 when it cannot be reached
(down, or no longer accepting connections). Probes treat any non-zero status
as "send no work here".
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
