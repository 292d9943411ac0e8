// ReadSidecar and SaveSidecar: one image's sidecar.
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

}  // namespace

grpc::Status SidecarService::ReadSidecar(grpc::ServerContext* context,
                                         const v1::ReadSidecarRequest* request,
                                         v1::ReadSidecarResponse* response) {
  CallScope call(metrics_, "ReadSidecar", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  auto image_path = RequestImagePath(*request);
  if (!image_path.ok()) return call.Finish(ToGrpcStatus(image_path.status()));
  call.set_root(engine::DisplayPath(*image_path));
  auto outcome = config_.store->Read(*roots(), *image_path);
  if (!outcome.ok()) return call.Finish(ToGrpcStatus(outcome.status()));
  call.add_files(outcome->found ? 1 : 0);
  response->set_found(outcome->found);
  response->set_document_json(engine::CanonicalJson(outcome->document));
  if (outcome->found) {
    FillPath(outcome->sidecar_path, *response->mutable_sidecar());
    response->set_format(ToProto(outcome->format));
  }
  for (const engine::SkippedFile& skipped : outcome->skipped) {
    v1::SkippedSidecar* entry = response->add_skipped();
    FillPath(skipped.path, *entry->mutable_file());
    entry->set_error(engine::DisplayPath(skipped.error));
  }
  for (const std::string& path : outcome->shadowed) FillPath(path, *response->add_shadowed());
  FillPath(outcome->image_path, *response->mutable_image());
  // Past the send limit gRPC would fail the call with "Sent message larger
  // than max", which names nothing; the file is named here instead.
  if (const size_t bytes = response->ByteSizeLong(); bytes > config_.max_response_bytes) {
    return call.Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "the document of " +
                                        engine::DisplayPath(outcome->sidecar_path) + " is " +
                                        std::to_string(response->document_json().size()) +
                                        " bytes as JSON, more than one response may carry (" +
                                        std::to_string(config_.max_response_bytes) +
                                        " bytes, which follows --max-sidecar-bytes)"));
  }
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::SaveSidecar(grpc::ServerContext* context,
                                         const v1::SaveSidecarRequest* request,
                                         v1::SaveSidecarResponse* response) {
  CallScope call(metrics_, "SaveSidecar", *context);
  if (auto refused = Admit(call, *context, Access::kWrite); !refused.ok()) {
    return call.Finish(refused);
  }
  auto image_path = RequestImagePath(*request);
  if (!image_path.ok()) return call.Finish(ToGrpcStatus(image_path.status()));
  call.set_root(engine::DisplayPath(*image_path));
  if (request->operation().empty()) return call.Finish(Invalid("operation: required"));
  if (auto checked = CheckOperationFilter(request->operation()); !checked.ok()) {
    return call.Finish(Invalid("operation: '" + request->operation() +
                               "' is not an operation name (lower-case letters, digits and '_')"));
  }
  if (request->backend().size() > 128 || request->backend().find('\0') != std::string::npos) {
    return call.Finish(Invalid("backend: at most 128 characters, no NUL"));
  }
  if (request->payload_json().size() > config_.max_payload_bytes) {
    return call.Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "payload_json: " + std::to_string(request->payload_json().size()) +
                         " bytes is over the limit of " +
                         std::to_string(config_.max_payload_bytes) + " (--max-payload-bytes)"));
  }
  auto payload = engine::ParseJson(request->payload_json());
  if (!payload.ok()) {
    return call.Finish(Invalid("payload_json: " + std::string(payload.status().message())));
  }
  if (!payload->IsObject()) return call.Finish(Invalid("payload_json: must be a JSON object"));
  engine::SaveRequest save;
  save.image_path = *image_path;
  save.operation = request->operation();
  save.backend = request->backend();
  save.payload = &*payload;
  save.format = config_.default_save_format;
  if (request->format() != v1::SIDECAR_FORMAT_UNSPECIFIED) {
    auto format = FromProto(request->format());
    if (!format) return call.Finish(Invalid("format: unknown value"));
    save.format = *format;
  }
  save.overwrite_corrupt = request->overwrite_corrupt();
  save.allow_missing_image = request->allow_missing_image();
  save.now = absl::Now();
  if (context->IsCancelled()) {
    return call.Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before saving"));
  }
  auto outcome = config_.store->Save(*roots(), save);
  if (!outcome.ok()) return call.Finish(ToGrpcStatus(outcome.status()));
  call.add_files(1);
  FillPath(outcome->sidecar_path, *response->mutable_sidecar());
  response->set_format(ToProto(outcome->format));
  response->set_created(outcome->created);
  for (const std::string& path : outcome->merged_from) FillPath(path, *response->add_merged_from());
  if (!outcome->corrupt_kept_as.empty()) {
    FillPath(outcome->corrupt_kept_as, *response->mutable_corrupt_kept_as());
  }
  response->set_size_bytes(outcome->size_bytes);
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
