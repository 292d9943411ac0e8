#include "server/daemon/metrics_endpoint.h"

#include <CivetServer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <limits>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/daemon/cache_metrics.h"
#include "server/daemon/listen_failure.h"
#include "server/daemon/process_metrics.h"

namespace sidecard::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric Gauge(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// The latency histogram in Prometheus buckets: three per decade, each
// counting the calls up to its bound, then +Inf.
ClientMetric Histogram(const std::string& method, const service::LatencyHistogram& latency) {
  ClientMetric metric;
  metric.label = {{"method", method}};
  metric.histogram.sample_count = static_cast<uint64_t>(latency.count());
  metric.histogram.sample_sum = latency.sum_seconds();
  const auto bounds = service::LatencyHistogram::UpperBounds();
  const auto& counts = latency.bucket_counts();
  int64_t cumulative = 0;
  size_t next = 0;
  for (size_t index : service::LatencyHistogram::CoarseBoundIndexes()) {
    for (; next <= index; ++next) cumulative += counts[next];
    metric.histogram.bucket.push_back({static_cast<uint64_t>(cumulative), bounds[index]});
  }
  metric.histogram.bucket.push_back(
      {static_cast<uint64_t>(latency.count()), std::numeric_limits<double>::infinity()});
  return metric;
}

ClientMetric Counter(const std::string& method, int64_t value) {
  ClientMetric metric;
  metric.label = {{"method", method}};
  metric.counter.value = static_cast<double>(value);
  return metric;
}

}  // namespace

// Reads the sources on each scrape, until StopReporting.
class MetricsEndpoint::Collector {
 public:
  explicit Collector(MetricsSources sources) : sources_(std::move(sources)) {}

  void StopReporting() {
    absl::MutexLock lock(&mutex_);
    reporting_ = false;
  }

  std::vector<MetricFamily> Collect() const {
    std::vector<MetricFamily> families =
        ProcessMetrics(sources_.start_time_seconds);  // reads no source
    absl::MutexLock lock(&mutex_);
    if (!reporting_) return families;
    const service::CallMetrics::Snapshot calls = sources_.calls->Get();
    MetricFamily totals{"sidecard_calls_total",
                        "Calls finished, by method and status code.",
                        MetricType::Counter,
                        {}};
    MetricFamily files{"sidecard_files_examined_total",
                       "Files the calls looked at (the log line's files=), by method.",
                       MetricType::Counter,
                       {}};
    MetricFamily invalid{"sidecard_invalid_sidecars_total",
                         "Sidecars Validate and Stats found invalid, by method.",
                         MetricType::Counter,
                         {}};
    MetricFamily orphans{"sidecard_orphans_total",
                         "Sidecars Validate, Stats and Cleanup found without their image, by "
                         "method.",
                         MetricType::Counter,
                         {}};
    MetricFamily durations{"sidecard_call_duration_seconds",
                           "Time from a call's arrival to its status, by method.",
                           MetricType::Histogram,
                           {}};
    for (const auto& [method, figures] : calls.methods) {
      for (const auto& [code, count] : figures.calls_by_code) {
        ClientMetric metric;
        metric.label = {{"method", method}, {"code", code}};
        metric.counter.value = static_cast<double>(count);
        totals.metric.push_back(std::move(metric));
      }
      durations.metric.push_back(Histogram(method, figures.latency));
      files.metric.push_back(Counter(method, figures.files));
      invalid.metric.push_back(Counter(method, figures.invalid_sidecars));
      orphans.metric.push_back(Counter(method, figures.orphans));
    }
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sources_.started).count();
    std::vector<MetricFamily> ours{
        std::move(totals),
        std::move(durations),
        std::move(files),
        std::move(invalid),
        std::move(orphans),
        {"sidecard_active_calls",
         "Calls running now.",
         MetricType::Gauge,
         {Gauge(calls.active_calls)}},
        {"sidecard_queued_tasks",
         "Tasks waiting in the worker pool's queue.",
         MetricType::Gauge,
         {Gauge(static_cast<double>(sources_.pool->queued()))}},
        {"sidecard_workers",
         "Threads of the worker pool.",
         MetricType::Gauge,
         {Gauge(static_cast<double>(sources_.pool->size()))}},
        {"sidecard_uptime_seconds",
         "Seconds since the daemon started.",
         MetricType::Gauge,
         {Gauge(uptime)}},
        {"sidecard_build_info",
         "The running version (always 1).",
         MetricType::Gauge,
         {Gauge(1, {{"version", sources_.version}})}},
    };
    if (sources_.cache != nullptr) {
      for (MetricFamily& family : CacheMetrics(sources_.cache->figures())) {
        ours.push_back(std::move(family));
      }
    }
    for (MetricFamily& family : ours) families.push_back(std::move(family));
    return families;
  }

 private:
  const MetricsSources sources_;
  mutable absl::Mutex mutex_;
  bool reporting_ ABSL_GUARDED_BY(mutex_) = true;
};

// Answers GET /metrics with the collector's figures in the text format.
class MetricsEndpoint::Handler final : public CivetHandler {
 public:
  explicit Handler(MetricsSources sources) : collector_(std::move(sources)) {}

  bool handleGet(CivetServer* /*server*/, mg_connection* connection) override {
    const std::string body = prometheus::TextSerializer().Serialize(collector_.Collect());
    mg_printf(connection,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n\r\n",
              body.size());
    mg_write(connection, body.data(), body.size());
    return true;
  }

  Collector& collector() { return collector_; }

 private:
  Collector collector_;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address,
                                                                        MetricsSources sources) {
  auto handler = std::make_unique<Handler>(std::move(sources));
  std::unique_ptr<CivetServer> server;
  try {
    server = std::make_unique<CivetServer>(
        std::vector<std::string>{"listening_ports", address, "num_threads", "1"});
  } catch (const std::exception& error) {
    // civetweb's reason is lost on the way ("null context when constructing
    // CivetServer"): name it by trying the bind.
    return absl::UnavailableError("--metrics-listen: " + ListenFailure(address, error.what()));
  }
  server->addHandler("/metrics", handler.get());
  const std::vector<int> ports = server->getListeningPorts();
  const std::string host = address.substr(0, address.rfind(':'));
  std::string url = "http://" + host + ":" +
                    (ports.empty() ? std::string("?") : std::to_string(ports[0])) + "/metrics";
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(handler), std::move(server), std::move(url)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Handler> handler,
                                 std::unique_ptr<CivetServer> server, std::string url)
    : handler_(std::move(handler)), server_(std::move(server)), url_(std::move(url)) {}

MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::StopReporting() { handler_->collector().StopReporting(); }

}  // namespace sidecard::daemon
