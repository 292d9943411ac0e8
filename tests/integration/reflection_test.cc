// gRPC server reflection on the real daemon: grpc.reflection.v1 (what
// current grpcurl asks first) beside grpc.reflection.v1alpha, listing the
// server's own services and handing out the descriptors a client needs.
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;
namespace reflection = grpc::reflection::v1;

// Sends each request on one ServerReflectionInfo stream to `address` and
// returns the answers in order.
std::vector<reflection::ServerReflectionResponse> Ask(
    const std::string& address, const std::vector<reflection::ServerReflectionRequest>& requests) {
  auto stub = reflection::ServerReflection::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  auto stream = stub->ServerReflectionInfo(&context);
  std::vector<reflection::ServerReflectionResponse> responses;
  for (const reflection::ServerReflectionRequest& request : requests) {
    EXPECT_TRUE(stream->Write(request));
    reflection::ServerReflectionResponse response;
    if (!stream->Read(&response)) break;
    responses.push_back(std::move(response));
  }
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  return responses;
}

reflection::ServerReflectionRequest ListServices() {
  reflection::ServerReflectionRequest request;
  request.set_list_services("*");
  return request;
}

std::vector<std::string> ServiceNames(const reflection::ServerReflectionResponse& response) {
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

// The files of a file_descriptor_response, parsed, by name.
std::map<std::string, google::protobuf::FileDescriptorProto> Files(
    const reflection::ServerReflectionResponse& response) {
  std::map<std::string, google::protobuf::FileDescriptorProto> files;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    files[file.name()] = file;
  }
  return files;
}

class ReflectionV1Test : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--health-listen", "127.0.0.1:0"};
    return options;
  }
};

TEST_F(ReflectionV1Test, ListsTheServicesBothVersionsOfReflectionIncluded) {
  reflection::ServerReflectionRequest request = ListServices();
  request.set_host("sidecard.test");
  const auto responses = Ask(daemon_.address(), {request});
  ASSERT_EQ(responses.size(), 1u);
  const auto& response = responses[0];
  ASSERT_TRUE(response.has_list_services_response()) << response.DebugString();
  EXPECT_THAT(ServiceNames(response),
              IsSupersetOf({"sidecar.v1.SidecarService", "grpc.health.v1.Health",
                            "grpc.reflection.v1.ServerReflection",
                            "grpc.reflection.v1alpha.ServerReflection"}));
  EXPECT_EQ(response.valid_host(), "sidecard.test");
  EXPECT_EQ(response.original_request().list_services(), "*");
}

TEST_F(ReflectionV1Test, GivesTheContractsDescriptorsBySymbolAndByFile) {
  reflection::ServerReflectionRequest by_symbol;
  by_symbol.set_file_containing_symbol("sidecar.v1.SidecarService");
  reflection::ServerReflectionRequest by_method;
  by_method.set_file_containing_symbol("sidecar.v1.SidecarService.Validate");
  reflection::ServerReflectionRequest by_file;
  by_file.set_file_by_filename("sidecar/v1/sidecar.proto");
  reflection::ServerReflectionRequest health;
  health.set_file_containing_symbol("grpc.health.v1.HealthCheckRequest");
  const auto responses = Ask(daemon_.address(), {by_symbol, by_method, by_file, health});
  ASSERT_EQ(responses.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const auto files = Files(responses[i]);
    ASSERT_TRUE(files.count("sidecar/v1/sidecar.proto")) << responses[i].DebugString();
    const auto& file = files.at("sidecar/v1/sidecar.proto");
    EXPECT_EQ(file.package(), "sidecar.v1");
    ASSERT_EQ(file.service_size(), 1);
    EXPECT_EQ(file.service(0).name(), "SidecarService");
    std::vector<std::string> methods;
    for (const auto& method : file.service(0).method()) methods.push_back(method.name());
    EXPECT_THAT(methods, IsSupersetOf({"Validate", "Stats", "Cleanup", "ReadSidecar", "SaveSidecar",
                                       "Export", "Convert", "GetServerInfo"}));
    // Every import comes along, so a client can build the descriptors.
    for (const std::string& dependency : file.dependency()) {
      EXPECT_TRUE(files.count(dependency)) << dependency;
    }
  }
  EXPECT_TRUE(Files(responses[3]).count("grpc/health/v1/health.proto"))
      << responses[3].DebugString();
}

TEST_F(ReflectionV1Test, UnknownNamesAreNotFound) {
  reflection::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("no.such.Service");
  reflection::ServerReflectionRequest file;
  file.set_file_by_filename("no/such.proto");
  reflection::ServerReflectionRequest type;
  type.set_all_extension_numbers_of_type("no.such.Type");
  const auto responses = Ask(daemon_.address(), {symbol, file, type});
  ASSERT_EQ(responses.size(), 3u);
  for (const auto& response : responses) {
    ASSERT_TRUE(response.has_error_response()) << response.DebugString();
    EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(ReflectionV1Test, TheHealthListenerListsOnlyWhatItServes) {
  std::smatch match;
  const std::string log = daemon_.Log();
  ASSERT_TRUE(
      std::regex_search(log, match, std::regex(R"(health checks .* on (127\.0\.0\.1:[0-9]+))")))
      << log;
  const auto responses = Ask(match[1].str(), {ListServices()});
  ASSERT_EQ(responses.size(), 1u);
  const std::vector<std::string> names = ServiceNames(responses[0]);
  EXPECT_THAT(names,
              IsSupersetOf({"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"}));
  EXPECT_THAT(names, Not(Contains("sidecar.v1.SidecarService")));
}

}  // namespace
}  // namespace sidecard::testing
