// Reading the daemon's Prometheus endpoint: a tiny HTTP client and the
// lookups the tests make in its text exposition and in the daemon's log.
#pragma once

#include <optional>
#include <string>

namespace sidecard::testing {

// GET http://127.0.0.1:<port><path> over a plain socket (HTTP/1.0, so the
// server closes the connection after the body). The whole response, headers
// included; empty when the connection fails.
std::string HttpGet(int port, const std::string& path);

// The value of the sample `series` (a metric name with its labels exactly as
// exposed, e.g. `sidecard_calls_total{method="Stats",code="OK"}`) in a
// Prometheus text exposition, or nullopt when absent.
std::optional<double> MetricValue(const std::string& text, const std::string& series);

// The port in the daemon's "metrics at http://127.0.0.1:PORT/metrics" line.
std::optional<int> MetricsPort(const std::string& log);

}  // namespace sidecard::testing
