#include "server/service/bulk_mapping.h"

#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

absl::StatusOr<engine::ExportFormat> FromProto(v1::ExportFormat format) {
  switch (format) {
    case v1::EXPORT_FORMAT_UNSPECIFIED:
    case v1::EXPORT_FORMAT_JSON:
      return engine::ExportFormat::kJson;
    case v1::EXPORT_FORMAT_JSONL:
      return engine::ExportFormat::kJsonLines;
    case v1::EXPORT_FORMAT_CSV:
      return engine::ExportFormat::kCsv;
    default:
      return absl::InvalidArgumentError("format: unknown value");
  }
}

absl::StatusOr<engine::ExportContent> FromProto(v1::ExportContent content,
                                                engine::ExportFormat format) {
  switch (content) {
    case v1::EXPORT_CONTENT_UNSPECIFIED:
      return format == engine::ExportFormat::kCsv ? engine::ExportContent::kTable
                                                  : engine::ExportContent::kDocuments;
    case v1::EXPORT_CONTENT_DOCUMENTS:
      if (format == engine::ExportFormat::kCsv) {
        return absl::InvalidArgumentError(
            "content: DOCUMENTS cannot be written as CSV (use TABLE, or format JSON or JSONL)");
      }
      return engine::ExportContent::kDocuments;
    case v1::EXPORT_CONTENT_TABLE:
      return engine::ExportContent::kTable;
    default:
      return absl::InvalidArgumentError("content: unknown value");
  }
}

absl::StatusOr<engine::SidecarFormat> TargetFromProto(v1::SidecarFormat format) {
  if (format == v1::SIDECAR_FORMAT_UNSPECIFIED) {
    return absl::InvalidArgumentError("target_format: required (BIN, RKYV or JSON)");
  }
  auto target = service::FromProto(format);
  if (!target) return absl::InvalidArgumentError("target_format: unknown value");
  return *target;
}

v1::ConvertAction ToProto(engine::ConvertAction action) {
  switch (action) {
    case engine::ConvertAction::kWouldConvert:
      return v1::CONVERT_ACTION_WOULD_CONVERT;
    case engine::ConvertAction::kConverted:
      return v1::CONVERT_ACTION_CONVERTED;
    case engine::ConvertAction::kAlreadyTarget:
      return v1::CONVERT_ACTION_ALREADY_TARGET;
    case engine::ConvertAction::kSkippedUnreadable:
      return v1::CONVERT_ACTION_SKIPPED_UNREADABLE;
    case engine::ConvertAction::kSkippedTargetNewer:
      return v1::CONVERT_ACTION_SKIPPED_TARGET_NEWER;
    case engine::ConvertAction::kSkippedConflict:
      return v1::CONVERT_ACTION_SKIPPED_CONFLICT;
    case engine::ConvertAction::kFailed:
      return v1::CONVERT_ACTION_FAILED;
  }
  return v1::CONVERT_ACTION_UNSPECIFIED;
}

