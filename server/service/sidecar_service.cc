#include "server/service/sidecar_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "server/engine/fs/path_text.h"
#include "server/engine/ops/cleanup.h"
#include "server/engine/ops/stats.h"
#include "server/engine/ops/validate.h"
#include "server/service/proto_mapping.h"
#include "server/service/report_encoding.h"
#include "server/service/request_checks.h"
#include "server/service/status_mapping.h"
#include "server/service/streaming.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

// Whether a Cleanup in `mode` removes files (anything but a dry run; an
// unknown mode counts as removing, and is refused later as invalid).
bool CleansUpForReal(v1::CleanupMode mode) {
  return mode != v1::CLEANUP_MODE_UNSPECIFIED && mode != v1::CLEANUP_MODE_DRY_RUN;
}

}  // namespace

SidecarService::SidecarService(ServiceConfig config)
    : config_(std::move(config)),
      roots_(std::make_shared<const engine::AllowedRoots>(config_.allowed_roots)),
      authorization_(config_.read_only, config_.tokens),
      metrics_(config_.call_limits),
      started_(std::chrono::steady_clock::now()) {}

bool SidecarService::DrainUntil(absl::Time deadline) {
  metrics_.BeginDraining();
  // Watch streams never end on their own: end them, so the drain waits
  // only for calls that finish.
  if (config_.change_feed != nullptr) config_.change_feed->Close();
  return metrics_.WaitUntilIdle(deadline);
}

void SidecarService::SetAllowedRoots(engine::AllowedRoots roots) {
  auto shared = std::make_shared<const engine::AllowedRoots>(std::move(roots));
  absl::MutexLock lock(&roots_mutex_);
  roots_ = std::move(shared);
}

void SidecarService::SetAccess(bool read_only, TokenTable tokens) {
  authorization_.Set(read_only, std::move(tokens));
}

grpc::Status SidecarService::Admit(const CallScope& call, const grpc::ServerContext& context,
                                   Access access) const {
  if (!call.admitted()) return call.refusal();
  return authorization_.Check(context, call.method(), access);
}

std::shared_ptr<const engine::AllowedRoots> SidecarService::roots() const {
  absl::MutexLock lock(&roots_mutex_);
  return roots_;
}

engine::EngineContext SidecarService::MakeContext(const engine::AllowedRoots& roots) const {
  return engine::EngineContext{config_.pool, config_.cache, &roots, config_.image_extensions,
                               config_.max_files_per_request};
}

