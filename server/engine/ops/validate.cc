#include "server/engine/ops/validate.h"

#include "absl/time/clock.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/ops/counting_key.h"
#include "server/engine/ops/directory_counting.h"
#include "server/engine/recovery/working_files.h"

namespace sidecard::engine {
namespace {

// What Validate remembers of one unchanged directory.
struct ValidateTally : DirectoryTally {
  ValidateCounts counts;

  size_t bytes() const override {
    // Each map node: the node, its key's heap (names are short) and value.
    return sizeof(*this) + 80 * (counts.by_format.size() + counts.by_operation.size());
  }
};

// Whether a sidecar-extension file is reported under `counting`.
bool Reported(const ValidateCounting& counting, const SidecarFile& file,
              const SidecarInspection& inspection) {
  return IsReportedSidecar(ClassifySidecar(file, inspection)) &&
         (counting.operation_filter.empty() ||
          inspection.facts.HasOperation(counting.operation_filter));
}

// Validate's counting function (directory_counting.h).
std::shared_ptr<const DirectoryTally> CountDirectory(const ValidateCounting& counting,
                                                     const DirectoryScan& scan,
                                                     Inspections inspections) {
  auto tally = std::make_shared<ValidateTally>();
  ValidateCounts& counts = tally->counts;
  for (size_t i = 0; i < inspections.size(); ++i) {
    const SidecarFile& file = scan.sidecars[i];
    const SidecarInspection& inspection = *inspections[i];
    if (!IsReportedSidecar(ClassifySidecar(file, inspection))) {
      ++counts.foreign_files;
    } else if (!Reported(counting, file, inspection)) {
      ++counts.filtered_out;
    } else {
      ++counts.total_files;
      ++(inspection.valid() ? counts.valid_files : counts.invalid_files);
      ++counts.by_format[std::string(FormatName(inspection.format))];
      for (const std::string& operation : inspection.facts.operations) {
        ++counts.by_operation[operation];
      }
      if (!file.image) ++counts.orphans;
    }
  }
  return tally;
}

}  // namespace

void ValidateCounts::Add(const ValidateCounts& other) {
  total_files += other.total_files;
  valid_files += other.valid_files;
  invalid_files += other.invalid_files;
  for (const auto& [format, count] : other.by_format) by_format[format] += count;
  for (const auto& [operation, count] : other.by_operation) by_operation[operation] += count;
  foreign_files += other.foreign_files;
  filtered_out += other.filtered_out;
  orphans += other.orphans;
}

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
  summary.filter_applied = options.counting.operation_filter;

  DirectoryCounting counting;
  counting.key = CountingKey("validate", options.counting);
  // A full report needs every file, so only a summary skips directories.
  counting.use_remembered = options.summary_only;
  counting.count = [&options](const DirectoryScan& scan, Inspections inspections) {
    return CountDirectory(options.counting, scan, inspections);
  };
  counting.add = [&summary](const DirectoryTally& tally) {
    summary.Add(static_cast<const ValidateTally&>(tally).counts);
  };
  counting.on_scan = [&summary, now = absl::Now()](const DirectoryScan& scan) {
    // From the scan, which looked at them now: neither is a directory
    // change (a stray's age grows by itself), so no tally could hold them.
    summary.foreign_files += static_cast<int64_t>(scan.foreign_files.size());
    summary.working_files += static_cast<int64_t>(scan.working_files.size());
    summary.stray_working_files += CountStrays(scan.working_files, now);
  };
  std::vector<ValidatedFile> reported;
  if (!options.summary_only) {
    counting.on_files = [&](std::span<InspectedSidecar> batch) {
      reported.clear();
      for (InspectedSidecar& item : batch) {
        const SidecarFile& file = item.ref.file();
        if (!Reported(options.counting, file, *item.inspection)) continue;
        const DirectoryScan& dir = *item.ref.directory;
        ValidatedFile validated{dir.AbsolutePathOf(file.name), std::nullopt,
                                std::move(item.inspection)};
        if (file.image) validated.image_path = dir.AbsolutePathOf(dir.images[*file.image].name);
        reported.push_back(std::move(validated));
      }
      return reported.empty() || sink(reported);
    };
  }
  auto directory_errors =
      CountByDirectory(root, options.recursive, context, cancellation, counting);
  if (!directory_errors.ok()) return directory_errors.status();
  summary.directory_errors = *std::move(directory_errors);
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
