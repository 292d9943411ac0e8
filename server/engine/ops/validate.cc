#include "server/engine/ops/validate.h"

#include <unordered_map>

#include "absl/time/clock.h"

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

std::string TallyQuery(const ValidateOptions& options) {
  return "validate/" + options.operation_filter;
}

// Counts the reported files of the walk, per directory for the directories
// whose tally can be remembered, and answers unchanged directories from
// their remembered tallies when only the summary is wanted.
class ValidateCounter {
 public:
  ValidateCounter(const ValidateOptions& options, const EngineContext& context,
                  ValidateSummary& summary)
      : options_(options),
        context_(context),
        results_(context.inspector->results()),
        query_(TallyQuery(options)),
        summary_(summary) {}

  // For WalkOptions::on_directory: whether the directory's files are needed.
  bool OnDirectory(const DirectoryScan& scan) {
    summary_.foreign_files += static_cast<int64_t>(scan.foreign_files.size());
    // From the scan, which looked at them now: a stray's age is not a
    // directory change, so a remembered tally could not hold it.
    summary_.working_files += static_cast<int64_t>(scan.working_files.size());
    summary_.stray_working_files += CountStrays(scan.working_files, now_);
    if (results_ == nullptr || !DirectoryResults::Rememberable(scan) || scan.sidecars.empty()) {
      return true;
    }
    if (options_.summary_only) {
      if (auto tally = results_->Find(scan, query_)) {
        summary_.Add(static_cast<const ValidateTally&>(*tally).counts);
        return false;
      }
    }
    pending_[&scan].remaining = scan.sidecars.size();
    return true;
  }

  // Counts one inspected file; false when it is not a reported sidecar.
  bool OnInspected(const InspectedSidecar& item, bool orphan) {
    const auto it = pending_.find(item.ref.directory.get());
    Pending* pending = it != pending_.end() ? &it->second : nullptr;
    const bool reported = Count(item, orphan, summary_);
    if (pending != nullptr) {
      Count(item, orphan, pending->tally->counts);
      if (--pending->remaining == 0) {
        if (context_.inspector->ProvenAtScan(*item.ref.directory)) {
          results_->Store(*item.ref.directory, query_, std::move(pending->tally));
        }
        pending_.erase(it);
      }
    }
    return reported;
  }

 private:
  struct Pending {
    std::shared_ptr<ValidateTally> tally = std::make_shared<ValidateTally>();
    size_t remaining = 0;
  };

  // Counts one file into `counts`; false when it is not a reported sidecar.
  bool Count(const InspectedSidecar& item, bool orphan, ValidateCounts& counts) const {
    const SidecarInspection& inspection = *item.inspection;
    if (!IsReportedSidecar(ClassifySidecar(item.ref.file(), inspection))) {
      ++counts.foreign_files;
      return false;
    }
    if (!options_.operation_filter.empty() &&
        !inspection.facts.HasOperation(options_.operation_filter)) {
      ++counts.filtered_out;
      return false;
    }
    ++counts.total_files;
    ++(inspection.valid() ? counts.valid_files : counts.invalid_files);
    ++counts.by_format[std::string(FormatName(inspection.format))];
    for (const std::string& operation : inspection.facts.operations) {
      ++counts.by_operation[operation];
    }
    if (orphan) ++counts.orphans;
    return true;
  }

  const ValidateOptions& options_;
  const EngineContext& context_;
  DirectoryResults* const results_;
  const std::string query_;
  ValidateSummary& summary_;
  const absl::Time now_ = absl::Now();
  std::unordered_map<const DirectoryScan*, Pending> pending_;
};

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
  summary.filter_applied = options.operation_filter;
  ValidateCounter counter(options, context, summary);
  WalkOptions walk_options = CountingWalkOptionsFor(context, options.recursive);
  walk_options.on_directory = [&counter](const DirectoryScan& scan) {
    return counter.OnDirectory(scan);
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();

  std::vector<ValidatedFile> reported;
  const absl::Status status =
      InspectInOrder(**walk, context, cancellation, [&](std::span<InspectedSidecar> batch) {
        reported.clear();
        for (InspectedSidecar& item : batch) {
          const SidecarFile& file = item.ref.file();
          if (!counter.OnInspected(item, !file.image.has_value())) continue;
          if (options.summary_only) continue;
          const DirectoryScan& dir = *item.ref.directory;
          ValidatedFile validated{dir.AbsolutePathOf(file.name), std::nullopt,
                                  std::move(item.inspection)};
          if (file.image) validated.image_path = dir.AbsolutePathOf(dir.images[*file.image].name);
          reported.push_back(std::move(validated));
        }
        return reported.empty() || sink(reported);
      });
  if (!status.ok()) return status;
  summary.directory_errors = (*walk)->directory_errors();
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
