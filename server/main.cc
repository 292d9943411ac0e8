// sidecard: the daemon. Parses flags, builds the worker pool and the service,
// listens, answers health probes and reflection, serves Prometheus metrics
// when asked, and tells systemd how it is doing. SIGHUP reloads the log level
// and the allowed roots; SIGTERM/SIGINT reports NOT_SERVING, stops accepting
// calls, lets in-flight ones finish within a grace period, and exits 0.
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/daemon/logging.h"
#include "server/daemon/metrics_endpoint.h"
#include "server/daemon/reload.h"
#include "server/daemon/systemd_notify.h"
#include "server/daemon/watchdog.h"
#include "server/daemon_options.h"
#include "server/engine/image_locks.h"
#include "server/engine/metadata_cache.h"
#include "server/engine/path_text.h"
#include "server/engine/sidecar_inspector.h"
#include "server/engine/sidecar_store.h"
#include "server/engine/worker_pool.h"
#include "server/service/sidecar_service.h"

namespace sidecard {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kServiceName[] = "sidecar.v1.SidecarService";

// Blocks the signals the daemon handles, so the main thread can wait for them
// with sigtimedwait. Threads inherit the mask: this must run before any
// thread starts (gRPC's included), or a SIGHUP could kill the process.
sigset_t BlockDaemonSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Waits for one of `signals` (blocked) until `deadline`, if any. Returns the
// signal, or 0 when the deadline passed.
int WaitForSignal(const sigset_t& signals, std::optional<Clock::time_point> deadline) {
  while (true) {
    int signal_number = 0;
    if (!deadline) {
      signal_number = sigwaitinfo(&signals, nullptr);
    } else {
      const auto left = std::max(*deadline - Clock::now(), Clock::duration::zero());
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
      const timespec timeout{static_cast<time_t>(seconds.count()),
                             static_cast<long>((left - seconds) / std::chrono::nanoseconds(1))};
      signal_number = sigtimedwait(&signals, nullptr, &timeout);
      if (signal_number < 0 && errno == EAGAIN) return 0;
    }
    if (signal_number > 0) return signal_number;
  }
}

void SetServing(grpc::Server& server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService();
  health->SetServingStatus("", serving);
  health->SetServingStatus(kServiceName, serving);
}

// Builds and starts the gRPC server on every --listen address; null (with the
// reason logged) when one cannot be bound.
std::unique_ptr<grpc::Server> Listen(const DaemonOptions& options,
                                     service::SidecarService& service) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(options.listen.size(), 0);
  for (size_t i = 0; i < options.listen.size(); ++i) {
    // TLS and tokens for TCP listeners arrive with the LAN security work.
    builder.AddListeningPort(options.listen[i], grpc::InsecureServerCredentials(), &ports[i]);
  }
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::critical("cannot listen on the requested addresses (in use, or a missing directory?)");
    return nullptr;
  }
  for (size_t i = 0; i < options.listen.size(); ++i) {
    if (ports[i] == 0) {
      spdlog::critical("cannot listen on {}", options.listen[i]);
      server->Shutdown();
      return nullptr;
    }
  }
  return server;
}

// SIGHUP: re-reads the configuration and applies what can change (the
// Reloader logs the outcome); tells systemd, RELOADING=1 then READY=1.
void Reload(daemon::Reloader& reloader, const std::string& serving_status) {
  spdlog::info("received SIGHUP, reloading the configuration");
  daemon::NotifyReloading("reloading the configuration");
  const absl::Status reloaded = reloader.Reload();
  daemon::NotifyReady(
      reloaded.ok() ? serving_status
                    : serving_status + "; last reload failed: " + std::string(reloaded.message()));
}

// SIGTERM/SIGINT: NOT_SERVING at once. After the drain notice (cut short by
// another SIGTERM/SIGINT) the service refuses new calls (UNAVAILABLE) while
// running ones get the grace period; health probes are still answered
// (NOT_SERVING). Then the connections close and what still runs is cancelled.
void Drain(grpc::Server& server, service::SidecarService& service, const DaemonOptions& options,
           const sigset_t& signals, int signal_number) {
  spdlog::info("received {}, draining (grace period {}s)", strsignal(signal_number),
               options.grace_period_seconds);
  daemon::NotifyStopping("draining");
  SetServing(server, false);
  if (options.drain_notice_seconds > 0) {
    spdlog::info("reporting NOT_SERVING for {}s before refusing new calls",
                 options.drain_notice_seconds);
    const Clock::time_point notice_end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options.drain_notice_seconds));
    for (int again = -1; again != 0 && again != SIGTERM && again != SIGINT;) {
      again = WaitForSignal(signals, notice_end);
    }
  }
  if (!service.DrainUntil(absl::Now() + absl::Seconds(options.grace_period_seconds))) {
    spdlog::warn("grace period over; cancelling the calls still running");
  }
  server.Shutdown(std::chrono::system_clock::now());
  server.Wait();
}

