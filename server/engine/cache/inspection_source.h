// Where the inspection of one sidecar file comes from. The direct inspector
// reads every file; the tree cache (tree_cache.h, same interface) answers from
// memory for files whose watch or stamp proves them unchanged. What the file
// then is (paired, orphan, foreign) is sidecar_membership.h's to say.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_

#include <memory>

#include "server/engine/documents/file_inspection.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

class SidecarInspector {
 public:
  virtual ~SidecarInspector() = default;
  // Thread-safe: called from worker threads.
  virtual std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                           const SidecarFile& file) = 0;
};

// Reads and decodes the file every time.
class DirectInspector : public SidecarInspector {
 public:
  explicit DirectInspector(size_t max_bytes = kDefaultMaxSidecarBytes) : max_bytes_(max_bytes) {}
  std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                   const SidecarFile& file) override;

 private:
  size_t max_bytes_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_
