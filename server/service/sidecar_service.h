// sidecar.v1.SidecarService: checks each request, resolves its paths inside
// the allowed roots, runs the engine operation on the shared worker pool and
// maps results and errors to messages and status codes.
#ifndef SIDECARD_SERVER_SERVICE_SIDECAR_SERVICE_H_
#define SIDECARD_SERVER_SERVICE_SIDECAR_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/feed/change_feed.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/ops/engine_context.h"
#include "server/engine/recovery/working_file_sweep.h"
#include "server/engine/store/image_locks.h"
#include "server/engine/store/sidecar_store.h"
#include "server/service/authorization.h"
#include "server/service/call_metrics.h"
#include "sidecar/v1/sidecar.grpc.pb.h"

namespace sidecard::service {

struct ServiceConfig {
  std::string version;
  engine::AllowedRoots allowed_roots;
  engine::WorkerPool* pool = nullptr;
  // What is remembered between calls (files, listings, tallies, watches).
  engine::TreeCache* cache = nullptr;
  const engine::ImageExtensions* image_extensions = &engine::ImageExtensions::Default();
  // Serialises writes (saves, conversions) to one image's sidecar.
  engine::ImageLocks* image_locks = nullptr;
  // Reads and saves one image's sidecar (shares image_locks).
  engine::SidecarStore* store = nullptr;
  // Format SaveSidecar writes when the request does not say.
  engine::SidecarFormat default_save_format = engine::SidecarFormat::kBin;
  // Largest accepted SaveSidecar payload, bytes.
  size_t max_payload_bytes = 16u << 20;
  // Largest sidecar file read, bytes.
  size_t max_sidecar_bytes = 256u << 20;
  // Largest response the daemon sends (its gRPC send limit), bytes:
  // ReadSidecar refuses a longer document itself, naming the file.
  size_t max_response_bytes = (256u << 20) * 2 + (1u << 20);
  // Security: --read-only, and the bearer tokens that calls over TCP need.
  bool read_only = false;
  TokenTable tokens{};
  // Limits: calls at once and the deadline of calls without one.
  CallLimits call_limits{};
  // Most files (images and sidecars) one tree call may find; 0: no limit.
  int64_t max_files_per_request = 0;
  // The change feed Watch serves; null with --no-watch.
  engine::ChangeFeed* change_feed = nullptr;
  // The start-up sweep of stray working files, for its figures; null: none.
  const engine::SweepProgress* startup_sweep = nullptr;
};

class SidecarService final : public sidecar::v1::SidecarService::Service {
 public:
  explicit SidecarService(ServiceConfig config);

  // Refuses new calls (UNAVAILABLE) from now on, then waits until running
  // calls finish or `deadline` passes; true when none is left.
  bool DrainUntil(absl::Time deadline);

  // Replaces the allowed roots; calls already running keep the old ones.
  void SetAllowedRoots(engine::AllowedRoots roots);

  // Replaces the read-only mode and the tokens; calls already admitted go on.
  void SetAccess(bool read_only, TokenTable tokens);

  // The counters and latencies of the calls served (for the metrics endpoint).
  const CallMetrics& call_metrics() const { return metrics_; }

  grpc::Status Validate(grpc::ServerContext* context, const sidecar::v1::ValidateRequest* request,
                        grpc::ServerWriter<sidecar::v1::ValidateResponse>* writer) override;
  grpc::Status Stats(grpc::ServerContext* context, const sidecar::v1::StatsRequest* request,
                     sidecar::v1::StatsResponse* response) override;
  grpc::Status Cleanup(grpc::ServerContext* context, const sidecar::v1::CleanupRequest* request,
                       grpc::ServerWriter<sidecar::v1::CleanupResponse>* writer) override;
  grpc::Status GetServerInfo(grpc::ServerContext* context,
                             const sidecar::v1::GetServerInfoRequest* request,
                             sidecar::v1::GetServerInfoResponse* response) override;

  // One image (sidecar_service_image.cc).
  grpc::Status ReadSidecar(grpc::ServerContext* context,
                           const sidecar::v1::ReadSidecarRequest* request,
                           sidecar::v1::ReadSidecarResponse* response) override;
  grpc::Status SaveSidecar(grpc::ServerContext* context,
                           const sidecar::v1::SaveSidecarRequest* request,
                           sidecar::v1::SaveSidecarResponse* response) override;

  // Whole trees, rewriting or exporting (sidecar_service_bulk.cc).
  grpc::Status Export(grpc::ServerContext* context, const sidecar::v1::ExportRequest* request,
                      grpc::ServerWriter<sidecar::v1::ExportResponse>* writer) override;
  grpc::Status Convert(grpc::ServerContext* context, const sidecar::v1::ConvertRequest* request,
                       grpc::ServerWriter<sidecar::v1::ConvertResponse>* writer) override;
  grpc::Status Prune(grpc::ServerContext* context, const sidecar::v1::PruneRequest* request,
                     grpc::ServerWriter<sidecar::v1::PruneResponse>* writer) override;

  // Cleanup's quarantine (sidecar_service_quarantine.cc).
  grpc::Status ListQuarantine(
      grpc::ServerContext* context, const sidecar::v1::ListQuarantineRequest* request,
      grpc::ServerWriter<sidecar::v1::ListQuarantineResponse>* writer) override;
  grpc::Status RestoreQuarantine(
      grpc::ServerContext* context, const sidecar::v1::RestoreQuarantineRequest* request,
      grpc::ServerWriter<sidecar::v1::RestoreQuarantineResponse>* writer) override;
  grpc::Status PurgeQuarantine(
      grpc::ServerContext* context, const sidecar::v1::PurgeQuarantineRequest* request,
      grpc::ServerWriter<sidecar::v1::PurgeQuarantineResponse>* writer) override;
  grpc::Status Find(grpc::ServerContext* context, const sidecar::v1::FindRequest* request,
                    grpc::ServerWriter<sidecar::v1::FindResponse>* writer) override;

  // The change feed (sidecar_service_watch.cc).
  grpc::Status Watch(grpc::ServerContext* context, const sidecar::v1::WatchRequest* request,
                     grpc::ServerWriter<sidecar::v1::WatchResponse>* writer) override;

 private:
  // The roots in force for one call.
  std::shared_ptr<const engine::AllowedRoots> roots() const;
  engine::EngineContext MakeContext(const engine::AllowedRoots& roots) const;
  // Whether the call may start: UNAVAILABLE while draining, else the
  // authorization's verdict for `access`. Every handler begins with it.
  grpc::Status Admit(const CallScope& call, const grpc::ServerContext& context,
                     Access access) const;

  ServiceConfig config_;
  mutable absl::Mutex roots_mutex_;
  std::shared_ptr<const engine::AllowedRoots> roots_ ABSL_GUARDED_BY(roots_mutex_);
  Authorization authorization_;
  CallMetrics metrics_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_SIDECAR_SERVICE_H_
