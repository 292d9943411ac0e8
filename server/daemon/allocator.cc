#include "server/daemon/allocator.h"

#include <malloc.h>

#include <cstdint>

namespace sidecard::daemon {

bool ReturnFreedMemory() {
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
}

IdleMemoryTrimmer::IdleMemoryTrimmer(const service::CallMetrics& metrics, absl::Duration period)
    : metrics_(metrics), thread_([this, period] { Run(period); }) {}

IdleMemoryTrimmer::~IdleMemoryTrimmer() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  thread_.join();
}

void IdleMemoryTrimmer::Run(absl::Duration period) {
  int64_t calls_at_last_trim = 0;
  absl::MutexLock lock(&mutex_);
  // Wakes early only to stop.
  while (!mutex_.AwaitWithTimeout(absl::Condition(&stop_), period)) {
    const service::CallMetrics::Snapshot snapshot = metrics_.Get();
    int64_t calls = 0;
    for (const auto& [method, figures] : snapshot.methods) calls += figures.calls;
    if (snapshot.active_calls == 0 && calls != calls_at_last_trim) {
      malloc_trim(0);
      calls_at_last_trim = calls;
    }
  }
}

}  // namespace sidecard::daemon
