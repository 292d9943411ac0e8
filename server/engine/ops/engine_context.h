// The shared collaborators every tree operation works with, built once by the
// daemon (or a test) and passed by the service to each call.
#ifndef SIDECARD_SERVER_ENGINE_OPS_ENGINE_CONTEXT_H_
#define SIDECARD_SERVER_ENGINE_OPS_ENGINE_CONTEXT_H_

#include <cstdint>

#include "server/engine/base/worker_pool.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/library/naming.h"
#include "server/engine/library/tree_walk.h"

namespace sidecard::engine {

struct EngineContext {
  WorkerPool* pool = nullptr;
  // What is remembered between calls; every file inspection goes through it.
  TreeCache* cache = nullptr;
  // Required: every directory is opened beneath these (sandboxed_open.h).
  const AllowedRoots* allowed_roots = nullptr;
  const ImageExtensions* image_extensions = &ImageExtensions::Default();
  // Most files (images and sidecars) one tree operation may find; 0: no limit.
  int64_t max_files = 0;
};

// The walk options every tree operation starts from: its context's image
// extensions, allowed roots and file limit.
WalkOptions WalkOptionsFor(const EngineContext& context, bool recursive);

// WalkOptionsFor plus the cache's listings and watches: for the operations
// that only count (Validate, Stats).
WalkOptions CountingWalkOptionsFor(const EngineContext& context, bool recursive);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_ENGINE_CONTEXT_H_
