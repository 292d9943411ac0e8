#include "server/engine/validate.h"

#include "absl/time/clock.h"

namespace sidecard::engine {
namespace {

// Foreign files found by name in each directory the walk enters.
WalkOptions MakeWalkOptions(const ValidateOptions& options, const EngineContext& context,
                            int64_t& foreign_by_name) {
  WalkOptions walk = WalkOptionsFor(context, options.recursive);
  walk.scan.listings = context.inspector->listings();
  walk.scan.watcher = context.inspector->watcher();
  walk.on_directory = [&foreign_by_name](const DirectoryScan& scan) {
    foreign_by_name += static_cast<int64_t>(scan.foreign_files.size());
  };
  return walk;
}

void Count(const ValidatedFile& file, ValidateSummary& summary) {
  const SidecarInspection& inspection = *file.inspection;
  ++summary.total_files;
  ++(inspection.valid() ? summary.valid_files : summary.invalid_files);
  ++summary.by_format[std::string(FormatName(inspection.format))];
  for (const std::string& operation : inspection.facts.operations) {
    ++summary.by_operation[operation];
  }
  if (file.orphan()) ++summary.orphans;
}

}  // namespace

std::vector<std::string> ValidatedFile::warnings() const {
  std::vector<std::string> all = inspection->decode_warnings;
  all.insert(all.end(), inspection->facts.warnings.begin(), inspection->facts.warnings.end());
  if (inspection->valid() && inspection->facts.operations.empty()) {
    all.push_back("no operation results in this sidecar");
  }
  return all;
}

absl::StatusOr<ValidateSummary> ValidateTree(
    const std::string& root, const ValidateOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const ValidatedFile>)>& sink) {
  const absl::Time start = absl::Now();
  ValidateSummary summary;
  summary.root = root;
  summary.filter_applied = options.operation_filter;
  int64_t foreign_by_name = 0;
  auto walk = TreeWalk::Open(*context.allowed_roots, root,
                             MakeWalkOptions(options, context, foreign_by_name));
  if (!walk.ok()) return walk.status();

  std::vector<ValidatedFile> reported;
  const absl::Status status =
      InspectInOrder(**walk, context, cancellation, [&](std::span<InspectedSidecar> batch) {
        reported.clear();
        for (InspectedSidecar& item : batch) {
          const SidecarFile& file = item.ref.file();
          const SidecarRole role = ClassifySidecar(file, *item.inspection);
          if (!IsReportedSidecar(role)) {
            ++summary.foreign_files;
            continue;
          }
          if (!options.operation_filter.empty() &&
              !item.inspection->facts.HasOperation(options.operation_filter)) {
            ++summary.filtered_out;
            continue;
          }
          const DirectoryScan& dir = *item.ref.directory;
          ValidatedFile validated{dir.AbsolutePathOf(file.name), std::nullopt,
                                  std::move(item.inspection)};
          if (file.image) validated.image_path = dir.AbsolutePathOf(dir.images[*file.image].name);
          Count(validated, summary);
          reported.push_back(std::move(validated));
        }
        return reported.empty() || sink(reported);
      });
  if (!status.ok()) return status;
  summary.foreign_files += foreign_by_name;
  summary.directory_errors = (*walk)->directory_errors();
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
