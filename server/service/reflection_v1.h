// grpc.reflection.v1.ServerReflection: the current name of gRPC server
// reflection. Debian's grpc++_reflection (gRPC 1.51) serves only
// grpc.reflection.v1alpha, and current grpcurl asks for v1 first (falling
// back, with a warning, to v1alpha). This serves v1 beside it, from the same
// sources: the generated descriptor pool and the server's list of services.
#ifndef SIDECARD_SERVER_SERVICE_REFLECTION_V1_H_
#define SIDECARD_SERVER_SERVICE_REFLECTION_V1_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_option.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace sidecard::service {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // The names of the services to list (owned by the server, which outlives
  // every call); until set, list_services answers none.
  void SetServiceList(const std::vector<std::string>* services) { services_.store(services); }

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  std::atomic<const std::vector<std::string>*> services_{nullptr};
};

// A builder option that registers a ReflectionV1Service with the server
// being built and hands it the server's service list once it is complete,
// the way grpc++_reflection's plugin does for v1alpha:
//   builder.SetOption(sidecard::service::ReflectionV1Option());
std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option();

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_REFLECTION_V1_H_
