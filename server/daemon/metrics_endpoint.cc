#include "server/daemon/metrics_endpoint.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <exception>
#include <limits>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/daemon/listen_failure.h"

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

}  // namespace

// Reads the sources on each scrape, until StopReporting.
class MetricsEndpoint::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(MetricsSources sources) : sources_(std::move(sources)) {}

  void StopReporting() {
    absl::MutexLock lock(&mutex_);
    reporting_ = false;
  }

  std::vector<MetricFamily> Collect() const override {
    absl::MutexLock lock(&mutex_);
    if (!reporting_) return {};
    const service::CallMetrics::Snapshot calls = sources_.calls->Get();
    MetricFamily totals{"sidecard_calls_total",
                        "Calls finished, by method and status code.",
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
    }
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sources_.started).count();
    return {
        std::move(totals),
        std::move(durations),
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
  }

 private:
  const MetricsSources sources_;
  mutable absl::Mutex mutex_;
  bool reporting_ ABSL_GUARDED_BY(mutex_) = true;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address,
                                                                        MetricsSources sources) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& error) {
    // civetweb's reason is lost on the way ("null context when constructing
    // CivetServer"): name it by trying the bind.
    return absl::UnavailableError("--metrics-listen: " + ListenFailure(address, error.what()));
  }
  auto collector = std::make_shared<Collector>(std::move(sources));
  exposer->RegisterCollectable(collector);
  const std::vector<int> ports = exposer->GetListeningPorts();
  const std::string host = address.substr(0, address.rfind(':'));
  std::string url = "http://" + host + ":" +
                    (ports.empty() ? std::string("?") : std::to_string(ports[0])) + "/metrics";
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(exposer), std::move(collector), std::move(url)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                                 std::shared_ptr<Collector> collector, std::string url)
    : collector_(std::move(collector)), exposer_(std::move(exposer)), url_(std::move(url)) {}

MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::StopReporting() { collector_->StopReporting(); }

}  // namespace sidecard::daemon