grpc::Status SidecarService::Validate(grpc::ServerContext* context,
                                      const v1::ValidateRequest* request,
                                      grpc::ServerWriter<v1::ValidateResponse>* writer) {
  CallScope call(metrics_, "Validate", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckOperationFilter(request->operation_filter()); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  engine::ValidateOptions options;
  options.recursive = !request->non_recursive();
  options.counting.operation_filter = request->operation_filter();
  options.summary_only = request->summary_only();
  options.encode_report = EncodeReportBody;
  BatchWriter<v1::ValidateResponse> batches(writer, batch_size);
  auto summary = engine::ValidateTree(*root, options, MakeContext(*allowed), call.cancellation(),
                                      [&](std::span<const engine::ValidatedFile> files) {
                                        for (const engine::ValidatedFile& file : files) {
                                          v1::ValidateResponse* message = batches.Next();
                                          if (message == nullptr) return false;
                                          AddEncodedReport(file, *message);
                                        }
                                        return true;
                                      });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->total_files);
  call.add_invalid_sidecars(summary->invalid_files);
  call.add_orphans(summary->orphans);
  v1::ValidateResponse final_message;
  FillValidateSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) {
    return call.Finish(ClientGone());
  }
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::Stats(grpc::ServerContext* context, const v1::StatsRequest* request,
                                   v1::StatsResponse* response) {
  CallScope call(metrics_, "Stats", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  if (auto checked = CheckOperationFilter(request->operation_filter()); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  engine::StatsOptions options;
  options.recursive = !request->non_recursive();
  options.counting.operation_filter = request->operation_filter();
  auto stats = engine::ComputeStats(*root, options, MakeContext(*allowed), call.cancellation());
  if (!stats.ok()) return call.Finish(StoppedStatus(context, stats.status()));
  call.add_files(stats->total_sidecar_files + stats->total_images);
  call.add_invalid_sidecars(stats->invalid_sidecars);
  call.add_orphans(stats->orphaned_sidecars);
  FillStats(*stats, *response);
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::Cleanup(grpc::ServerContext* context,
                                     const v1::CleanupRequest* request,
                                     grpc::ServerWriter<v1::CleanupResponse>* writer) {
  CallScope call(metrics_, "Cleanup", *context);
  if (auto refused =
          Admit(call, *context, CleansUpForReal(request->mode()) ? Access::kWrite : Access::kRead);
      !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  if (request->min_age_seconds() < 0) {
    return call.Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "min_age_seconds: must not be negative"));
  }
  if (!v1::CleanupMode_IsValid(request->mode())) {
    return call.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "mode: unknown value"));
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  engine::CleanupOptions options;
  options.recursive = !request->non_recursive();
  options.mode = FromProto(request->mode());
  options.min_age = absl::Seconds(request->min_age_seconds());
  options.image_locks = config_.image_locks;
  BatchWriter<v1::CleanupResponse> batches(writer, batch_size);
  auto summary = engine::CleanupTree(*root, options, MakeContext(*allowed), call.cancellation(),
                                     [&](std::span<const engine::CleanupResult> results) {
                                       for (const engine::CleanupResult& result : results) {
                                         v1::CleanupResponse* message = batches.Next();
                                         if (message == nullptr) return false;
                                         FillCleanupResult(result, *message->add_results());
                                       }
                                       return true;
                                     });
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->sidecars_examined);
  call.add_orphans(summary->orphans_found);
  v1::CleanupResponse final_message;
  FillCleanupSummary(*summary, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) {
    return call.Finish(ClientGone());
  }
  return call.Finish(grpc::Status::OK);
}

grpc::Status SidecarService::GetServerInfo(grpc::ServerContext* context,
                                           const v1::GetServerInfoRequest* /*request*/,
                                           v1::GetServerInfoResponse* response) {
  CallScope call(metrics_, "GetServerInfo", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  response->set_version(config_.version);
  response->set_uptime_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  response->set_workers(static_cast<int32_t>(config_.pool->size()));
  for (const std::string& root : roots()->roots()) {
    response->add_allowed_roots(engine::DisplayPath(root));
  }
  const CallMetrics::Snapshot snapshot = metrics_.Get();
  for (const auto& [method, figures] : snapshot.methods) {
    (*response->mutable_calls_by_method())[method] = figures.calls;
    v1::MethodFigures& out = *response->add_methods();
    out.set_method(method);
    out.set_calls(figures.calls);
    out.set_failed_calls(figures.failed_calls);
    for (const auto& [code, count] : figures.calls_by_code) {
      (*out.mutable_calls_by_status())[code] = count;
    }
    out.set_latency_p50_ms(figures.latency.Quantile(0.50) * 1000);
    out.set_latency_p90_ms(figures.latency.Quantile(0.90) * 1000);
    out.set_latency_p99_ms(figures.latency.Quantile(0.99) * 1000);
    out.set_latency_max_ms(figures.latency.max_seconds() * 1000);
  }
  // The --log-level names (spdlog's own say "warning" for warn).
  static constexpr const char* kLevelNames[] = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  response->set_log_level(kLevelNames[static_cast<size_t>(spdlog::get_level())]);
  response->set_failed_calls(snapshot.failed_calls);
  response->set_active_calls(snapshot.active_calls);
  response->set_queued_tasks(static_cast<int32_t>(config_.pool->queued()));
  response->set_pid(getpid());
  if (config_.cache != nullptr && config_.cache->enabled())
    FillCacheFigures(config_.cache->figures(), *response->mutable_cache());
  if (config_.startup_sweep != nullptr) {
    FillSweepFigures(config_.startup_sweep->Get(), *response->mutable_startup_sweep());
  }
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
