#include "server/engine/ops/validate.h"

#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/ops/counting_key.h"
#include "server/engine/ops/directory_counting.h"
#include "server/engine/recovery/working_files.h"

namespace sidecard::engine {
namespace {

// The encoded reports (ValidateOptions::encode_report) of one directory's
// files. Files of one directory often have the same report but for their
// paths and size, so each distinct memo is kept once.
class RememberedReports {
 public:
  static constexpr uint32_t kNotReported = UINT32_MAX;

  // Adds the report of the next sidecar file (in the scan's order).
  void Add(std::string_view memo, int64_t size_bytes,
           absl::flat_hash_map<std::string_view, uint32_t>& seen) {
    auto [it, added] = seen.try_emplace(memo, static_cast<uint32_t>(ends_.size()));
    if (added) {
      memos_.append(memo);
      ends_.push_back(static_cast<uint32_t>(memos_.size()));
    }
    memo_of_.push_back(it->second);
    sizes_.push_back(size_bytes);
  }
  void AddNotReported() {
    memo_of_.push_back(kNotReported);
    sizes_.push_back(0);
  }

  bool reported(size_t index) const { return memo_of_[index] != kNotReported; }
  std::string_view memo(size_t index) const {
    const uint32_t k = memo_of_[index];
    const uint32_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(memos_).substr(begin, ends_[k] - begin);
  }
  int64_t size_bytes(size_t index) const { return sizes_[index]; }
  bool empty() const { return memo_of_.empty(); }

  size_t bytes() const {
    return memos_.capacity() + 4 * (ends_.capacity() + memo_of_.capacity()) + 8 * sizes_.capacity();
  }

 private:
  std::string memos_;              // the distinct memos, back to back
  std::vector<uint32_t> ends_;     // where each distinct memo ends in memos_
  std::vector<uint32_t> memo_of_;  // per sidecar file: its memo, or kNotReported
  std::vector<int64_t> sizes_;
};

// What Validate remembers of one unchanged directory.
struct ValidateTally : DirectoryTally {
  ValidateCounts counts;
  // Only for full reports with ValidateOptions::encode_report.
  RememberedReports reports;

  size_t bytes() const override {
    // Each map node: the node, its key's heap (names are short) and value.
    return sizeof(*this) + 80 * (counts.by_format.size() + counts.by_operation.size()) +
           reports.bytes();
  }
};

// Whether a sidecar-extension file is reported under `counting`.
bool Reported(const ValidateCounting& counting, const SidecarFile& file,
              const SidecarInspection& inspection) {
  return IsReportedSidecar(ClassifySidecar(file, inspection)) &&
         (counting.operation_filter.empty() ||
          inspection.facts.HasOperation(counting.operation_filter));
}

// Validate's counting function (directory_counting.h); with `memos` (the
// encoded reports on_files made), the tally also keeps the reports.
std::shared_ptr<const DirectoryTally> CountDirectory(const ValidateCounting& counting,
                                                     const DirectoryScan& scan,
                                                     Inspections inspections, Memos memos) {
  auto tally = std::make_shared<ValidateTally>();
  ValidateCounts& counts = tally->counts;
  // Files never sidecars by name: fixed by the listing, as the rest.
  counts.foreign_files = static_cast<int64_t>(scan.foreign_files.size());
  absl::flat_hash_map<std::string_view, uint32_t> seen_memos;
  for (size_t i = 0; i < inspections.size(); ++i) {
    const SidecarFile& file = scan.sidecars[i];
    const SidecarInspection& inspection = *inspections[i];
    const bool reported = Reported(counting, file, inspection);
    if (!memos.empty()) {
      if (reported) {
        tally->reports.Add(memos[i], inspection.stamp.size, seen_memos);
      } else {
        tally->reports.AddNotReported();
      }
    }
    if (!IsReportedSidecar(ClassifySidecar(file, inspection))) {
      ++counts.foreign_files;
    } else if (!reported) {
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

  // A full report needs every file: it skips no directory, and reuses what
  // a directory remembered only when that holds its encoded reports.
  const bool remember_reports = !options.summary_only && options.encode_report != nullptr;
  DirectoryCounting counting;
  counting.key = CountingKey(remember_reports ? "validate-reports" : "validate", options.counting);
  counting.use_remembered = options.summary_only || remember_reports;
  counting.pass_remembered_files = remember_reports;
  counting.count = [&options, remember_reports](const DirectoryScan& scan, Inspections inspections,
                                                Memos memos) {
    return CountDirectory(options.counting, scan, inspections, remember_reports ? memos : Memos{});
  };
  counting.add = [&summary](const DirectoryTally& tally) {
    summary.Add(static_cast<const ValidateTally&>(tally).counts);
  };
  counting.on_working_files = [&summary,
                               now = absl::Now()](const std::vector<WorkingFile>& working_files) {
    summary.working_files += static_cast<int64_t>(working_files.size());
    summary.stray_working_files += CountStrays(working_files, now);
  };
  std::vector<ValidatedFile> reported;
  if (!options.summary_only) {
    counting.on_files = [&](std::span<InspectedSidecar> batch) {
      reported.clear();
      for (InspectedSidecar& item : batch) {
        const SidecarFile& file = item.ref.file();
        const RememberedReports* remembered =
            item.answered_by == nullptr
                ? nullptr
                : &static_cast<const ValidateTally&>(*item.answered_by).reports;
        if (remembered != nullptr ? !remembered->reported(item.ref.index)
                                  : !Reported(options.counting, file, *item.inspection)) {
          continue;
        }
        const DirectoryScan& dir = *item.ref.directory;
        ValidatedFile validated;
        validated.path = dir.AbsolutePathOf(file.name);
        validated.inspection = item.inspection;
        if (file.image) validated.image_path = dir.AbsolutePathOf(dir.images[*file.image].name);
        if (remembered != nullptr) {
          validated.report_memo = remembered->memo(item.ref.index);
          validated.size_bytes = remembered->size_bytes(item.ref.index);
        } else if (remember_reports) {
          // Kept in the item until this batch is done, then by the tally.
          item.memo = options.encode_report(validated);
          validated.report_memo = item.memo;
          validated.size_bytes = item.inspection->stamp.size;
        }
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