// Ends the metrics endpoint without waiting for it: scrapes stop reading the
// daemon's figures at once, and the HTTP server, whose stop would wait for
// civetweb's next 2-second poll, ends with the process.
// It stays reachable from a static, so LeakSanitizer sees it is kept on
// purpose rather than lost.
void Abandon(std::unique_ptr<daemon::MetricsEndpoint> metrics) {
  if (metrics == nullptr) return;
  metrics->StopReporting();
  [[maybe_unused]] static daemon::MetricsEndpoint* left_to_the_exit = nullptr;
  left_to_the_exit = metrics.release();
}

int Run(const std::vector<std::string>& args, const DaemonOptions& options) {
  const Clock::time_point started = Clock::now();
  const sigset_t signals = BlockDaemonSignals();
  // Keeps the gRPC library initialised until the process ends. Otherwise
  // ~Server runs the final grpc_shutdown(), which joins gRPC's executor
  // threads; one may be polling until the grace-period timer fires, so the
  // exit could lag the drain by up to the grace period. The process ends
  // right after Run, so the library need not be torn down.
  grpc_init();
  daemon::ConfigureLogging(options.log_level);

  auto roots = engine::AllowedRoots::Create(options.allowed_roots);
  if (!roots.ok()) {
    spdlog::critical("{}", std::string(roots.status().message()));
    return 1;
  }
  std::unique_ptr<engine::ImageExtensions> custom_extensions;
  if (!options.image_extensions.empty()) {
    custom_extensions = std::make_unique<engine::ImageExtensions>(options.image_extensions);
  }
  engine::WorkerPool pool(static_cast<size_t>(options.workers));
  // The metadata cache answers repeated questions; without it every file is
  // read every time.
  engine::DirectInspector direct_inspector(options.max_sidecar_bytes);
  std::unique_ptr<engine::MetadataCache> cache;
  if (options.cache_max_bytes > 0) {
    cache =
        std::make_unique<engine::MetadataCache>(options.cache_max_bytes, options.max_sidecar_bytes);
  }
  engine::SidecarInspector& inspector =
      cache ? static_cast<engine::SidecarInspector&>(*cache) : direct_inspector;
  engine::ImageLocks image_locks;
  engine::SidecarStore store(image_locks, options.max_sidecar_bytes);
  service::ServiceConfig config{SIDECARD_VERSION, *roots, &pool, &inspector};
  if (custom_extensions) config.image_extensions = custom_extensions.get();
  config.image_locks = &image_locks;
  config.store = &store;
  config.cache = cache.get();
  config.max_sidecar_bytes = options.max_sidecar_bytes;
  config.max_payload_bytes = options.max_payload_bytes;
  config.default_save_format = *engine::FormatFromName(options.save_format);
  service::SidecarService service(std::move(config));

  std::unique_ptr<grpc::Server> server = Listen(options, service);
  if (server == nullptr) return 1;
  SetServing(*server, true);
  std::unique_ptr<daemon::MetricsEndpoint> metrics;
  if (!options.metrics_listen.empty()) {
    auto endpoint = daemon::MetricsEndpoint::Start(
        options.metrics_listen, {SIDECARD_VERSION, &service.call_metrics(), &pool, started});
    if (!endpoint.ok()) {
      spdlog::critical("{}", std::string(endpoint.status().message()));
      server->Shutdown();
      return 1;
    }
    metrics = *std::move(endpoint);
    spdlog::info("metrics at {}", metrics->url());
  }
  for (const std::string& root : roots->roots()) {
    spdlog::info("allowed root {}", engine::DisplayPath(root));
  }
  for (const std::string& address : options.listen) {
    spdlog::info("sidecard {} listening on {} with {} workers", SIDECARD_VERSION, address,
                 pool.size());
  }
  const std::string serving_status = "serving on " + absl::StrJoin(options.listen, ", ") +
                                     " with " + std::to_string(pool.size()) + " workers";
  daemon::NotifyReady(serving_status);
  std::optional<daemon::WatchdogPinger> watchdog;
  if (const auto timeout = daemon::WatchdogTimeout()) watchdog.emplace(*timeout);

  daemon::Reloader reloader(args, options,
                            {.set_log_level = daemon::SetLogLevel,
                             .set_allowed_roots = [&service](engine::AllowedRoots new_roots) {
                               service.SetAllowedRoots(std::move(new_roots));
                             }});
  int signal_number = 0;
  while ((signal_number = WaitForSignal(signals, std::nullopt)) == SIGHUP) {
    Reload(reloader, serving_status);
  }
  Drain(*server, service, reloader.running(), signals, signal_number);
  spdlog::info("stopped");
  Abandon(std::move(metrics));
  return 0;
}

}  // namespace
}  // namespace sidecard

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = sidecard::ParseDaemonOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "sidecard: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(sidecard::DaemonUsage().c_str(), stdout);
    return 0;
  }
  if (options->version) {
    std::printf("sidecard %s\n", SIDECARD_VERSION);
    return 0;
  }
  return sidecard::Run(args, *options);
}
