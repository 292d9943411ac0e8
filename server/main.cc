// sidecard: the daemon. Parses flags, builds the worker pool and the service,
// listens, answers health probes and reflection, and on SIGTERM/SIGINT stops
// accepting calls, lets in-flight ones finish within a grace period, and
// exits 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

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

constexpr char kServiceName[] = "sidecar.v1.SidecarService";

void ConfigureLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("sidecard");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// Blocks the stop signals in every thread (threads inherit the mask), so the
// main thread can wait for them with sigwait.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Run(const DaemonOptions& options) {
  const sigset_t stop_signals = BlockStopSignals();
  ConfigureLogging(options.log_level);

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
    return 1;
  }
  for (size_t i = 0; i < options.listen.size(); ++i) {
    if (ports[i] == 0) {
      spdlog::critical("cannot listen on {}", options.listen[i]);
      server->Shutdown();
      return 1;
    }
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(kServiceName, true);
  for (const std::string& root : roots->roots()) {
    spdlog::info("allowed root {}", engine::DisplayPath(root));
  }
  for (const std::string& address : options.listen) {
    spdlog::info("sidecard {} listening on {} with {} workers", SIDECARD_VERSION, address,
                 pool.size());
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}, draining (grace period {}s)", strsignal(signal_number),
               options.grace_period_seconds);
  health->SetServingStatus("", false);
  health->SetServingStatus(kServiceName, false);
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options.grace_period_seconds * 1000));
  server->Shutdown(deadline);
  server->Wait();
  spdlog::info("stopped");
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
  return sidecard::Run(*options);
}
