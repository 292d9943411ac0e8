// sidecard: the daemon. Parses flags, builds the worker pool and the service,
// listens, answers health probes and reflection, serves Prometheus metrics
// when asked, and tells systemd how it is doing. Network listeners get TLS
// and need bearer tokens (server/service/authorization.h). SIGHUP reloads the
// log level, the allowed roots, the read-only mode and the tokens;
// SIGTERM/SIGINT reports NOT_SERVING, stops accepting calls, lets in-flight
// ones finish within a grace period, and exits 0.
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
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
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/daemon/allocator.h"
#include "server/daemon/daemon_options.h"
#include "server/daemon/daemon_usage.h"
#include "server/daemon/listen_failure.h"
#include "server/daemon/logging.h"
#include "server/daemon/metrics_endpoint.h"
#include "server/daemon/network_credentials.h"
#include "server/daemon/reload.h"
#include "server/daemon/socket_claim.h"
#include "server/daemon/startup_sweep.h"
#include "server/daemon/systemd_notify.h"
#include "server/daemon/token_file.h"
#include "server/daemon/watchdog.h"
#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/feed/change_feed.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/store/image_locks.h"
#include "server/engine/store/sidecar_store.h"
#include "server/service/reflection_v1.h"
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

// Sets the health of `server` and of the --health-listen server, if any.
void SetServing(grpc::Server& server, grpc::Server* health_server, bool serving) {
  for (grpc::Server* each : {&server, health_server}) {
    if (each == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = each->GetHealthCheckService();
    health->SetServingStatus("", serving);
    health->SetServingStatus(kServiceName, serving);
  }
}

// gRPC's share of the limits. Messages: as MessageLimitsFor says; a request
// or response beyond them gets RESOURCE_EXHAUSTED from gRPC (the service
// refuses a document too long to send before that, naming its file).
// Threads: each call runs on a gRPC thread, so they are capped a little above
// --max-concurrent-calls; the spare ones serve health probes and refuse excess
// calls with a clear message; past them gRPC itself answers RESOURCE_EXHAUSTED
// ("Server Threadpool Exhausted") instead of starting a thread per call.
void ApplyLimits(const DaemonOptions& options, grpc::ServerBuilder& builder) {
  const MessageLimits messages = MessageLimitsFor(options);
  builder.SetMaxReceiveMessageSize(messages.max_receive_bytes);
  builder.SetMaxSendMessageSize(messages.max_send_bytes);
  constexpr int kSpareThreads = 16;
  grpc::ResourceQuota quota("sidecard");
  quota.SetMaxThreads(options.max_concurrent_calls + kSpareThreads);
  builder.SetResourceQuota(quota);
}

// `address` with the port gRPC bound (for HOST:0, the one it picked).
std::string BoundAddress(const std::string& address, int port) {
  if (IsUnixSocketAddress(address)) return address;
  return address.substr(0, address.rfind(':') + 1) + std::to_string(port);
}

// How a listener is protected, for the start-up log.
std::string Protection(const DaemonOptions& options, const std::string& address) {
  if (IsUnixSocketAddress(address)) return "Unix socket, file permissions";
  if (options.tls_cert.empty()) return "PLAINTEXT (--insecure), bearer tokens";
  return options.tls_client_ca.empty() ? "TLS, bearer tokens" : "mutual TLS, bearer tokens";
}

// A started server and the addresses it listens on, ports resolved.
struct Listening {
  std::unique_ptr<grpc::Server> server;
  std::vector<std::string> addresses;
};

// Builds and starts a gRPC server with `service` (none: health and reflection
// only) on `addresses`, network ones with `network_credentials`; no server
// (with the reason logged) when one cannot be bound.
Listening Listen(const DaemonOptions& options, const std::vector<std::string>& addresses,
                 grpc::Service* service,
                 const std::shared_ptr<grpc::ServerCredentials>& network_credentials) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.SetOption(service::ReflectionV1Option());  // beside v1alpha, for current grpcurl
  std::vector<int> ports(addresses.size(), 0);
  for (size_t i = 0; i < addresses.size(); ++i) {
    // The Unix socket's file permissions say who may connect; network
    // listeners get TLS (plaintext only under --insecure).
    builder.AddListeningPort(
        addresses[i],
        IsUnixSocketAddress(addresses[i]) ? grpc::InsecureServerCredentials() : network_credentials,
        &ports[i]);
  }
  if (service != nullptr) builder.RegisterService(service);
  ApplyLimits(options, builder);
  // gRPC sets SO_REUSEPORT by default: a second daemon on the same port would
  // start too, and the kernel would split the connections between the two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  Listening listening{builder.BuildAndStart(), {}};
  if (listening.server == nullptr) {
    // gRPC binds the addresses in order and stops at the first that fails;
    // only the ports of those before it are set.
    const auto failed = std::find(ports.begin(), ports.end(), 0);
    if (failed == ports.end()) {
      spdlog::critical("cannot start the gRPC server on {}", absl::StrJoin(addresses, ", "));
    } else {
      spdlog::critical("{}", daemon::ListenFailure(addresses[failed - ports.begin()]));
    }
    return {};
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (ports[i] == 0) {
      spdlog::critical("{}", daemon::ListenFailure(addresses[i]));
      listening.server->Shutdown();
      return {};
    }
    listening.addresses.push_back(BoundAddress(addresses[i], ports[i]));
  }
  // gRPC's health service starts out SERVING; the daemon says so only once
  // every endpoint is up (see SetServing in main).
  SetServing(*listening.server, nullptr, false);
  return listening;
}

