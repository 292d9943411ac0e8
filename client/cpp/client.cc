#include "client/cpp/client.h"

#include <cstdlib>
#include <utility>

namespace sidecard {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// The credentials of the channel to the daemon. Plaintext for now: the Unix
// socket is protected by its file permissions. TLS for remote daemons (and
// the per-call token) belong here.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const ClientOptions& /*options*/) {
  return grpc::InsecureChannelCredentials();
}

// Reads every message of a server stream into `on_message`, then returns
// how the stream ended. The message is reused between reads, so memory
// stays bounded by one message however long the stream is.
template <typename Response>
grpc::Status ReadStream(grpc::ClientReader<Response>& reader,
                        const std::function<void(const Response&)>& on_message) {
  Response message;
  while (reader.Read(&message)) on_message(message);
  return reader.Finish();
}

}  // namespace

std::string DefaultAddress() {
  const char* address = std::getenv("SIDECARD_ADDRESS");
  if (address != nullptr && *address != '\0') return address;
  return kSystemSocketAddress;
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.address, ChannelCredentials(options_))),
      sidecar_(sidecar::v1::SidecarService::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

grpc::Status Client::Validate(
    const sidecar::v1::ValidateRequest& request,
    const std::function<void(const sidecar::v1::ValidateResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Validate(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::Stats(const sidecar::v1::StatsRequest& request,
                           sidecar::v1::StatsResponse* response) {
  grpc::ClientContext context;
  PrepareContext(context);
  return sidecar_->Stats(&context, request, response);
}

grpc::Status Client::Cleanup(
    const sidecar::v1::CleanupRequest& request,
    const std::function<void(const sidecar::v1::CleanupResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Cleanup(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::GetServerInfo(sidecar::v1::GetServerInfoResponse* response) {
  grpc::ClientContext context;
  PrepareContext(context);
  return sidecar_->GetServerInfo(&context, sidecar::v1::GetServerInfoRequest(), response);
}

grpc::Status Client::ReadSidecar(const sidecar::v1::ReadSidecarRequest& request,
                                 sidecar::v1::ReadSidecarResponse* response) {
  grpc::ClientContext context;
  PrepareContext(context);
  return sidecar_->ReadSidecar(&context, request, response);
}

grpc::Status Client::SaveSidecar(const sidecar::v1::SaveSidecarRequest& request,
                                 sidecar::v1::SaveSidecarResponse* response) {
  grpc::ClientContext context;
  PrepareContext(context);
  return sidecar_->SaveSidecar(&context, request, response);
}

grpc::Status Client::Export(
    const sidecar::v1::ExportRequest& request,
    const std::function<void(const sidecar::v1::ExportResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Export(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::Convert(
    const sidecar::v1::ConvertRequest& request,
    const std::function<void(const sidecar::v1::ConvertResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Convert(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::CheckHealth(const std::string& service,
                                 HealthCheckResponse::ServingStatus* status) {
  grpc::ClientContext context;
  PrepareContext(context);
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status call = health_->Check(&context, request, &response);
  if (call.error_code() == grpc::StatusCode::NOT_FOUND) {
    *status = HealthCheckResponse::SERVICE_UNKNOWN;
    return grpc::Status::OK;
  }
  if (call.ok()) *status = response.status();
  return call;
}

bool Client::WaitForReady(std::chrono::milliseconds timeout) {
  return channel_->WaitForConnected(std::chrono::system_clock::now() + timeout);
}

bool Client::Connected() {
  return channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
}

void Client::PrepareContext(grpc::ClientContext& context) const {
  if (options_.timeout.count() > 0) {
    context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  }
}

}  // namespace sidecard
