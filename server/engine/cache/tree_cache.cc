#include "server/engine/cache/tree_cache.h"

namespace sidecard::engine {

// File entries take most of the bound; listings (a few dozen bytes per
// directory entry) a sixteenth; tallies (a few hundred bytes per directory
// and question; a full report remembers a few bytes per file and Find several
// hundred per image) a sixteenth; whole-tree answers (their tallies plus 32
// bytes per directory) a quarter, so that Find's answer for a tree of 100,000
// images (about 85 MB) is kept under the default bound.
TreeCache::TreeCache(const TreeCacheOptions& options, std::unique_ptr<DirectoryWatcher> watcher)
    : max_sidecar_bytes_(options.max_sidecar_bytes) {
  if (options.max_bytes == 0) return;
  const size_t listing_bytes = options.max_bytes / 16;
  const size_t tally_bytes = options.max_bytes / 16;
  const size_t subtree_bytes = options.max_bytes / 4;
  watcher_ = std::move(watcher);
  entries_ = std::make_unique<MetadataCache>(
      options.max_bytes - listing_bytes - tally_bytes - subtree_bytes, options.max_sidecar_bytes);
  listings_ = std::make_unique<DirectoryListings>(listing_bytes);
  tallies_ = std::make_unique<DirectoryResults>(tally_bytes);
  subtrees_ = std::make_unique<SubtreeAnswers>(subtree_bytes);
}

std::shared_ptr<const SidecarInspection> TreeCache::Inspect(const DirectoryScan& directory,
                                                            const SidecarFile& file) {
  if (entries_ != nullptr) return entries_->Inspect(directory, file);
  return std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_sidecar_bytes_));
}

void TreeCache::PrepareScan(ScanOptions& options) {
  options.listings = listings_.get();
  options.watcher = watcher_.get();
}

std::shared_ptr<const DirectoryTally> TreeCache::FindTally(const DirectoryScan& scan,
                                                           std::string_view key) {
  if (tallies_ == nullptr) return nullptr;
  return tallies_->Find(scan, key);
}

bool TreeCache::StoreTally(const DirectoryScan& scan, std::string_view key,
                           std::shared_ptr<const DirectoryTally> tally) {
  // Only a watched scan can be proven (Rememberable), so without a watcher
  // nothing is stored.
  if (tallies_ == nullptr || !DirectoryResults::Rememberable(scan)) return false;
  if (!entries_->ProvenAtScan(scan)) return false;
  return tallies_->Store(scan, key, std::move(tally));
}

std::shared_ptr<const SubtreeAnswer> TreeCache::FindSubtree(std::string_view key) {
  if (subtrees_ == nullptr || watcher_ == nullptr) return nullptr;
  watcher_->Sync();
  return subtrees_->Find(key);
}

void TreeCache::StoreSubtree(std::string key, std::shared_ptr<const SubtreeAnswer> answer) {
  if (subtrees_ == nullptr || watcher_ == nullptr) return;
  subtrees_->Store(std::move(key), std::move(answer));
}

CacheFigures TreeCache::figures() const {
  if (entries_ == nullptr) return CacheFigures{};
  CacheFigures figures = entries_->figures();
  figures.max_bytes += static_cast<int64_t>(listings_->max_bytes());
  figures.bytes += listings_->bytes();
  figures.directories = listings_->directories();
  figures.listing_hits = listings_->hits();
  figures.max_bytes += static_cast<int64_t>(tallies_->max_bytes());
  figures.bytes += tallies_->bytes();
  figures.directory_tallies = tallies_->tallies();
  figures.directory_tally_hits = tallies_->hits();
  figures.max_bytes += static_cast<int64_t>(subtrees_->max_bytes());
  figures.bytes += subtrees_->bytes();
  if (watcher_ != nullptr) {
    figures.watches = watcher_->watches();
    figures.watch_overflows = watcher_->overflows();
    figures.watch_links_seen = watcher_->links_seen();
    figures.watch_refusals = watcher_->refused();
    figures.unwatchable_scans = watcher_->unwatchable();
  }
  return figures;
}

}  // namespace sidecard::engine
