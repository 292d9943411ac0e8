// How the daemon's allocator (glibc malloc) gives memory back.
//
// Every gRPC call runs on its own thread, and glibc gives threads up to
// 8 x cores arenas. By default a freed block above 128 KiB raises malloc's
// mmap and trim thresholds to that block's size (up to 32 MiB and 64 MiB),
// so after one export of a 15 MiB sidecar every arena keeps tens of MiB of
// free memory at its top and never returns it: 30 cancelled exports of such
// a tree left 254 MiB resident with 0.4 MiB in use (malloc_stats), and
// malloc_trim(0) gave back little of it (it leaves the top of thread arenas
// alone).
#ifndef SIDECARD_SERVER_DAEMON_ALLOCATOR_H_
#define SIDECARD_SERVER_DAEMON_ALLOCATOR_H_

#include <cstddef>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/service/call_metrics.h"

namespace sidecard::daemon {

// Blocks of at least this size get their own mapping, returned on free.
inline constexpr size_t kMmapThresholdBytes = 1u << 20;
// An arena returns free memory at its top beyond this.
inline constexpr size_t kTrimThresholdBytes = 1u << 20;

// Fixes both thresholds (which turns glibc's dynamic raising off), so large
// buffers (file bytes, rendered documents) are unmapped when freed and an
// arena keeps at most kTrimThresholdBytes free at its top. Call before any
// thread starts. Returns false if glibc refused.
bool ReturnFreedMemory();

// While no call runs, once calls have ended since the last time, gives the
// free memory between live blocks of malloc's arenas back (malloc_trim),
// checking every `period`. The thresholds cannot: many calls at once leave
// such holes behind (after 64 concurrent Exports of small sidecars, 115 MiB
// resident with under 1 MiB in use; 35 MiB after a trim). Only while idle,
// so no call waits for a trim.
class IdleMemoryTrimmer {
 public:
  IdleMemoryTrimmer(const service::CallMetrics& metrics, absl::Duration period);
  ~IdleMemoryTrimmer();

  IdleMemoryTrimmer(const IdleMemoryTrimmer&) = delete;
  IdleMemoryTrimmer& operator=(const IdleMemoryTrimmer&) = delete;

 private:
  void Run(absl::Duration period);

  const service::CallMetrics& metrics_;
  absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_ALLOCATOR_H_
