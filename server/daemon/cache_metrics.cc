#include "server/daemon/cache_metrics.h"

#include <cstdint>
#include <string>
#include <utility>

namespace sidecard::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily One(std::string name, std::string help, MetricType type, int64_t value) {
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = static_cast<double>(value);
  } else {
    metric.gauge.value = static_cast<double>(value);
  }
  return MetricFamily{
      "sidecard_cache_" + std::move(name), std::move(help), type, {std::move(metric)}};
}

}  // namespace

std::vector<MetricFamily> CacheMetrics(const engine::CacheFigures& figures) {
  constexpr MetricType kGauge = MetricType::Gauge;
  constexpr MetricType kCounter = MetricType::Counter;
  return {
      One("enabled", "1 when the metadata cache is on (--cache-max-bytes above 0).", kGauge,
          figures.enabled ? 1 : 0),
      One("entries", "Sidecar files whose analysis is held.", kGauge, figures.entries),
      One("bytes", "Estimated memory the cache holds, bytes.", kGauge, figures.bytes),
      One("max_bytes", "The cache's memory bound, bytes.", kGauge, figures.max_bytes),
      One("hits_total", "Inspections answered from memory.", kCounter, figures.hits),
      One("misses_total", "Inspections that read the file.", kCounter, figures.misses),
      One("evictions_total", "Entries dropped to stay within the bound.", kCounter,
          figures.evictions),
      One("directories", "Directories whose listing is held.", kGauge, figures.directories),
      One("listing_hits_total", "Directories not listed again.", kCounter, figures.listing_hits),
      One("watches", "Directories watched with inotify.", kGauge, figures.watches),
      One("directory_tallies", "Per-directory Validate and Stats results held.", kGauge,
          figures.directory_tallies),
      One("directory_tally_hits_total", "Directories answered from a held result.", kCounter,
          figures.directory_tally_hits),
      One("watch_overflows_total", "Times inotify lost events.", kCounter, figures.watch_overflows),
      One("watch_refusals_total", "Watches not added because a limit was reached.", kCounter,
          figures.watch_refusals),
      One("unwatchable_scans_total", "Scans of directories on filesystems inotify cannot watch.",
          kCounter, figures.unwatchable_scans),
      One("watch_links_seen_total", "New hard links seen in watched directories.", kCounter,
          figures.watch_links_seen),
  };
}

}  // namespace sidecard::daemon
