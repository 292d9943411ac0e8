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

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_ALLOCATOR_H_
