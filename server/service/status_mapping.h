// Engine status → gRPC status. The engine speaks absl::Status; its codes
// have the same meaning (and numbers) as gRPC's.
#ifndef SIDECARD_SERVER_SERVICE_STATUS_MAPPING_H_
#define SIDECARD_SERVER_SERVICE_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace sidecard::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ... for logs.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_STATUS_MAPPING_H_
