// The standard process metrics every Prometheus client exports
// (process_resident_memory_bytes, process_cpu_seconds_total,
// process_open_fds, ...), read from /proc and getrusage at each scrape.
#ifndef SIDECARD_SERVER_DAEMON_PROCESS_METRICS_H_
#define SIDECARD_SERVER_DAEMON_PROCESS_METRICS_H_

#include <prometheus/metric_family.h>

#include <vector>

namespace sidecard::daemon {

// `start_time_seconds`: when the process started, seconds since the epoch.
// A figure that cannot be read is left out rather than reported as 0.
std::vector<prometheus::MetricFamily> ProcessMetrics(double start_time_seconds);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_PROCESS_METRICS_H_
