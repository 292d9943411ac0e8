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

}  // namespace

absl::StatusOr<engine::ExportOptions> ExportOptionsFrom(const v1::ExportRequest& request) {
  engine::ExportOptions options;
  auto format = FromProto(request.format());
  if (!format.ok()) return format.status();
  auto content = FromProto(request.content(), *format);
  if (!content.ok()) return content.status();
  options.recursive = !request.non_recursive();
  options.operation_filter = request.operation_filter();
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
