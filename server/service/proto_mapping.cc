#include "server/service/proto_mapping.h"

#include "server/engine/fs/path_text.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

v1::DocumentLayout ToProto(engine::DocumentLayout layout) {
  switch (layout) {
    case engine::DocumentLayout::kMerged:
      return v1::DOCUMENT_LAYOUT_MERGED;
    case engine::DocumentLayout::kEnvelope:
      return v1::DOCUMENT_LAYOUT_ENVELOPE;
    case engine::DocumentLayout::kLegacyScript:
      return v1::DOCUMENT_LAYOUT_LEGACY_SCRIPT;
    case engine::DocumentLayout::kNotAnObject:
      break;
  }
  return v1::DOCUMENT_LAYOUT_UNSPECIFIED;
}

v1::CleanupMode ToProto(engine::CleanupMode mode) {
  switch (mode) {
    case engine::CleanupMode::kDelete:
      return v1::CLEANUP_MODE_DELETE;
    case engine::CleanupMode::kQuarantine:
      return v1::CLEANUP_MODE_QUARANTINE;
    case engine::CleanupMode::kDryRun:
      break;
  }
  return v1::CLEANUP_MODE_DRY_RUN;
}

v1::CleanupAction ToProto(engine::CleanupAction action) {
  switch (action) {
    case engine::CleanupAction::kWouldRemove:
      return v1::CLEANUP_ACTION_WOULD_REMOVE;
    case engine::CleanupAction::kDeleted:
      return v1::CLEANUP_ACTION_DELETED;
    case engine::CleanupAction::kQuarantined:
      return v1::CLEANUP_ACTION_QUARANTINED;
    case engine::CleanupAction::kSkippedTooRecent:
      return v1::CLEANUP_ACTION_SKIPPED_TOO_RECENT;
    case engine::CleanupAction::kFailed:
      return v1::CLEANUP_ACTION_FAILED;
    case engine::CleanupAction::kSkippedChanged:
      return v1::CLEANUP_ACTION_SKIPPED_CHANGED;
    case engine::CleanupAction::kWouldRestore:
      return v1::CLEANUP_ACTION_WOULD_RESTORE;
    case engine::CleanupAction::kRestored:
      return v1::CLEANUP_ACTION_RESTORED;
    case engine::CleanupAction::kWouldKeepAsConflict:
      return v1::CLEANUP_ACTION_WOULD_KEEP_AS_CONFLICT;
    case engine::CleanupAction::kKeptAsConflict:
      return v1::CLEANUP_ACTION_KEPT_AS_CONFLICT;
  }
  return v1::CLEANUP_ACTION_UNSPECIFIED;
}

template <typename Map, typename ProtoMap>
void CopyMap(const Map& from, ProtoMap& to) {
  for (const auto& [key, value] : from) to[key] = value;
}

}  // namespace

void FillPath(const std::string& raw, v1::FilePath& out) {
  out.set_path(engine::DisplayPath(raw));
  out.set_raw_path(raw);
}

v1::SidecarFormat ToProto(engine::SidecarFormat format) {
  switch (format) {
    case engine::SidecarFormat::kBin:
      return v1::SIDECAR_FORMAT_BIN;
    case engine::SidecarFormat::kRkyv:
      return v1::SIDECAR_FORMAT_RKYV;
    case engine::SidecarFormat::kJson:
      return v1::SIDECAR_FORMAT_JSON;
  }
  return v1::SIDECAR_FORMAT_UNSPECIFIED;
}

std::optional<engine::SidecarFormat> FromProto(v1::SidecarFormat format) {
  switch (format) {
    case v1::SIDECAR_FORMAT_BIN:
      return engine::SidecarFormat::kBin;
    case v1::SIDECAR_FORMAT_RKYV:
      return engine::SidecarFormat::kRkyv;
    case v1::SIDECAR_FORMAT_JSON:
      return engine::SidecarFormat::kJson;
    default:
      return std::nullopt;
  }
}

