// ReadSidecar and SaveSidecar: one image's sidecar.
#include "server/service/sidecar_service.h"

namespace sidecard::service {

namespace v1 = ::sidecar::v1;

grpc::Status SidecarService::ReadSidecar(grpc::ServerContext* context,
                                         const v1::ReadSidecarRequest*, v1::ReadSidecarResponse*) {
  CallScope call(metrics_, "ReadSidecar", *context);
  return call.Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not implemented yet"));
}

grpc::Status SidecarService::SaveSidecar(grpc::ServerContext* context,
                                         const v1::SaveSidecarRequest*, v1::SaveSidecarResponse*) {
  CallScope call(metrics_, "SaveSidecar", *context);
  return call.Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not implemented yet"));
}

}  // namespace sidecard::service
