// A C++ client of the sidecard daemon.
//
// One Client holds one channel to the daemon and makes blocking calls on it;
// it may be used from several threads at once. Every call returns the gRPC
// status of the call: OK, or the daemon's (or the transport's) error. The
// messages are those of proto/sidecar/v1/sidecar.proto.
//
//   sidecard::Client client({.address = sidecard::DefaultAddress(),
//                            .timeout = std::chrono::seconds(30)});
//   sidecar::v1::StatsRequest request;
//   request.set_root("/photos");
//   sidecar::v1::StatsResponse stats;
//   grpc::Status status = client.Stats(request, &stats);
//
// A path that may not be valid UTF-8 (any file name) goes into a request with
// SetRoot or SetImagePath of client/cpp/request_path.h.
#ifndef SIDECARD_CLIENT_CPP_CLIENT_H_
#define SIDECARD_CLIENT_CPP_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "client/cpp/request_path.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sidecar/v1/sidecar.grpc.pb.h"

namespace sidecard {

// The socket of the system's daemon.
inline constexpr char kSystemSocketAddress[] = "unix:/run/sidecard/sidecard.sock";

// The daemon's address when none is given, found as the Python client finds
// it (client/python/sidecard/autostart.py): $SIDECARD_ADDRESS when set and
// not empty; else kSystemSocketAddress when a daemon listens there; else the
// user's private daemon (the one SIDECARD_AUTOSTART starts) when one listens
// on <PrivateDaemonDirectory()>/sidecard.sock and that directory is the
// user's own, mode 0700; else kSystemSocketAddress. Never starts a daemon.
std::string DefaultAddress();

// The directory of the user's private daemon: $XDG_RUNTIME_DIR/sidecard when
// XDG_RUNTIME_DIR is an existing absolute directory, else /tmp/sidecard-<uid>.
std::string PrivateDaemonDirectory();

struct ClientOptions {
  // A gRPC target: "unix:/path/to.sock" or "host:port".
  std::string address;
  // Deadline of each call, counted from its start (for a streaming call, the
  // whole stream). Zero: no deadline.
  std::chrono::milliseconds timeout{0};
  // Attempts per call while the daemon is UNAVAILABLE (not listening yet,
  // restarting, draining), with exponential backoff from 100 ms to 1 s
  // (about 1.5 s in all at the most, 5 attempts). A streaming call is retried
  // only before its first message arrives. 1 turns retries off.
  int max_attempts = 5;
  // Sent as `authorization: Bearer <token>` with every call when not empty
  // (TCP listeners on a LAN require one).
  std::string token{};
  // TLS for TCP addresses (ignored for unix: ones): when `tls` is set, the
  // channel verifies the daemon's certificate against `tls_root_certificates`
  // (PEM text; empty: the system's roots) and, for mutual TLS, presents
  // `tls_client_certificate` and `tls_client_key` (PEM text).
  bool tls = false;
  std::string tls_root_certificates{};
  std::string tls_client_certificate{};
  std::string tls_client_key{};
};

class Client {
 public:
  // Creates the channel; connecting happens on the first call (or in
  // WaitForReady), so constructing never fails.
  explicit Client(ClientOptions options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Validates the sidecars under `request.root()`, calling `on_message` with
  // each streamed message as it arrives (batches of reports, then the
  // summary). The status tells whether the stream ended normally.
  grpc::Status Validate(
      const sidecar::v1::ValidateRequest& request,
      const std::function<void(const sidecar::v1::ValidateResponse&)>& on_message);

  // Counts images, sidecars and operations under `request.root()`.
  grpc::Status Stats(const sidecar::v1::StatsRequest& request,
                     sidecar::v1::StatsResponse* response);

  // Finds (and, if `request.mode()` says so, removes) orphaned sidecars,
  // calling `on_message` with each streamed message as it arrives.
  grpc::Status Cleanup(const sidecar::v1::CleanupRequest& request,
                       const std::function<void(const sidecar::v1::CleanupResponse&)>& on_message);

  // Describes the running daemon.
  grpc::Status GetServerInfo(sidecar::v1::GetServerInfoResponse* response);

  // Reads the sidecar document of the image `request.image_path()`.
  grpc::Status ReadSidecar(const sidecar::v1::ReadSidecarRequest& request,
                           sidecar::v1::ReadSidecarResponse* response);

  // Merges one operation's payload into the sidecar of the image
  // `request.image_path()`.
  grpc::Status SaveSidecar(const sidecar::v1::SaveSidecarRequest& request,
                           sidecar::v1::SaveSidecarResponse* response);

  // Exports the sidecars under `request.root()`, calling `on_message` with
  // each streamed message as it arrives (chunks of the output text, then the
  // summary).
  grpc::Status Export(const sidecar::v1::ExportRequest& request,
                      const std::function<void(const sidecar::v1::ExportResponse&)>& on_message);

  // Converts (or, unless `request.apply()`, says what it would convert) the
  // sidecars under `request.root()`, calling `on_message` with each streamed
  // message as it arrives.
  grpc::Status Convert(const sidecar::v1::ConvertRequest& request,
                       const std::function<void(const sidecar::v1::ConvertResponse&)>& on_message);

  // Prunes (or, unless `request.apply()`, says what it would prune) one
  // operation's results from the sidecars under `request.root()`, calling
  // `on_message` with each streamed message as it arrives.
  grpc::Status Prune(const sidecar::v1::PruneRequest& request,
                     const std::function<void(const sidecar::v1::PruneResponse&)>& on_message);
  // Finds the images under `request.root()` whose sidecars match the
  // request's predicates, calling `on_message` with each streamed message as
  // it arrives (batches of matches, then the summary).
  grpc::Status Find(const sidecar::v1::FindRequest& request,
                    const std::function<void(const sidecar::v1::FindResponse&)>& on_message);

  // Cleanup's quarantine under `request.root()`: lists its batches and
  // files, moves files back (unless `dry_run`), or deletes old batches
  // (unless `dry_run`), calling `on_message` with each streamed message.
  grpc::Status ListQuarantine(
      const sidecar::v1::ListQuarantineRequest& request,
      const std::function<void(const sidecar::v1::ListQuarantineResponse&)>& on_message);
  grpc::Status RestoreQuarantine(
      const sidecar::v1::RestoreQuarantineRequest& request,
      const std::function<void(const sidecar::v1::RestoreQuarantineResponse&)>& on_message);
  grpc::Status PurgeQuarantine(
      const sidecar::v1::PurgeQuarantineRequest& request,
      const std::function<void(const sidecar::v1::PurgeQuarantineResponse&)>& on_message);

  // Watches the sidecar files under `request.root()`, calling `on_message`
  // with each streamed message as it arrives (started, then resets and
  // changes) until it returns false (the call is then cancelled and the
  // status is CANCELLED) or the stream ends.
  grpc::Status Watch(const sidecar::v1::WatchRequest& request,
                     const std::function<bool(const sidecar::v1::WatchResponse&)>& on_message);

  // Asks the standard health service about `service` ("" for the daemon as
  // a whole). A service the daemon does not know is answered with OK and
  // SERVICE_UNKNOWN (the health service itself reports it as NOT_FOUND).
  grpc::Status CheckHealth(const std::string& service,
                           grpc::health::v1::HealthCheckResponse::ServingStatus* status);

  // Connects if not yet connected; returns whether the channel is ready
  // within `timeout`.
  bool WaitForReady(std::chrono::milliseconds timeout);

  // Returns whether the channel is connected to the daemon now, without
  // trying to connect. After a failed call, tells "never reached the daemon"
  // apart from "the daemon was reached but the call failed".
  bool Connected();

  const ClientOptions& options() const { return options_; }

 private:
  // Sets up `context` for one call (its deadline and token).
  void PrepareContext(grpc::ClientContext& context) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<sidecar::v1::SidecarService::Stub> sidecar_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_CLIENT_H_
