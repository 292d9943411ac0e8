// The metadata cache: remembers the inspection of every sidecar file version
// it has read, so a repeated question about an unchanged tree costs a stat
// per file instead of a read and a parse.
//
// A file version is proven by its stamp (device, inode, size, modification
// and change time in nanoseconds). The change time catches content rewritten
// with size and mtime restored. Timestamps are coarse (a kernel tick), so a
// file changed twice within one tick could keep its stamp: an entry whose
// file changed less than kRacyWindow before it was read is not trusted and is
// read again next time (git's "racily clean" rule). When unsure, re-read: a
// cached answer always equals what a cold read would return.
//
// Memory is bounded: entries are grouped by directory (file names are kept,
// not paths) and hold the inspection packed (packed_inspection.h); the
// least recently used groups are dropped when the estimate passes the bound.
#ifndef SIDECARD_SERVER_ENGINE_METADATA_CACHE_H_
#define SIDECARD_SERVER_ENGINE_METADATA_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/packed_inspection.h"
#include "server/engine/sidecar_inspector.h"

namespace sidecard::engine {

struct CacheFigures {
  bool enabled = false;
  int64_t entries = 0;
  int64_t directories = 0;  // listings held
  int64_t bytes = 0;
  int64_t max_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t evictions = 0;
};

class MetadataCache : public SidecarInspector {
 public:
  // Files changed this recently before being read are read again next time.
  static constexpr absl::Duration kRacyWindow = absl::Seconds(2);

  MetadataCache(size_t max_bytes, size_t max_sidecar_bytes);

  std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                   const SidecarFile& file) override;

  DirectoryListings* listings() override { return &listings_; }

  CacheFigures figures() const;

 private:
  struct Entry {
    FileStamp stamp;
    std::unique_ptr<char[]> packed;
    uint32_t packed_size = 0;
    bool trusted = false;
  };
  // The entries of one directory that fall in one shard.
  struct Group;
  using Lru = std::list<Group*>;  // most recently used first
  struct Group {
    std::string directory;  // absolute path
    absl::flat_hash_map<std::string, Entry> entries;
    size_t bytes = 0;  // estimated, all included
    Lru::iterator position;
  };

  struct Shard {
    mutable absl::Mutex mutex;
    absl::flat_hash_map<std::string_view, std::unique_ptr<Group>> groups ABSL_GUARDED_BY(mutex);
    Lru lru ABSL_GUARDED_BY(mutex);
    size_t bytes ABSL_GUARDED_BY(mutex) = 0;
    size_t entries ABSL_GUARDED_BY(mutex) = 0;
  };
  static constexpr size_t kShards = 16;

  // Copies the packed inspection of `name` into `packed` when `stamp` proves
  // it current.
  bool Lookup(Shard& shard, std::string_view directory, const std::string& name,
              const FileStamp& stamp, std::string& packed);
  void Store(Shard& shard, std::string_view directory, const std::string& name,
             const SidecarInspection& inspection);
  void EvictOver(Shard& shard, size_t limit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex);

  const size_t shard_max_bytes_;
  const size_t max_sidecar_bytes_;
  NameTable names_;
  DirectoryListings listings_;
  std::array<Shard, kShards> shards_;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> evictions_{0};
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_METADATA_CACHE_H_
