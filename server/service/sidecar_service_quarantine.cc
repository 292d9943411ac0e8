// ListQuarantine, RestoreQuarantine, PurgeQuarantine: Cleanup's quarantine
// looked at, undone or emptied.
#include <span>

#include "server/engine/fs/path_text.h"
#include "server/engine/ops/quarantine_list.h"
#include "server/engine/ops/quarantine_purge.h"
#include "server/engine/ops/quarantine_restore.h"
#include "server/service/quarantine_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"
#include "server/service/streaming.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

// Adds engine results to `batches`, one item each; false once the client is
// gone.
template <typename Response, typename Item, typename Fill>
bool Stream(BatchWriter<Response>& batches, std::span<const Item> items, const Fill& fill) {
  for (const Item& item : items) {
    Response* message = batches.Next();
    if (message == nullptr) return false;
    fill(item, *message);
  }
  return true;
}

}  // namespace

grpc::Status SidecarService::ListQuarantine(
    grpc::ServerContext* context, const v1::ListQuarantineRequest* request,
    grpc::ServerWriter<v1::ListQuarantineResponse>* writer) {
  CallScope call(metrics_, "ListQuarantine", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  BatchWriter<v1::ListQuarantineResponse> batches(writer, batch_size);
  auto summary = engine::ListQuarantine(
      *allowed, *root, request->batch(), call.cancellation(),
      [&](std::span<const engine::QuarantinedFile> files) {
        return Stream(batches, files,
                      [](const engine::QuarantinedFile& file, v1::ListQuarantineResponse& out) {
                        FillQuarantineFile(file, *out.add_files());
                      });
      });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->files);
  v1::ListQuarantineResponse final_message;
  FillListQuarantineSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::RestoreQuarantine(
    grpc::ServerContext* context, const v1::RestoreQuarantineRequest* request,
    grpc::ServerWriter<v1::RestoreQuarantineResponse>* writer) {
  CallScope call(metrics_, "RestoreQuarantine", *context);
  if (auto refused = Admit(call, *context, request->dry_run() ? Access::kRead : Access::kWrite);
      !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  engine::RestoreOptions options;
  options.batch = request->batch();
  options.dry_run = request->dry_run();
  options.image_locks = config_.image_locks;
  BatchWriter<v1::RestoreQuarantineResponse> batches(writer, batch_size);
  auto summary = engine::RestoreQuarantine(
      *allowed, *root, options, call.cancellation(),
      [&](std::span<const engine::RestoreResult> results) {
        return Stream(batches, results,
                      [](const engine::RestoreResult& result, v1::RestoreQuarantineResponse& out) {
                        FillRestoreResult(result, *out.add_results());
                      });
      });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->restored + summary->conflicts + summary->failed);
  v1::RestoreQuarantineResponse final_message;
  FillRestoreSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::PurgeQuarantine(
    grpc::ServerContext* context, const v1::PurgeQuarantineRequest* request,
    grpc::ServerWriter<v1::PurgeQuarantineResponse>* writer) {
  CallScope call(metrics_, "PurgeQuarantine", *context);
  if (auto refused = Admit(call, *context, request->dry_run() ? Access::kRead : Access::kWrite);
      !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  // Required: an unset age must never mean "every batch".
  if (!request->has_older_than_seconds() || request->older_than_seconds() < 0) {
    return call.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "older_than_seconds: required, not negative"));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  engine::PurgeOptions options;
  options.older_than = absl::Seconds(request->older_than_seconds());
  options.dry_run = request->dry_run();
  BatchWriter<v1::PurgeQuarantineResponse> batches(writer, batch_size);
  auto summary = engine::PurgeQuarantine(
      *allowed, *root, options, call.cancellation(),
      [&](std::span<const engine::PurgeResult> results) {
        return Stream(batches, results,
                      [](const engine::PurgeResult& result, v1::PurgeQuarantineResponse& out) {
                        FillPurgeResult(result, *out.add_results());
                      });
      });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->files);
  v1::PurgeQuarantineResponse final_message;
  FillPurgeSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
