#include "server/service/reflection_v1.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <set>
#include <utility>

#include "grpc/health/v1/health.pb.h"

namespace sidecard::service {
namespace {

namespace pb = google::protobuf;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

const pb::DescriptorPool& Pool() { return *pb::DescriptorPool::generated_pool(); }

// Adds `file` and, once each, the files it imports (a client needs them all
// to build the descriptors).
void AddFile(const pb::FileDescriptor& file, std::set<std::string>& seen,
             ServerReflectionResponse& response) {
  if (!seen.insert(file.name()).second) return;
  pb::FileDescriptorProto proto;
  file.CopyTo(&proto);
  response.mutable_file_descriptor_response()->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file.dependency_count(); ++i) AddFile(*file.dependency(i), seen, response);
}

grpc::Status FileResponse(const pb::FileDescriptor* file, const char* missing,
                          ServerReflectionResponse& response) {
  if (file == nullptr) return {grpc::StatusCode::NOT_FOUND, missing};
  std::set<std::string> seen;
  AddFile(*file, seen, response);
  return grpc::Status::OK;
}

// Answers one request into `response`; a failure becomes its error_response.
grpc::Status Answer(const ServerReflectionRequest& request,
                    const std::vector<std::string>* services, ServerReflectionResponse& response) {
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kFileByFilename:
      return FileResponse(Pool().FindFileByName(request.file_by_filename()), "File not found.",
                          response);
    case ServerReflectionRequest::kFileContainingSymbol:
      return FileResponse(Pool().FindFileContainingSymbol(request.file_containing_symbol()),
                          "Symbol not found.", response);
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& extension = request.file_containing_extension();
      const pb::Descriptor* type = Pool().FindMessageTypeByName(extension.containing_type());
      if (type == nullptr) return {grpc::StatusCode::NOT_FOUND, "Type not found."};
      const pb::FieldDescriptor* field =
          Pool().FindExtensionByNumber(type, extension.extension_number());
      return FileResponse(field == nullptr ? nullptr : field->file(), "Extension not found.",
                          response);
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const pb::Descriptor* type =
          Pool().FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) return {grpc::StatusCode::NOT_FOUND, "Type not found."};
      std::vector<const pb::FieldDescriptor*> extensions;
      Pool().FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const pb::FieldDescriptor* extension : extensions) {
        numbers->add_extension_number(extension->number());
      }
      return grpc::Status::OK;
    }
    case ServerReflectionRequest::kListServices: {
      if (services == nullptr)
        return {grpc::StatusCode::UNAVAILABLE, "Service list not available."};
      auto* list = response.mutable_list_services_response();
      for (const std::string& name : *services) list->add_service()->set_name(name);
      return grpc::Status::OK;
    }
    default:
      return {grpc::StatusCode::UNIMPLEMENTED, ""};
  }
}

// Registers the service when the server is created and gives it the list of
// services once all are registered (grpc++_reflection's plugin does the same
// for v1alpha).
class ReflectionV1Plugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "sidecard_reflection_v1"; }
  void InitServer(grpc::ServerInitializer* initializer) override {
    initializer->RegisterService(service_);
  }
  void Finish(grpc::ServerInitializer* initializer) override {
    service_->SetServiceList(initializer->GetServiceList());
  }
  void ChangeArguments(const std::string& /*name*/, void* /*value*/) override {}
  bool has_sync_methods() const override { return service_->has_synchronous_methods(); }
  bool has_async_methods() const override { return service_->has_async_methods(); }

 private:
  std::shared_ptr<ReflectionV1Service> service_ = std::make_shared<ReflectionV1Service>();
};

class ReflectionV1BuilderOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ReflectionV1Plugin>());
  }
};

}  // namespace

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* /*context*/,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    ServerReflectionResponse response;
    const grpc::Status status = Answer(request, services_.load(), response);
    if (!status.ok()) {
      response.mutable_error_response()->set_error_code(status.error_code());
      response.mutable_error_response()->set_error_message(status.error_message());
    }
    response.set_valid_host(request.host());
    *response.mutable_original_request() = request;
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option() {
  // gRPC's default health service is not built from protobuf code, so
  // nothing else links grpc.health.v1's descriptors into the daemon: without
  // this reference reflection (v1 and v1alpha share the pool) could not
  // describe the health service to grpcurl.
  grpc::health::v1::HealthCheckRequest::descriptor();
  return std::make_unique<ReflectionV1BuilderOption>();
}

}  // namespace sidecard::service
