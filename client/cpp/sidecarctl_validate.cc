// `sidecarctl validate DIR`: checks every sidecar file under DIR.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_result_stream.h"
#include "client/cpp/sidecarctl_table.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::FileReport;
using sidecar::v1::ValidateRequest;
using sidecar::v1::ValidateResponse;
using sidecar::v1::ValidateSummary;

constexpr FlagSpec kFlags[] = {
    {"operation", true}, {"non-recursive"}, {"summary-only"}, {"invalid-only"}, {"jsonl"}};

StreamingTable ReportTable() {
  return StreamingTable({{"STATUS", Align::kLeft, 7},
                         {"FORMAT"},
                         {"DETECTIONS", Align::kRight},
                         {"ORPHAN"},
                         {"OPERATIONS", Align::kLeft, 24},
                         {"FILE"}});
}

// One table row, then a line for each error, problem and warning.
std::string FormatReport(StreamingTable& table, const FileReport& report) {
  const auto* format = sidecar::v1::SidecarFormat_descriptor()->FindValueByNumber(report.format());
  std::string out = table.Row({
      report.valid() ? "valid" : "INVALID",
      format != nullptr ? EnumValueJsonName(*format) : "?",
      Count(report.detection_count()),
      report.orphan() ? "orphan" : "",
      report.operations().empty() ? "-" : absl::StrJoin(report.operations(), ","),
      report.file().path(),
  });
  if (!report.error().empty()) absl::StrAppend(&out, "    error: ", report.error(), "\n");
  for (const std::string& problem : report.problems()) {
    if (problem == report.error()) continue;  // The error often is the first problem.
    absl::StrAppend(&out, "    problem: ", problem, "\n");
  }
  for (const std::string& warning : report.warnings()) {
    absl::StrAppend(&out, "    warning: ", warning, "\n");
  }
  return out;
}

// Appends one indented line per map entry, sorted by key.
template <typename Map>
void AppendCounts(const Map& counts, std::vector<std::pair<std::string, std::string>>& lines) {
  const std::map<std::string, int64_t> sorted(counts.begin(), counts.end());
  for (const auto& [name, count] : sorted) lines.emplace_back("  " + name, Count(count));
}

std::string FormatSummary(const ValidateSummary& summary) {
  std::vector<std::pair<std::string, std::string>> lines = {
      {"root", summary.root()},
      {"files", absl::StrCat(Count(summary.total_files()), " (", Count(summary.valid_files()),
                             " valid, ", Count(summary.invalid_files()), " invalid)")},
  };
  if (!summary.by_format().empty()) lines.emplace_back("by format", "");
  AppendCounts(summary.by_format(), lines);
  if (!summary.by_operation().empty()) lines.emplace_back("by operation", "");
  AppendCounts(summary.by_operation(), lines);
  lines.emplace_back("orphans", Count(summary.orphans()));
  lines.emplace_back("foreign files", Count(summary.foreign_files()));
  lines.emplace_back("working files",
                     absl::StrCat(Count(summary.working_files()), " (",
                                  Count(summary.stray_working_files()), " strays)"));
  if (!summary.filter_applied().empty()) {
    lines.emplace_back("filter", absl::StrCat(summary.filter_applied(), " (",
                                              Count(summary.filtered_out()), " left out)"));
  }
  if (summary.unreadable_directories() > 0) {
    lines.emplace_back("unreadable dirs", Count(summary.unreadable_directories()));
    for (const std::string& error : summary.directory_errors())
      lines.emplace_back("  " + error, "");
  }
  lines.emplace_back("time", Duration(summary.duration_seconds()));
  return FormatKeyValues(lines);
}

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  absl::StatusOr<ValidateRequest> request = TreeRequest<ValidateRequest>(args);
  if (!request.ok()) return UsageError(request.status().message(), "validate");
  request->set_operation_filter(args.Value("operation").value_or(""));
  request->set_summary_only(args.Has("summary-only"));
  const bool invalid_only = args.Has("invalid-only");

  StreamingTable table = ReportTable();
  bool header_written = false;
  return RunResultStream(
      invocation, &Client::Validate, *request,
      ResultStream<ValidateResponse>{
          .starting = absl::StrCat("validating ", RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("validated ", Count(n), " files…"); },
          .shown = [&](const FileReport& report) { return !invalid_only || !report.valid(); },
          .format =
              [&](const FileReport& report) {
                std::string text = header_written ? "" : table.Header();
                header_written = true;
                return text + FormatReport(table, report);
              },
          .format_summary = [](const ValidateSummary& summary,
                               int64_t /*counted*/) { return FormatSummary(summary); },
          .exit_status = [](const ValidateSummary& summary) -> int {
            return summary.invalid_files() > 0 ? kExitFinding : kExitOk;
          },
      });
}

}  // namespace

const Command kValidateCommand = {
    .name = "validate",
    .summary = "check every sidecar file under DIR",
    .usage = "DIR [--operation OP] [--non-recursive] [--summary-only] [--invalid-only] [--jsonl]",
    .help = R"(Checks every sidecar file (.bin, .rkyv, .json) under DIR: does it decode, is
its structure right, which operations and detections it holds, does its image
exist. Prints a table of the files, then a summary.

Flags:
  --operation OP    only sidecars that contain operation OP (e.g. face_detection)
  --non-recursive   only the files directly inside DIR
  --summary-only    print only the summary
  --invalid-only    list only the invalid files (the summary still counts all)
  --jsonl           print JSON Lines (see below)

With --json: one object {"results":[FileReport...],"summary":ValidateSummary},
one result per line, written as the results arrive.
With --jsonl: JSON Lines, one FileReport per line as the results arrive,
then the summary as the last line: {"summary":ValidateSummary}.

Exit status: 0 when every sidecar is valid, 1 when some are invalid.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
