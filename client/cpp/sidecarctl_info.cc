// `sidecarctl info`: describes the running daemon.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_table.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::GetServerInfoResponse;

std::string FormatInfo(const GetServerInfoResponse& info) {
  std::vector<std::pair<std::string, std::string>> lines = {
      {"version", info.version()},
      {"pid", absl::StrCat(info.pid())},
      {"uptime", Duration(info.uptime_seconds())},
      {"workers", Count(info.workers())},
  };
  if (info.allowed_roots().empty()) lines.emplace_back("allowed roots", "(none)");
  for (int i = 0; i < info.allowed_roots_size(); ++i) {
    lines.emplace_back(i == 0 ? "allowed roots" : "", info.allowed_roots(i));
  }
  lines.emplace_back("active calls", Count(info.active_calls()));
  lines.emplace_back("queued tasks", Count(info.queued_tasks()));
  lines.emplace_back("failed calls", Count(info.failed_calls()));
  const std::map<std::string, int64_t> calls(info.calls_by_method().begin(),
                                             info.calls_by_method().end());
  lines.emplace_back("calls by method", calls.empty() ? "(none yet)" : "");
  for (const auto& [method, count] : calls) lines.emplace_back("  " + method, Count(count));
  return FormatKeyValues(lines);
}

int Run(const Invocation& invocation) {
  if (absl::Status extra = NoPositionalArguments(invocation.args); !extra.ok()) {
    return UsageError(extra.message(), "info");
  }
  GetServerInfoResponse info;
  const grpc::Status status = invocation.client.GetServerInfo(&info);
  if (!status.ok()) return CallFailed(invocation.client, status);
  WriteOut(invocation.json ? MessageToJson(info, JsonLayout::kIndented) + "\n" : FormatInfo(info));
  return kExitOk;
}

}  // namespace

const Command kInfoCommand = {
    .name = "info",
    .summary = "describe the running daemon",
    .usage = "",
    .help = R"(Describes the running daemon: version, process id, uptime, worker threads,
allowed roots, calls running now, tasks queued, failed calls and calls served
per method since it started.

With --json: the GetServerInfoResponse object.
)",
    .flags = {},
    .run = Run,
};

}  // namespace sidecard::ctl
