// `sidecarctl stats DIR`: counts images, sidecars, operations and detections.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_table.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::StatsRequest;
using sidecar::v1::StatsResponse;

constexpr FlagSpec kFlags[] = {{"operation", true}, {"non-recursive"}};

std::string FormatFigures(const StatsResponse& stats) {
  std::vector<std::pair<std::string, std::string>> lines = {
      {"directory", stats.directory()},
      {"images", Count(stats.total_images())},
      {"  symlinks", Count(stats.symlink_count())},
      {"  broken symlinks", Count(stats.broken_symlinks())},
  };
  if (stats.symlinks_outside_roots() > 0) {
    lines.emplace_back("  outside the roots", Count(stats.symlinks_outside_roots()));
  }
  lines.emplace_back("  without sidecar", Count(stats.images_without_sidecars()));
  lines.emplace_back("coverage", Percent(stats.coverage_percentage()));
  lines.emplace_back("sidecars", absl::StrCat(Count(stats.total_sidecars()), " (in ",
                                              Count(stats.total_sidecar_files()), " files)"));
  lines.emplace_back("  invalid files", Count(stats.invalid_sidecars()));
  lines.emplace_back("  orphaned", Count(stats.orphaned_sidecars()));
  lines.emplace_back("foreign files", Count(stats.foreign_files()));
  lines.emplace_back("working files", absl::StrCat(Count(stats.working_files()), " (",
                                                   Count(stats.stray_working_files()), " strays)"));
  lines.emplace_back("faces found", Count(stats.faces_found()));
  lines.emplace_back("objects found", Count(stats.objects_found()));
  if (!stats.filter_applied().empty()) lines.emplace_back("filter", stats.filter_applied());
  if (stats.unreadable_directories() > 0) {
    lines.emplace_back("unreadable dirs", Count(stats.unreadable_directories()));
  }
  if (stats.directory_symlinks_skipped() > 0) {
    lines.emplace_back("dir symlinks skipped", Count(stats.directory_symlinks_skipped()));
  }
  lines.emplace_back("time", Duration(stats.duration_seconds()));
  return FormatKeyValues(lines);
}

std::string FormatFormats(const StatsResponse& stats) {
  const std::map<std::string, int64_t> formats(stats.files_by_format().begin(),
                                               stats.files_by_format().end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [format, files] : formats) rows.push_back({format, Count(files)});
  return FormatTable({{"FORMAT"}, {"FILES", Align::kRight}}, rows);
}

// One row per operation named in any of the per-operation maps.
std::string FormatOperations(const StatsResponse& stats) {
  std::set<std::string> names;
  for (const auto& entry : stats.operation_counts()) names.insert(entry.first);
  for (const auto& entry : stats.avg_processing_times()) names.insert(entry.first);
  for (const auto& entry : stats.success_rate_percentages()) names.insert(entry.first);
  for (const auto& entry : stats.avg_data_sizes()) names.insert(entry.first);
  auto cell = [](const auto& map, const std::string& name, auto format) -> std::string {
    const auto it = map.find(name);
    return it == map.end() ? "-" : format(it->second);
  };
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : names) {
    rows.push_back({name, cell(stats.operation_counts(), name, Count),
                    cell(stats.success_rate_percentages(), name, Percent),
                    cell(stats.avg_processing_times(), name, Duration),
                    cell(stats.avg_data_sizes(), name, Bytes)});
  }
  return FormatTable({{"OPERATION"},
                      {"SIDECARS", Align::kRight},
                      {"SUCCESS", Align::kRight},
                      {"AVG TIME", Align::kRight},
                      {"AVG SIZE", Align::kRight}},
                     rows);
}

// Most frequent class first.
std::string FormatObjectClasses(const StatsResponse& stats) {
  std::vector<std::pair<std::string, int64_t>> classes(stats.object_classes().begin(),
                                                       stats.object_classes().end());
  std::sort(classes.begin(), classes.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, count] : classes) rows.push_back({name, Count(count)});
  return FormatTable({{"OBJECT CLASS"}, {"OBJECTS", Align::kRight}}, rows);
}

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  absl::StatusOr<StatsRequest> request = TreeRequest<StatsRequest>(args);
  if (!request.ok()) return UsageError(request.status().message(), "stats");
  request->set_operation_filter(args.Value("operation").value_or(""));

  StatsResponse stats;
  const grpc::Status status = invocation.client.Stats(*request, &stats);
  if (!status.ok()) return CallFailed(invocation.client, status);

  if (invocation.json) {
    WriteOut(MessageToJson(stats, JsonLayout::kIndented) + "\n");
    return kExitOk;
  }
  std::string text = FormatFigures(stats);
  if (!stats.files_by_format().empty()) absl::StrAppend(&text, "\n", FormatFormats(stats));
  if (!stats.operation_counts().empty()) absl::StrAppend(&text, "\n", FormatOperations(stats));
  if (!stats.object_classes().empty()) absl::StrAppend(&text, "\n", FormatObjectClasses(stats));
  WriteOut(text);
  return kExitOk;
}

}  // namespace

const Command kStatsCommand = {
    .name = "stats",
    .summary = "count images, sidecars, operations and detections under DIR",
    .usage = "DIR [--operation OP] [--non-recursive]",
    .help = R"(Counts the images and sidecars under DIR: coverage (images with a readable
sidecar), sidecars per format, invalid and orphaned sidecars, and per operation
the sidecars holding it, the share of successful payloads, the mean processing
time and the mean sidecar size; then faces and objects found, by class.

Flags:
  --operation OP    count only sidecars that contain operation OP
  --non-recursive   only the files directly inside DIR

With --json: the StatsResponse object; its first keys are those of the old
image-sidecar-rust `stats` output.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
