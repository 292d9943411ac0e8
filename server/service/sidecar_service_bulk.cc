// Export and Convert: whole-tree operations that stream their output.
#include <string_view>

#include "server/engine/convert.h"
#include "server/engine/export.h"
#include "server/engine/path_text.h"
#include "server/service/bulk_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

// The helpers below mirror those of sidecar_service.cc (Validate, Cleanup),
// which keeps them private to that file.

engine::Cancellation CancellationOf(grpc::ServerContext* context) {
  return engine::Cancellation([context] { return context->IsCancelled(); });
}

// The status to return when an engine operation stopped early: the client's
// deadline, or its cancellation.
grpc::Status StoppedStatus(grpc::ServerContext* context, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kCancelled &&
      context->deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed");
  }
  return ToGrpcStatus(status);
}

grpc::Status ClientGone() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
}

// Collects Convert results into messages of at most `batch_size` results.
class ResultBatches {
 public:
  ResultBatches(grpc::ServerWriter<v1::ConvertResponse>* writer, int32_t batch_size)
      : writer_(writer), batch_size_(batch_size) {}

  // Adds one result; writes a full message. False once the client is gone.
  bool Add(const engine::ConvertResult& result) {
    FillConvertResult(result, *pending_.add_results());
    return pending_.results_size() < batch_size_ || Flush();
  }

  bool WriteFinal(const v1::ConvertResponse& final_message) {
    return Flush() && writer_->Write(final_message);
  }

 private:
  bool Flush() {
    if (pending_.results_size() == 0) return true;
    const bool written = writer_->Write(pending_);
    pending_.Clear();
    return written;
  }

  grpc::ServerWriter<v1::ConvertResponse>* writer_;
  const int32_t batch_size_;
  v1::ConvertResponse pending_;
};

}  // namespace

grpc::Status SidecarService::Export(grpc::ServerContext* context, const v1::ExportRequest* request,
                                    grpc::ServerWriter<v1::ExportResponse>* writer) {
  CallScope call(metrics_, "Export", *context);
  if (auto checked = CheckOperationFilter(request->operation_filter()); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  auto options = ExportOptionsFrom(*request);
  if (!options.ok()) return call.Finish(ToGrpcStatus(options.status()));
  options->max_sidecar_bytes = config_.max_sidecar_bytes;
  const auto allowed = roots();
  auto root = allowed->ResolveDirectory(request->root());
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  v1::ExportResponse message;
  auto summary = engine::ExportTree(*root, *options, MakeContext(*allowed), CancellationOf(context),
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
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  auto options = ConvertOptionsFrom(*request);
  if (!options.ok()) return call.Finish(ToGrpcStatus(options.status()));
  options->max_sidecar_bytes = config_.max_sidecar_bytes;
  const auto allowed = roots();
  auto root = allowed->ResolveDirectory(request->root());
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  ResultBatches batches(writer, batch_size);
  auto summary = engine::ConvertTree(*root, *options, MakeContext(*allowed), *config_.image_locks,
                                     CancellationOf(context),
                                     [&](std::span<const engine::ConvertResult> results) {
                                       for (const engine::ConvertResult& result : results) {
                                         if (!batches.Add(result)) return false;
                                       }
                                       return true;
                                     });
  if (!summary.ok()) return call.Finish(StoppedStatus(context, summary.status()));
  call.add_files(summary->sidecars_examined);
  v1::ConvertResponse final_message;
  FillConvertSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
