// Where the inspection of one sidecar file comes from. The direct inspector
// reads every file; the tree cache (tree_cache.h, same interface) answers from
// memory for files whose watch or stamp proves them unchanged. And what a
// sidecar-extension file turns out to be once inspected.
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

// What a sidecar-extension file turns out to be once inspected.
enum class SidecarRole {
  kPaired,              // an image of its stem exists beside it
  kOrphan,              // no image, and it decodes as a sidecar document
  kForeign,             // no image, decodes, but is not a sidecar document
  kUnreadableUnpaired,  // no image and does not decode: not provably a sidecar
};
SidecarRole ClassifySidecar(const SidecarFile& file, const SidecarInspection& inspection);

// True for roles that are reported as sidecars (paired or orphan).
inline bool IsReportedSidecar(SidecarRole role) {
  return role == SidecarRole::kPaired || role == SidecarRole::kOrphan;
}

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_
