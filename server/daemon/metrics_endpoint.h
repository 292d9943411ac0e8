// MetricsEndpoint: Prometheus metrics over HTTP (--metrics-listen), served by
// prometheus-cpp's Exposer (civetweb) at /metrics in the text format. Each
// scrape reads the figures afresh:
//
//   sidecard_calls_total{method,code}          counter: calls finished
//   sidecard_call_duration_seconds{method}     histogram: call latency
//   sidecard_active_calls                      gauge: calls running now
//   sidecard_queued_tasks                      gauge: worker pool queue depth
//   sidecard_workers                           gauge: worker threads
//   sidecard_uptime_seconds                    gauge: seconds since start
//   sidecard_build_info{version}               gauge: always 1
#ifndef SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_
#define SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/engine/base/worker_pool.h"
#include "server/service/call_metrics.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace sidecard::daemon {

// What the endpoint reports; everything must outlive the endpoint.
struct MetricsSources {
  std::string version;
  const service::CallMetrics* calls = nullptr;
  const engine::WorkerPool* pool = nullptr;
  std::chrono::steady_clock::time_point started;
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

  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                  std::shared_ptr<Collector> collector, std::string url);

  // Declared first so that the exposer, which scrapes it, goes first.
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string url_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_METRICS_ENDPOINT_H_
