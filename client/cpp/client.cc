#include "client/cpp/client.h"

#include <google/protobuf/arena.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace sidecard {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// The credentials of the channel to the daemon: TLS when asked for a TCP
// address, else plaintext (a Unix socket is protected by its file
// permissions, and the daemon does not speak TLS on it).
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const ClientOptions& options) {
  if (!options.tls || options.address.rfind("unix:", 0) == 0) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certificates;
  ssl.pem_cert_chain = options.tls_client_certificate;
  ssl.pem_private_key = options.tls_client_key;
  return grpc::SslCredentials(ssl);
}

// gRPC's own retry policy: retries UNAVAILABLE with backoff, and a stream
// only until its first message has arrived (so nothing is seen twice).
grpc::ChannelArguments ChannelArguments(const ClientOptions& options) {
  grpc::ChannelArguments arguments;
  // Reconnect soon after a refused connection (a restarting daemon), so the
  // retries below find it back; gRPC's default first waits a whole second.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Messages of any size. The daemon bounds what it sends (a document by
  // --max-sidecar-bytes; one too long to send it refuses, naming the file),
  // so whatever it sends is read here: gRPC's default receive limit of 4 MiB
  // would fail a larger document with a transport error, and no fixed limit
  // could follow a daemon started with another --max-sidecar-bytes. What it
  // accepts is its own limit (--max-payload-bytes).
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetMaxSendMessageSize(-1);
  if (options.max_attempts > 1) {
    arguments.SetServiceConfigJSON(R"({"methodConfig": [{
        "name": [{"service": "sidecar.v1.SidecarService"}, {"service": "grpc.health.v1.Health"}],
        "retryPolicy": {"maxAttempts": )" +
                                   std::to_string(std::min(options.max_attempts, 5)) + R"(,
          "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
          "retryableStatusCodes": ["UNAVAILABLE"]}}]})");
  } else {
    arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  }
  return arguments;
}

// Reads every message of a server stream into `on_message`, then returns
// how the stream ended. Memory stays bounded by one message however long
// the stream is.
template <typename Response>
grpc::Status ReadStream(grpc::ClientReader<Response>& reader,
                        const std::function<void(const Response&)>& on_message) {
  // Each message is read into an arena of its own: a stream of thousands
  // of small results (file reports) then costs no allocation per result.
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  while (true) {
    google::protobuf::Arena arena(options);
    auto* message = google::protobuf::Arena::CreateMessage<Response>(&arena);
    if (!reader.Read(message)) break;
    on_message(*message);
  }
  return reader.Finish();
}

// Whether a Unix socket at `path` accepts a connection now (a full backlog
// counts): a daemon listens there.
bool SocketAnswers(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ||
      errno == EAGAIN || errno == EINPROGRESS;
  close(fd);
  return answers;
}

// Whether `directory` is a directory of this user that nobody else may use
// (what the Python client demands before it starts a daemon there): another
// user's /tmp/sidecard-<uid> must not stand in for ours.
bool PrivateToThisUser(const std::string& directory) {
  struct stat st {};
  return lstat(directory.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
         (st.st_mode & (S_IRWXG | S_IRWXO)) == 0;
}

}  // namespace

std::string PrivateDaemonDirectory() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  struct stat st {};
  if (runtime != nullptr && runtime[0] == '/' && stat(runtime, &st) == 0 && S_ISDIR(st.st_mode)) {
    return std::string(runtime) + "/sidecard";
  }
  return "/tmp/sidecard-" + std::to_string(getuid());
}

std::string DefaultAddress() {
  const char* address = std::getenv("SIDECARD_ADDRESS");
  if (address != nullptr && *address != '\0') return address;
  const std::string system_socket = std::string(kSystemSocketAddress).substr(5);
  if (SocketAnswers(system_socket)) return kSystemSocketAddress;
  const std::string directory = PrivateDaemonDirectory();
  const std::string private_socket = directory + "/sidecard.sock";
  if (PrivateToThisUser(directory) && SocketAnswers(private_socket))
    return "unix:" + private_socket;
  return kSystemSocketAddress;  // what "cannot reach" should name
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateCustomChannel(options_.address, ChannelCredentials(options_),
                                         ChannelArguments(options_))),
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

grpc::Status Client::Watch(
    const sidecar::v1::WatchRequest& request,
    const std::function<bool(const sidecar::v1::WatchResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Watch(&context, request);
  sidecar::v1::WatchResponse message;
  while (reader->Read(&message)) {
    if (!on_message(message)) {
      context.TryCancel();
      break;
    }
  }
  return reader->Finish();
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

grpc::Status Client::Find(const sidecar::v1::FindRequest& request,
                          const std::function<void(const sidecar::v1::FindResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Find(&context, request);
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

grpc::Status Client::Prune(
    const sidecar::v1::PruneRequest& request,
    const std::function<void(const sidecar::v1::PruneResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->Prune(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::ListQuarantine(
    const sidecar::v1::ListQuarantineRequest& request,
    const std::function<void(const sidecar::v1::ListQuarantineResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->ListQuarantine(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::RestoreQuarantine(
    const sidecar::v1::RestoreQuarantineRequest& request,
    const std::function<void(const sidecar::v1::RestoreQuarantineResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->RestoreQuarantine(&context, request);
  return ReadStream(*reader, on_message);
}

grpc::Status Client::PurgeQuarantine(
    const sidecar::v1::PurgeQuarantineRequest& request,
    const std::function<void(const sidecar::v1::PurgeQuarantineResponse&)>& on_message) {
  grpc::ClientContext context;
  PrepareContext(context);
  auto reader = sidecar_->PurgeQuarantine(&context, request);
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
  if (!options_.token.empty()) context.AddMetadata("authorization", "Bearer " + options_.token);
}

}  // namespace sidecard
