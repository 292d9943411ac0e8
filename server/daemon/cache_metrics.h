// The metadata cache's figures (what `sidecarctl info` shows) as Prometheus
// families: sizes as gauges, since-start tallies as `_total` counters.
#ifndef SIDECARD_SERVER_DAEMON_CACHE_METRICS_H_
#define SIDECARD_SERVER_DAEMON_CACHE_METRICS_H_

#include <prometheus/metric_family.h>

#include <vector>

#include "server/engine/cache/metadata_cache.h"

namespace sidecard::daemon {

std::vector<prometheus::MetricFamily> CacheMetrics(const engine::CacheFigures& figures);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_CACHE_METRICS_H_
