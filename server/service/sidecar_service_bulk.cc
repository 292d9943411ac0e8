// Export, Convert and Prune: whole-tree operations that stream their output.
#include <string_view>

#include "server/engine/fs/path_text.h"
#include "server/engine/ops/convert.h"
#include "server/engine/ops/export.h"
#include "server/engine/ops/prune.h"
#include "server/service/bulk_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"
#include "server/service/streaming.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

}  // namespace

grpc::Status SidecarService::Export(grpc::ServerContext* context, const v1::ExportRequest* request,
                                    grpc::ServerWriter<v1::ExportResponse>* writer) {
  CallScope call(metrics_, "Export", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  if (auto checked = CheckOperationFilter(request->operation_filter()); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  auto options = ExportOptionsFrom(*request);
  if (!options.ok()) return call.Finish(ToGrpcStatus(options.status()));
  options->max_sidecar_bytes = config_.max_sidecar_bytes;
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  v1::ExportResponse message;
  auto summary = engine::ExportTree(*root, *options, MakeContext(*allowed), call.cancellation(),
                                    [&](std::string_view chunk) {
                                      message.set_chunk(chunk.data(), chunk.size());
                                      return writer->Write(message);
                                    });
  if (!summary.ok()) return call.Finish(StoppedStatus(context, summary.status()));
  call.add_files(summary->sidecars_examined);
  v1::ExportResponse final_message;
  FillExportSummary(*summary, *final_message.mutable_summary());
  if (!writer->Write(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::Convert(grpc::ServerContext* context,
                                     const v1::ConvertRequest* request,
                                     grpc::ServerWriter<v1::ConvertResponse>* writer) {
  CallScope call(metrics_, "Convert", *context);
  if (auto refused = Admit(call, *context, request->apply() ? Access::kWrite : Access::kRead);
      !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  auto options = ConvertOptionsFrom(*request);
  if (!options.ok()) return call.Finish(ToGrpcStatus(options.status()));
  options->max_sidecar_bytes = config_.max_sidecar_bytes;
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  BatchWriter<v1::ConvertResponse> batches(writer, batch_size);
  auto summary =
      engine::ConvertTree(*root, *options, MakeContext(*allowed), *config_.image_locks,
                          call.cancellation(), [&](std::span<const engine::ConvertResult> results) {
                            for (const engine::ConvertResult& result : results) {
                              v1::ConvertResponse* message = batches.Next();
                              if (message == nullptr) return false;
                              FillConvertResult(result, *message->add_results());
                            }
                            return true;
                          });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->sidecars_examined);
  v1::ConvertResponse final_message;
  FillConvertSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::Prune(grpc::ServerContext* context, const v1::PruneRequest* request,
                                   grpc::ServerWriter<v1::PruneResponse>* writer) {
  CallScope call(metrics_, "Prune", *context);
  if (auto refused = Admit(call, *context, request->apply() ? Access::kWrite : Access::kRead);
      !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  auto options = PruneOptionsFrom(*request);
  if (!options.ok()) return call.Finish(ToGrpcStatus(options.status()));
  options->max_sidecar_bytes = config_.max_sidecar_bytes;
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  BatchWriter<v1::PruneResponse> batches(writer, batch_size);
  auto summary =
      engine::PruneTree(*root, *options, MakeContext(*allowed), *config_.image_locks,
                        call.cancellation(), [&](std::span<const engine::PruneResult> results) {
                          for (const engine::PruneResult& result : results) {
                            v1::PruneResponse* message = batches.Next();
                            if (message == nullptr) return false;
                            FillPruneResult(result, *message->add_results());
                          }
                          return true;
                        });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->sidecars_examined);
  v1::PruneResponse final_message;
  FillPruneSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
