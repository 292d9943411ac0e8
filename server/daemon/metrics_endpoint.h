// MetricsEndpoint: Prometheus metrics over HTTP (--metrics-listen), served by
// civetweb at /metrics in prometheus-cpp's text format. Not through
// prometheus-cpp's Exposer: that adds its own exposer_* figures, whose
// latency summary reads NaN whenever no scrape came in the last minute. Each
// scrape reads the figures afresh:
//
//   sidecard_calls_total{method,code}          counter: calls finished
//   sidecard_call_duration_seconds{method}     histogram: call latency
//   sidecard_active_calls                      gauge: calls running now
//   sidecard_queued_tasks                      gauge: worker pool queue depth
//   sidecard_workers                           gauge: worker threads
//   sidecard_uptime_seconds                    gauge: seconds since start
//   sidecard_build_info{version}               gauge: always 1
//   sidecard_files_examined_total{method}      counter: files the calls looked at
//   sidecard_invalid_sidecars_total{method}    counter: sidecars found invalid
//   sidecard_orphans_total{method}             counter: sidecars found without image
//   sidecard_cache_*                           the metadata cache (cache_metrics.h)
//   process_*                                  the process (process_metrics.h)
#ifndef SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_
#define SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/service/call_metrics.h"

class CivetServer;

namespace sidecard::daemon {

// What the endpoint reports; everything must outlive the endpoint.
struct MetricsSources {
  std::string version;
  const service::CallMetrics* calls = nullptr;
  const engine::WorkerPool* pool = nullptr;
  std::chrono::steady_clock::time_point started;
  const engine::TreeCache* cache = nullptr;  // none: no sidecard_cache_* figures
  double start_time_seconds = 0;             // wall clock, seconds since the epoch
};

class MetricsEndpoint {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one). Unavailable
  // when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                                MetricsSources sources);
  ~MetricsEndpoint();

  // The URL it serves, with the port actually bound.
  const std::string& url() const { return url_; }

  // From now on scrapes read none of the sources (they may be destroyed
  // once this returns); waits for a scrape that is reading them. The HTTP
  // server keeps running until the endpoint is destroyed, which waits for
  // civetweb's next 2-second poll.
  void StopReporting();

 private:
  class Collector;
  class Handler;

  MetricsEndpoint(std::unique_ptr<Handler> handler, std::unique_ptr<CivetServer> server,
                  std::string url);

  // Declared first, so destroyed after the server that calls it.
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;
  std::string url_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_