engine::CleanupMode FromProto(v1::CleanupMode mode) {
  switch (mode) {
    case v1::CLEANUP_MODE_DELETE:
      return engine::CleanupMode::kDelete;
    case v1::CLEANUP_MODE_QUARANTINE:
      return engine::CleanupMode::kQuarantine;
    default:
      return engine::CleanupMode::kDryRun;
  }
}

void FillFileReportBody(const engine::ValidatedFile& file, v1::FileReport& out) {
  const engine::SidecarInspection& inspection = *file.inspection;
  out.set_format(ToProto(inspection.format));
  out.set_valid(inspection.valid());
  out.set_error(engine::DisplayPath(inspection.FirstError()));
  for (const std::string& problem : inspection.facts.problems) {
    out.add_problems(engine::DisplayPath(problem));
  }
  for (const std::string& warning : file.warnings()) out.add_warnings(engine::DisplayPath(warning));
  for (const std::string& operation : inspection.facts.operations) {
    out.add_operations(engine::DisplayPath(operation));
  }
  out.set_detection_count(inspection.facts.detection_count());
  out.set_face_count(inspection.facts.faces());
  out.set_object_count(inspection.facts.objects());
  for (const std::string& tool : inspection.facts.tool_names) {
    out.add_tool_names(engine::DisplayPath(tool));
  }
  out.set_orphan(file.orphan());
  out.set_layout(ToProto(inspection.facts.layout));
}

void FillFileReport(const engine::ValidatedFile& file, v1::FileReport& out) {
  FillFileReportBody(file, out);
  FillPath(file.path, *out.mutable_file());
  out.set_size_bytes(file.inspection->stamp.size);
  if (file.image_path) FillPath(*file.image_path, *out.mutable_image());
}

void FillValidateSummary(const engine::ValidateSummary& summary, v1::ValidateSummary& out) {
  constexpr size_t kMaxDirectoryErrors = 100;
  out.set_root(engine::DisplayPath(summary.root));
  out.set_total_files(summary.total_files);
  out.set_valid_files(summary.valid_files);
  out.set_invalid_files(summary.invalid_files);
  CopyMap(summary.by_format, *out.mutable_by_format());
  for (const auto& [operation, count] : summary.by_operation) {
    (*out.mutable_by_operation())[engine::DisplayPath(operation)] = count;
  }
  out.set_foreign_files(summary.foreign_files);
  out.set_filtered_out(summary.filtered_out);
  out.set_orphans(summary.orphans);
  out.set_unreadable_directories(static_cast<int64_t>(summary.directory_errors.size()));
  out.set_duration_seconds(summary.duration_seconds);
  out.set_filter_applied(summary.filter_applied);
  for (size_t i = 0; i < summary.directory_errors.size() && i < kMaxDirectoryErrors; ++i) {
    const auto& error = summary.directory_errors[i];
    out.add_directory_errors(engine::DisplayPath(error.path) + ": " + error.reason);
  }
  out.set_working_files(summary.working_files);
  out.set_stray_working_files(summary.stray_working_files);
}

