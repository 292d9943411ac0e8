// The one owner of what sidecard remembers between calls about the trees it
// serves: the inspection of every sidecar file version (metadata_cache.h),
// directory listings (listing_cache.h), per-directory tallies of the
// counting operations (tally_cache.h) and, when enabled, the inotify
// watches that prove directories unchanged (directory_watcher.h).
//
// Operations never reach into the parts. They inspect files through
// Inspect(), let their walks consult listings and watches through
// PrepareScan(), and ask for and offer tallies by a key. A directory's scan
// is its snapshot: it carries the watch and generation it was read at, and
// that is its proof of freshness. A tally is handed out only to a scan of
// the same watch and generation, and is kept only when every sidecar file it
// counts was proven at that generation; the cache checks both itself, so an
// operation cannot store or be served a stale tally by forgetting a check.
//
// Built with max_bytes 0, nothing is remembered: every file is read every
// time, every directory listed, and no tally kept.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_TREE_CACHE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_TREE_CACHE_H_

#include <memory>
#include <string_view>

#include "server/engine/cache/directory_watcher.h"
#include "server/engine/cache/inspection_source.h"
#include "server/engine/cache/listing_cache.h"
#include "server/engine/cache/metadata_cache.h"
#include "server/engine/cache/subtree_answers.h"
#include "server/engine/cache/tally_cache.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

struct TreeCacheOptions {
  // Bound of everything remembered; 0: remember nothing.
  size_t max_bytes = 0;
  // Larger sidecar files are not read (reported invalid).
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
};

class TreeCache : public SidecarInspector {
 public:
  // `watcher` (may be null: stamps prove files, no tallies) is owned; it is
  // ignored when nothing is remembered.
  explicit TreeCache(const TreeCacheOptions& options,
                     std::unique_ptr<DirectoryWatcher> watcher = nullptr);

  // The inspection of one sidecar file of a scanned directory: remembered
  // when its watch or stamp proves it current, else read now. Thread-safe.
  std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                   const SidecarFile& file) override;

  // Lets a walk's scans use remembered listings and watch what they scan.
  void PrepareScan(ScanOptions& options);

  // The tally stored under `key` (the operation and its counting options,
  // directory_counting.h) for `scan`'s directory, if made at the watch and
  // generation `scan` read; null otherwise.
  std::shared_ptr<const DirectoryTally> FindTally(const DirectoryScan& scan, std::string_view key);
  // Remembers `tally`, counted from `scan` and the inspections this cache
  // handed out for its sidecar files, if every one of them was proven at
  // `scan`'s generation and that generation has not moved; otherwise does
  // nothing. Returns whether it was proven so.
  bool StoreTally(const DirectoryScan& scan, std::string_view key,
                  std::shared_ptr<const DirectoryTally> tally);

  // The whole-tree answer stored under `key` (subtree_answers.h) while no
  // directory of it has changed; applies the queued events first.
  std::shared_ptr<const SubtreeAnswer> FindSubtree(std::string_view key);
  // Remembers `answer`, made of tallies that StoreTally proved or FindTally
  // handed out.
  void StoreSubtree(std::string key, std::shared_ptr<const SubtreeAnswer> answer);

  bool enabled() const { return entries_ != nullptr; }
  // The watcher in use; null when directories are not watched.
  DirectoryWatcher* watcher() const { return watcher_.get(); }
  CacheFigures figures() const;

 private:
  const size_t max_sidecar_bytes_;
  std::unique_ptr<DirectoryWatcher> watcher_;
  // All null when nothing is remembered. Tallies need watched scans, so
  // without a watcher none is stored.
  std::unique_ptr<MetadataCache> entries_;
  std::unique_ptr<DirectoryListings> listings_;
  std::unique_ptr<DirectoryResults> tallies_;
  std::unique_ptr<SubtreeAnswers> subtrees_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_TREE_CACHE_H_
