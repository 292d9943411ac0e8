// Where tree operations get the inspection of one sidecar file. The direct
// inspector reads every file; a caching inspector (same interface) answers
// from memory for files whose stamp proves them unchanged.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_INSPECTION_SOURCE_H_

#include <memory>

#include "server/engine/cache/tally_cache.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

class SidecarInspector {
 public:
  virtual ~SidecarInspector() = default;
  // Thread-safe: called from worker threads.
  virtual std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                           const SidecarFile& file) = 0;
  // Where walks may find remembered directory listings; null: none.
  virtual DirectoryListings* listings() { return nullptr; }
  // What watches the directories walks scan (--watch); null: nothing.
  virtual DirectoryWatcher* watcher() { return nullptr; }
  // Where tree operations remember tallies of unchanged watched directories;
  // null: nowhere.
  virtual DirectoryResults* results() { return nullptr; }
  // Whether every sidecar file of `scan` was, when last inspected here,
  // proven by its watch at `scan.watched_generation` (what a tally stored in
  // results() must rest on).
  virtual bool ProvenAtScan(const DirectoryScan& /*scan*/) { return false; }
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