void FillStats(const engine::TreeStats& stats, v1::StatsResponse& out) {
  out.set_directory(engine::DisplayPath(stats.directory));
  out.set_total_images(stats.total_images);
  out.set_symlink_count(stats.symlink_count);
  out.set_broken_symlinks(stats.broken_symlinks);
  out.set_total_sidecars(stats.total_sidecars);
  out.set_coverage_percentage(stats.coverage_percentage);
  for (const auto& [operation, count] : stats.operation_counts) {
    (*out.mutable_operation_counts())[engine::DisplayPath(operation)] = count;
  }
  for (const auto& [operation, value] : stats.avg_processing_times) {
    (*out.mutable_avg_processing_times())[engine::DisplayPath(operation)] = value;
  }
  for (const auto& [operation, value] : stats.success_rate_percentages) {
    (*out.mutable_success_rate_percentages())[engine::DisplayPath(operation)] = value;
  }
  for (const auto& [operation, value] : stats.avg_data_sizes) {
    (*out.mutable_avg_data_sizes())[engine::DisplayPath(operation)] = value;
  }
  out.set_filter_applied(stats.filter_applied);
  CopyMap(stats.files_by_format, *out.mutable_files_by_format());
  out.set_invalid_sidecars(stats.invalid_sidecars);
  out.set_orphaned_sidecars(stats.orphaned_sidecars);
  out.set_foreign_files(stats.foreign_files);
  out.set_faces_found(stats.faces_found);
  out.set_objects_found(stats.objects_found);
  for (const auto& [name, count] : stats.object_classes) {
    (*out.mutable_object_classes())[engine::DisplayPath(name)] = count;
  }
  out.set_images_without_sidecars(stats.images_without_sidecars);
  out.set_total_sidecar_files(stats.total_sidecar_files);
  out.set_unreadable_directories(stats.unreadable_directories);
  out.set_symlinks_outside_roots(stats.symlinks_outside_roots);
  out.set_directory_symlinks_skipped(stats.directory_symlinks_skipped);
  out.set_duration_seconds(stats.duration_seconds);
  out.set_working_files(stats.working_files);
  out.set_stray_working_files(stats.stray_working_files);
}

void FillCleanupResult(const engine::CleanupResult& result, v1::CleanupResult& out) {
  FillPath(result.path, *out.mutable_file());
  out.set_action(ToProto(result.action));
  if (!result.destination.empty()) FillPath(result.destination, *out.mutable_destination());
  out.set_error(engine::DisplayPath(result.error));
  out.set_size_bytes(result.size_bytes);
  out.set_working_file(result.working_file);
}

void FillCacheFigures(const engine::CacheFigures& figures, v1::CacheFigures& out) {
  out.set_enabled(figures.enabled);
  out.set_entries(figures.entries);
  out.set_bytes(figures.bytes);
  out.set_max_bytes(figures.max_bytes);
  out.set_hits(figures.hits);
  out.set_misses(figures.misses);
  out.set_evictions(figures.evictions);
  out.set_directories(figures.directories);
  out.set_watches(figures.watches);
  out.set_directory_tallies(figures.directory_tallies);
  out.set_directory_tally_hits(figures.directory_tally_hits);
  out.set_watch_overflows(figures.watch_overflows);
  out.set_watch_links_seen(figures.watch_links_seen);
  out.set_watch_refusals(figures.watch_refusals);
  out.set_unwatchable_scans(figures.unwatchable_scans);
}

void FillCleanupSummary(const engine::CleanupSummary& summary, v1::CleanupSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_mode(ToProto(summary.mode));
  out.set_orphans_found(summary.orphans_found);
  out.set_removed(summary.removed);
  out.set_skipped(summary.skipped);
  out.set_failed(summary.failed);
  out.set_bytes(summary.bytes);
  out.set_quarantine_dir(engine::DisplayPath(summary.quarantine_dir));
  out.set_sidecars_examined(summary.sidecars_examined);
  out.set_unreadable_directories(summary.unreadable_directories);
  out.set_duration_seconds(summary.duration_seconds);
  out.set_working_files(summary.working_files);
  out.set_stray_working_files(summary.stray_working_files);
  out.set_working_files_removed(summary.working_files_removed);
  out.set_working_files_restored(summary.working_files_restored);
  out.set_working_files_kept_as_conflict(summary.working_files_kept_as_conflict);
  out.set_foreign_files(summary.foreign_files);
}

void FillSweepFigures(const engine::SweepFigures& figures, v1::StartupSweepFigures& out) {
  out.set_started(figures.started);
  out.set_finished(figures.finished);
  out.set_dry_run(figures.dry_run);
  out.set_directories(figures.directories);
  out.set_working_files(figures.working_files);
  out.set_strays(figures.strays);
  out.set_removed(figures.removed);
  out.set_restored(figures.restored);
  out.set_kept_as_conflict(figures.kept_as_conflict);
  out.set_failed(figures.failed);
  out.set_unreadable_directories(figures.unreadable_directories);
  out.set_duration_seconds(figures.duration_seconds);
}

}  // namespace sidecard::service
