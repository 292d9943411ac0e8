#include "server/engine/ops/engine_context.h"

namespace sidecard::engine {

WalkOptions WalkOptionsFor(const EngineContext& context, bool recursive) {
  WalkOptions options;
  options.recursive = recursive;
  options.scan.image_extensions = context.image_extensions;
  options.scan.allowed_roots = context.allowed_roots;
  options.max_files = context.max_files;
  return options;
}

WalkOptions CountingWalkOptionsFor(const EngineContext& context, bool recursive) {
  WalkOptions options = WalkOptionsFor(context, recursive);
  context.cache->PrepareScan(options.scan);
  return options;
}

}  // namespace sidecard::engine
