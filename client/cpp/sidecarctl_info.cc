// `sidecarctl info`: describes the running daemon.
#include <cmath>
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

// Calls and latency percentiles per method, as a table after a blank line.
std::string FormatMethods(const GetServerInfoResponse& info) {
  if (info.methods().empty()) return "";
  std::vector<std::vector<std::string>> rows;
  const auto millis = [](double ms) { return Duration(ms / 1000); };
  for (const sidecar::v1::MethodFigures& method : info.methods()) {
    rows.push_back({method.method(), Count(method.calls()), Count(method.failed_calls()),
                    millis(method.latency_p50_ms()), millis(method.latency_p90_ms()),
                    millis(method.latency_p99_ms()), millis(method.latency_max_ms())});
  }
  return "\n" + FormatTable({{"method"},
                             {"calls", Align::kRight},
                             {"failed", Align::kRight},
                             {"p50", Align::kRight},
                             {"p90", Align::kRight},
                             {"p99", Align::kRight},
                             {"max", Align::kRight}},
                            rows);
}

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
  lines.emplace_back("log level", info.log_level());
  lines.emplace_back("active calls", Count(info.active_calls()));
  lines.emplace_back("queued tasks", Count(info.queued_tasks()));
  lines.emplace_back("failed calls", Count(info.failed_calls()));
  const auto& cache = info.cache();
  if (!cache.enabled()) {
    lines.emplace_back("metadata cache", "off");
  } else {
    lines.emplace_back(
        "metadata cache",
        absl::StrCat(Count(cache.entries()), " files, ", Count(cache.directories()),
                     " directory listings, ", Bytes(static_cast<double>(cache.bytes())), " of ",
                     Bytes(static_cast<double>(cache.max_bytes()))));
    lines.emplace_back("", absl::StrCat(Count(cache.hits()), " hits, ", Count(cache.misses()),
                                        " misses, ", Count(cache.evictions()), " evictions"));
    lines.emplace_back("",
                       absl::StrCat(Count(cache.watches()), " directories watched, ",
                                    Count(cache.directory_tallies()), " directory results held, ",
                                    Count(cache.directory_tally_hits()), " answered by them"));
    // Where watching fell back to stamps: shown only when it did.
    if (cache.watch_overflows() + cache.watch_links_seen() + cache.watch_refusals() +
            cache.unwatchable_scans() >
        0) {
      lines.emplace_back(
          "",
          absl::StrCat("stamps instead of watches: ", Count(cache.watch_overflows()),
                       " event overflows, ", Count(cache.watch_links_seen()), " new hard links, ",
                       Count(cache.watch_refusals()), " watches refused (limit), ",
                       Count(cache.unwatchable_scans()), " scans on network or FUSE filesystems"));
    }
  }
  const auto& sweep = info.startup_sweep();
  if (!sweep.started()) {
    lines.emplace_back("start-up sweep", "not started");
  } else {
    lines.emplace_back(
        "start-up sweep",
        absl::StrCat(sweep.finished() ? "done" : "running",
                     sweep.dry_run() ? " (dry run, --read-only)" : "", ": ",
                     Count(sweep.working_files()), " working files in ", Count(sweep.directories()),
                     " directories, ", Count(sweep.strays()), " strays"));
    lines.emplace_back(
        "", absl::StrCat(Count(sweep.removed()), " removed, ", Count(sweep.restored()),
                         " restored, ", Count(sweep.kept_as_conflict()), " kept as conflict, ",
                         Count(sweep.failed()), " failed"));
  }
  if (info.methods().empty()) lines.emplace_back("calls by method", "(none yet)");
  return FormatKeyValues(lines) + FormatMethods(info);
}

// Rounds every floating-point field of `message` (and of the messages in it)
// to thousandths: uptime to the millisecond, latencies (in ms) to the
// microsecond. The figures are no more precise than that, and JSON should not
// print a histogram bound as 4.500000000000001.
void RoundFloats(google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  const auto round = [](double value) { return std::round(value * 1000) / 1000; };
  for (int i = 0; i < message.GetDescriptor()->field_count(); ++i) {
    const FieldDescriptor* field = message.GetDescriptor()->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection.FieldSize(message, field); ++j) {
          reflection.SetRepeatedDouble(&message, field, j,
                                       round(reflection.GetRepeatedDouble(message, field, j)));
        }
      } else {
        reflection.SetDouble(&message, field, round(reflection.GetDouble(message, field)));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection.FieldSize(message, field); ++j) {
          RoundFloats(*reflection.MutableRepeatedMessage(&message, field, j));
        }
      } else if (reflection.HasField(message, field)) {
        RoundFloats(*reflection.MutableMessage(&message, field));
      }
    }
  }
}

int Run(const Invocation& invocation) {
  if (absl::Status extra = NoPositionalArguments(invocation.args); !extra.ok()) {
    return UsageError(extra.message(), "info");
  }
  GetServerInfoResponse info;
  const grpc::Status status = invocation.client.GetServerInfo(&info);
  if (!status.ok()) return CallFailed(invocation.client, status);
  if (invocation.json) {
    RoundFloats(info);
    WriteOut(MessageToJson(info, JsonLayout::kIndented) + "\n");
  } else {
    WriteOut(FormatInfo(info));
  }
  return kExitOk;
}

}  // namespace

const Command kInfoCommand = {
    .name = "info",
    .summary = "describe the running daemon",
    .usage = "",
    .help = R"(Describes the running daemon: version, process id, uptime, worker threads,
allowed roots, log level, calls running now, tasks queued, failed calls, the
metadata cache, the start-up sweep of stray working files (.sidecard-tmp-*,
.sidecard-held-* left by a crash: found, removed, restored, kept as conflict),
and per method since it started: calls served, failed calls and latency
percentiles (p50, p90, p99, max).

With --json: the GetServerInfoResponse object, its figures rounded to
thousandths (uptime_seconds to the millisecond, latency_*_ms to the
microsecond).
)",
    .flags = {},
    .run = Run,
};

}  // namespace sidecard::ctl
