#include "server/daemon/allocator.h"

#include <malloc.h>

namespace sidecard::daemon {

bool ReturnFreedMemory() {
  return mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
}

}  // namespace sidecard::daemon