v1::PruneAction ToProto(engine::PruneAction action) {
  switch (action) {
    case engine::PruneAction::kWouldPrune:
      return v1::PRUNE_ACTION_WOULD_PRUNE;
    case engine::PruneAction::kPruned:
      return v1::PRUNE_ACTION_PRUNED;
    case engine::PruneAction::kSkippedUnreadable:
      return v1::PRUNE_ACTION_SKIPPED_UNREADABLE;
    case engine::PruneAction::kSkippedLayout:
      return v1::PRUNE_ACTION_SKIPPED_LAYOUT;
    case engine::PruneAction::kSkippedChanged:
      return v1::PRUNE_ACTION_SKIPPED_CHANGED;
    case engine::PruneAction::kFailed:
      return v1::PRUNE_ACTION_FAILED;
  }
  return v1::PRUNE_ACTION_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<engine::PruneOptions> PruneOptionsFrom(const v1::PruneRequest& request) {
  if (absl::Status names =
          engine::CheckPruneNames(request.operation(), request.backend(), request.has_backend());
      !names.ok()) {
    return names;
  }
  engine::PruneOptions options;
  options.operation = request.operation();
  options.backend = request.backend();
  options.apply = request.apply();
  options.recursive = !request.non_recursive();
  return options;
}

void FillPruneResult(const engine::PruneResult& result, v1::PruneResult& out) {
  FillPath(result.path, *out.mutable_file());
  out.set_action(ToProto(result.action));
  out.set_error(engine::DisplayPath(result.error));
  out.set_removed(result.removed);
  for (const std::string& operation : result.remaining_operations) {
    out.add_remaining_operations(operation);
  }
  out.set_size_bytes(result.size_bytes);
  out.set_new_size_bytes(result.new_size_bytes);
  if (!result.quarantined.empty()) FillPath(result.quarantined, *out.mutable_quarantined());
}

void FillPruneSummary(const engine::PruneSummary& summary, v1::PruneSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_operation(summary.operation);
  out.set_backend(summary.backend);
  out.set_applied(summary.applied);
  out.set_sidecars_examined(summary.sidecars_examined);
  out.set_matched(summary.matched);
  out.set_pruned(summary.pruned);
  out.set_skipped(summary.skipped);
  out.set_failed(summary.failed);
  out.set_unreadable(summary.unreadable);
  out.set_foreign_files(summary.foreign_files);
  out.set_unreadable_directories(summary.unreadable_directories);
  out.set_bytes_removed(summary.bytes_removed);
  out.set_quarantine_dir(engine::DisplayPath(summary.quarantine_dir));
  out.set_duration_seconds(summary.duration_seconds);
}

absl::StatusOr<engine::ExportOptions> ExportOptionsFrom(const v1::ExportRequest& request) {
  engine::ExportOptions options;
  auto format = FromProto(request.format());
  if (!format.ok()) return format.status();
  auto content = FromProto(request.content(), *format);
  if (!content.ok()) return content.status();
  options.recursive = !request.non_recursive();
  options.operation_filter = request.operation_filter();
  for (const std::string& operation : request.operations()) {
    if (operation.empty()) return absl::InvalidArgumentError("operations: names must not be empty");
    options.operations.push_back(operation);
  }
  options.format = *format;
  options.content = *content;
  return options;
}

absl::StatusOr<engine::ConvertOptions> ConvertOptionsFrom(const v1::ConvertRequest& request) {
  auto target = TargetFromProto(request.target_format());
  if (!target.ok()) return target.status();
  engine::ConvertOptions options;
  options.recursive = !request.non_recursive();
  options.target = *target;
  options.apply = request.apply();
  return options;
}

void FillExportSummary(const engine::ExportSummary& summary, v1::ExportSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_exported(summary.exported);
  out.set_unreadable(summary.unreadable);
  out.set_output_bytes(summary.output_bytes);
  out.set_duration_seconds(summary.duration_seconds);
  out.set_unreadable_directories(summary.unreadable_directories);
  out.set_without_operations(summary.without_operations);
  for (const engine::ExportSummary::Unreadable& file : summary.unreadable_files) {
    v1::SkippedSidecar& named = *out.add_unreadable_files();
    FillPath(file.path, *named.mutable_file());
    named.set_error(engine::DisplayPath(file.error));
  }
}

void FillConvertResult(const engine::ConvertResult& result, v1::ConvertResult& out) {
  for (const std::string& source : result.sources) FillPath(source, *out.add_sources());
  FillPath(result.target, *out.mutable_target());
  out.set_action(ToProto(result.action));
  out.set_error(engine::DisplayPath(result.error));
}

void FillConvertSummary(const engine::ConvertSummary& summary, v1::ConvertSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_target_format(ToProto(summary.target));
  out.set_applied(summary.applied);
  out.set_converted(summary.converted);
  out.set_already_target(summary.already_target);
  out.set_skipped(summary.skipped);
  out.set_failed(summary.failed);
  out.set_duration_seconds(summary.duration_seconds);
  out.set_unreadable_directories(summary.unreadable_directories);
}

}  // namespace sidecard::service
