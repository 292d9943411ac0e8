// Export and Convert: whole-tree operations that stream their output.
#include "server/service/sidecar_service.h"

namespace sidecard::service {

namespace v1 = ::sidecar::v1;

grpc::Status SidecarService::Export(grpc::ServerContext* context, const v1::ExportRequest*,
                                    grpc::ServerWriter<v1::ExportResponse>*) {
  CallScope call(metrics_, "Export", *context);
  return call.Finish(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "Export is not implemented yet"));
}

grpc::Status SidecarService::Convert(grpc::ServerContext* context, const v1::ConvertRequest*,
                                     grpc::ServerWriter<v1::ConvertResponse>*) {
  CallScope call(metrics_, "Convert", *context);
  return call.Finish(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "Convert is not implemented yet"));
}

}  // namespace sidecard::service
