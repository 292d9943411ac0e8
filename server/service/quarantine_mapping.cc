#include "server/service/quarantine_mapping.h"

#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

v1::RestoreAction ToProto(engine::RestoreAction action) {
  switch (action) {
    case engine::RestoreAction::kWouldRestore:
      return v1::RESTORE_ACTION_WOULD_RESTORE;
    case engine::RestoreAction::kRestored:
      return v1::RESTORE_ACTION_RESTORED;
    case engine::RestoreAction::kConflict:
      return v1::RESTORE_ACTION_CONFLICT;
    case engine::RestoreAction::kFailed:
      return v1::RESTORE_ACTION_FAILED;
  }
  return v1::RESTORE_ACTION_UNSPECIFIED;
}

v1::PurgeAction ToProto(engine::PurgeAction action) {
  switch (action) {
    case engine::PurgeAction::kWouldPurge:
      return v1::PURGE_ACTION_WOULD_PURGE;
    case engine::PurgeAction::kPurged:
      return v1::PURGE_ACTION_PURGED;
    case engine::PurgeAction::kFailed:
      return v1::PURGE_ACTION_FAILED;
  }
  return v1::PURGE_ACTION_UNSPECIFIED;
}

}  // namespace

void FillQuarantineFile(const engine::QuarantinedFile& file, v1::QuarantineFile& out) {
  out.set_batch(file.batch);
  FillPath(file.path, *out.mutable_file());
  FillPath(file.original, *out.mutable_original());
  out.set_size_bytes(file.size_bytes);
}

void FillQuarantineBatch(const engine::QuarantineBatchInfo& batch, v1::QuarantineBatch& out) {
  out.set_id(batch.id);
  out.set_created_unix_seconds(absl::ToUnixSeconds(batch.created));
  out.set_files(batch.files);
  out.set_bytes(batch.bytes);
  out.set_other_entries(batch.other_entries);
}

void FillListQuarantineSummary(const engine::QuarantineListSummary& summary,
                               v1::ListQuarantineSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_quarantine_dir(engine::DisplayPath(summary.quarantine_dir));
  for (const engine::QuarantineBatchInfo& batch : summary.batches) {
    FillQuarantineBatch(batch, *out.add_batches());
  }
  out.set_files(summary.files);
  out.set_bytes(summary.bytes);
  out.set_not_batches(summary.not_batches);
  out.set_duration_seconds(summary.duration_seconds);
}

void FillRestoreResult(const engine::RestoreResult& result, v1::RestoreQuarantineResult& out) {
  out.set_batch(result.batch);
  FillPath(result.path, *out.mutable_file());
  FillPath(result.destination, *out.mutable_destination());
  out.set_action(ToProto(result.action));
  out.set_error(engine::DisplayPath(result.error));
  out.set_size_bytes(result.size_bytes);
}

void FillRestoreSummary(const engine::RestoreSummary& summary, v1::RestoreQuarantineSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_dry_run(summary.dry_run);
  for (const std::string& batch : summary.batches) out.add_batches(batch);
  out.set_restored(summary.restored);
  out.set_conflicts(summary.conflicts);
  out.set_failed(summary.failed);
  out.set_bytes(summary.bytes);
  out.set_batches_emptied(summary.batches_emptied);
  out.set_duration_seconds(summary.duration_seconds);
}

void FillPurgeResult(const engine::PurgeResult& result, v1::PurgeQuarantineResult& out) {
  FillQuarantineBatch(result.batch, *out.mutable_batch());
  out.set_action(ToProto(result.action));
  out.set_error(engine::DisplayPath(result.error));
}

void FillPurgeSummary(const engine::PurgeSummary& summary, v1::PurgeQuarantineSummary& out) {
  out.set_root(engine::DisplayPath(summary.root));
  out.set_dry_run(summary.dry_run);
  out.set_older_than_seconds(absl::ToInt64Seconds(summary.older_than));
  out.set_purged(summary.purged);
  out.set_kept(summary.kept);
  out.set_failed(summary.failed);
  out.set_files(summary.files);
  out.set_bytes(summary.bytes);
  out.set_duration_seconds(summary.duration_seconds);
}

}  // namespace sidecard::service