// The credentials of network listeners, after the loud warning that
// --insecure deserves; null (with the reason logged) when the TLS files are
// not right.
std::shared_ptr<grpc::ServerCredentials> NetworkCredentials(const DaemonOptions& options) {
  auto credentials = daemon::NetworkCredentials(options);
  if (!credentials.ok()) {
    spdlog::critical("{}", std::string(credentials.status().message()));
    return nullptr;
  }
  if (options.tls_cert.empty()) {
    for (const std::string& address : options.listen) {
      if (IsUnixSocketAddress(address)) continue;
      spdlog::warn(
          "INSECURE: --insecure: {} is PLAINTEXT; bearer tokens and sidecar data cross the "
          "network unencrypted and anyone on the path can read and replay them. Use "
          "--tls-cert and --tls-key outside a trusted test network",
          address);
    }
  }
  return *std::move(credentials);
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
void Drain(grpc::Server& server, grpc::Server* health_server, service::SidecarService& service,
           const DaemonOptions& options, const sigset_t& signals, int signal_number) {
  spdlog::info("received {}, draining (grace period {}s)", strsignal(signal_number),
               options.grace_period_seconds);
  daemon::NotifyStopping("draining");
  SetServing(server, health_server, false);
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
  if (health_server != nullptr) {
    health_server->Shutdown(std::chrono::system_clock::now());
    health_server->Wait();
  }
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
  const double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const sigset_t signals = BlockDaemonSignals();
  const bool returns_freed_memory = daemon::ReturnFreedMemory();  // before any thread starts
  // Keeps the gRPC library initialised until the process ends. Otherwise
  // ~Server runs the final grpc_shutdown(), which joins gRPC's executor
  // threads; one may be polling until the grace-period timer fires, so the
  // exit could lag the drain by up to the grace period. The process ends
  // right after Run, so the library need not be torn down.
  grpc_init();
  daemon::ConfigureLogging(options.log_level);
  if (!returns_freed_memory) {  // e.g. under a sanitizer's allocator
    spdlog::info("malloc's thresholds not set: freed memory may stay with the daemon");
  }

  // Before anything else: a daemon already serving a socket is left alone.
  std::vector<std::unique_ptr<daemon::SocketClaim>> socket_claims;
  for (const std::string& address : options.listen) {
    if (!IsUnixSocketAddress(address)) continue;
    auto claim = daemon::SocketClaim::Claim(address);
    if (!claim.ok()) {
      spdlog::critical("{}", std::string(claim.status().message()));
      return 1;
    }
    socket_claims.push_back(*std::move(claim));
  }

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
  std::unique_ptr<engine::DirectoryWatcher> watcher;
  if (options.watch && options.cache_max_bytes > 0) {
    auto created = engine::DirectoryWatcher::Create(options.max_watches);
    if (created.ok()) {
      watcher = *std::move(created);
      spdlog::info("watching cached directories with inotify (--no-watch turns this off)");
    } else {
      spdlog::warn("cannot watch directories: {}; checking stamps instead",
                   std::string(created.status().message()));
    }
  } else if (options.watch) {
    spdlog::info("no directory watches: the cache is off (--cache-max-bytes 0)");
  } else {
    spdlog::info("no directory watches (--no-watch): every cached file is proven by its stamp");
  }
  engine::TreeCache cache({options.cache_max_bytes, options.max_sidecar_bytes}, std::move(watcher));
  engine::ImageLocks image_locks;
  engine::SidecarStore store(
      image_locks, options.max_sidecar_bytes,
      custom_extensions ? custom_extensions.get() : &engine::ImageExtensions::Default());
  service::ServiceConfig config{SIDECARD_VERSION, *roots, &pool, &cache};
  if (custom_extensions) config.image_extensions = custom_extensions.get();
  // The change feed (Watch) has inotify watches of its own: whole trees, from
  // the first subscription on.
  std::unique_ptr<engine::ChangeFeed> change_feed;
  if (options.watch) {
    engine::ChangeFeedOptions feed_options;
    feed_options.queue_events = options.watch_queue_events;
    feed_options.image_extensions = config.image_extensions;
    feed_options.max_sidecar_bytes = options.max_sidecar_bytes;
    auto created = engine::ChangeFeed::Create(feed_options);
    if (created.ok()) {
      change_feed = *std::move(created);
    } else {
      spdlog::warn("no change feed (Watch answers FAILED_PRECONDITION): {}",
                   std::string(created.status().message()));
    }
  }
  config.change_feed = change_feed.get();
  config.image_locks = &image_locks;
  config.store = &store;
  config.max_sidecar_bytes = options.max_sidecar_bytes;
  config.max_payload_bytes = options.max_payload_bytes;
  config.max_response_bytes = static_cast<size_t>(MessageLimitsFor(options).max_send_bytes);
  config.default_save_format = *engine::FormatFromName(options.save_format);
  config.read_only = options.read_only;
  service::TokenTable start_tokens;  // for the reloader to tell what changed
  if (!options.token_file.empty()) {
    auto tokens = daemon::ReadTokenFile(options.token_file);
    if (!tokens.ok()) {
      spdlog::critical("{}", std::string(tokens.status().message()));
      return 1;
    }
    spdlog::info("bearer tokens: {} from {}", daemon::DescribeTokens(*tokens), options.token_file);
    config.tokens = *tokens;
    start_tokens = *std::move(tokens);
  }
  config.call_limits.max_concurrent_calls = options.max_concurrent_calls;
  config.call_limits.default_deadline = absl::Seconds(options.default_deadline_seconds);
  config.max_files_per_request = options.max_files_per_request;
  engine::SweepProgress sweep_progress;
  config.startup_sweep = &sweep_progress;
  service::SidecarService service(std::move(config));

  const std::shared_ptr<grpc::ServerCredentials> network_credentials = NetworkCredentials(options);
  if (network_credentials == nullptr) return 1;
  Listening listening = Listen(options, options.listen, &service, network_credentials);
  if (listening.server == nullptr) return 1;
  grpc::Server& server = *listening.server;
  Listening health;
  if (!options.health_listen.empty()) {
    health = Listen(options, {options.health_listen}, nullptr, grpc::InsecureServerCredentials());
    if (health.server == nullptr) {
      server.Shutdown();
      return 1;
    }
    spdlog::info("health checks (plaintext, health and reflection only) on {}",
                 health.addresses.front());
  }
  std::unique_ptr<daemon::MetricsEndpoint> metrics;
  if (!options.metrics_listen.empty()) {
    auto endpoint = daemon::MetricsEndpoint::Start(
        options.metrics_listen,
        {SIDECARD_VERSION, &service.call_metrics(), &pool, started, &cache, start_time});
    if (!endpoint.ok()) {
      spdlog::critical("{}", std::string(endpoint.status().message()));
      server.Shutdown();
      return 1;
    }
    metrics = *std::move(endpoint);
    spdlog::info("metrics at {}", metrics->url());
  }
  // SERVING only once every endpoint is up, so a probe that passes can rely on all of them.
  SetServing(server, health.server.get(), true);
  for (const std::string& root : roots->roots()) {
    spdlog::info("allowed root {}", engine::DisplayPath(root));
  }
  for (size_t i = 0; i < options.listen.size(); ++i) {
    spdlog::info("sidecard {} listening on {} ({}) with {} workers", SIDECARD_VERSION,
                 listening.addresses[i], Protection(options, options.listen[i]), pool.size());
  }
  if (options.read_only) spdlog::info("read-only: every call that changes files is refused");
  const std::string serving_status = "serving on " + absl::StrJoin(listening.addresses, ", ") +
                                     " with " + std::to_string(pool.size()) + " workers";
  daemon::NotifyReady(serving_status);
  std::optional<daemon::WatchdogPinger> watchdog;
  if (const auto timeout = daemon::WatchdogTimeout()) watchdog.emplace(*timeout);
  // Only now, so readiness never waits for it; the roots at start-up.
  std::optional<daemon::StartupSweep> sweep;
  sweep.emplace(*roots, options.read_only, &image_locks, &sweep_progress);
  const daemon::IdleMemoryTrimmer trimmer(service.call_metrics(), absl::Seconds(1));

  daemon::Reloader reloader(args, options,
                            {.set_log_level = daemon::SetLogLevel,
                             .set_allowed_roots =
                                 [&service](engine::AllowedRoots new_roots) {
                                   service.SetAllowedRoots(std::move(new_roots));
                                 },
                             .set_access =
                                 [&service](bool read_only, service::TokenTable tokens) {
                                   service.SetAccess(read_only, std::move(tokens));
                                 }},
                            std::move(start_tokens));
  int signal_number = 0;
  while ((signal_number = WaitForSignal(signals, std::nullopt)) == SIGHUP) {
    Reload(reloader, serving_status);
  }
  sweep.reset();  // stops it between files: shutdown does not wait for a big tree
  Drain(server, health.server.get(), service, reloader.running(), signals, signal_number);
  spdlog::info("stopped");
  Abandon(std::move(metrics));
  return 0;
}

}  // namespace
}  // namespace sidecard

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Abseil's documented default for optimised builds; Debian's libabsl is
  // built without NDEBUG, so every Mutex lock would otherwise also update a
  // global lock-order graph (a debugging aid, costly per call).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
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
