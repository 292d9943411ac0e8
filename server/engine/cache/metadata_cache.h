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
// With a watcher (the default, directory_watcher.h) an entry also remembers the
// generation of its directory's watch observed before its file was last
// stat'ed or read; while that generation has not moved, nothing in the
// directory changed, so the entry is answered without a stat. That holds for
// files read within the racy window too: the rule exists because equal
// stamps cannot prove equal content within one tick, while an unmoved
// generation proves no write happened at all.
//
// Memory is bounded: entries are grouped by directory (file names are kept,
// not paths) and hold the inspection packed (packed_record.h); the
// least recently used groups are dropped when the estimate passes the bound.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_METADATA_CACHE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_METADATA_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/cache/directory_watcher.h"
#include "server/engine/cache/inspection_source.h"
#include "server/engine/cache/packed_record.h"

namespace sidecard::engine {

struct CacheFigures {
  bool enabled = false;
  int64_t entries = 0;
  int64_t directories = 0;   // listings held
  int64_t listing_hits = 0;  // directories not listed again
  int64_t bytes = 0;
  int64_t max_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t evictions = 0;
  int64_t watches = 0;               // directories watched with inotify
  int64_t watched_hits = 0;          // hits proven by a watch, without a stat
  int64_t watch_overflows = 0;       // times events were lost
  int64_t watch_links_seen = 0;      // new hard links seen: every watch proof voided
  int64_t watch_refusals = 0;        // watches not added: a watch limit reached
  int64_t unwatchable_scans = 0;     // scans of directories on unwatchable filesystems
  int64_t directory_tallies = 0;     // held in the tally cache
  int64_t directory_tally_hits = 0;  // directories answered by a tally
};

class MetadataCache : public SidecarInspector {
 public:
  // Files changed this recently before being read are read again next time.
  static constexpr absl::Duration kRacyWindow = absl::Seconds(2);

  MetadataCache(size_t max_bytes, size_t max_sidecar_bytes);

  std::shared_ptr<const SidecarInspection> Inspect(const DirectoryScan& directory,
                                                   const SidecarFile& file) override;

  // Whether every sidecar file of `scan` was, when last inspected here,
  // proven by its watch at `scan.watched_generation` (what a tally of the
  // directory must rest on, tree_cache.h).
  bool ProvenAtScan(const DirectoryScan& scan);

  // The entries' share of the figures (tree_cache.h adds the rest).
  CacheFigures figures() const;

 private:
  // One file: its stamp (the device is the group's) and one heap block with
  // a header (trusted flag, name and packed sizes), the file's name (the
  // entry's key) and its packed inspection.
  struct Entry {
    static constexpr size_t kHeader = 7;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    // Generation of the group's watch at which the entry was last proven
    // (observed before the stat or read); 0: never.
    mutable uint64_t verified_generation = 0;
    std::unique_ptr<char[]> block;

    Entry(const FileStamp& stamp, bool trusted, std::string_view name, std::string_view packed);
    bool trusted() const { return block[0] != 0; }
    std::string_view name() const;
    std::string_view packed() const;
    size_t block_size() const { return kHeader + name().size() + packed().size(); }
    bool Proves(const FileStamp& stamp) const;
  };
  // Entries are found by name.
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const;
    size_t operator()(const Entry& entry) const { return (*this)(entry.name()); }
  };
  struct EntryEq {
    using is_transparent = void;
    static std::string_view Name(std::string_view name) { return name; }
    static std::string_view Name(const Entry& entry) { return entry.name(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Name(a) == Name(b);
    }
  };
  // The entries of one directory.
  struct Group;
  using Lru = std::list<Group*>;  // most recently used first
  struct Group {
    std::string directory;  // absolute path
    uint64_t device = 0;    // of every entry
    // The watch entries' generations refer to; null: none.
    std::shared_ptr<const WatchedDirectory> watch;
    absl::flat_hash_set<Entry, EntryHash, EntryEq> entries;
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

  // What proves entries without a stat: the directory's watch and its
  // generation observed before the stat or read (0: nothing).
  struct Watching {
    const std::shared_ptr<const WatchedDirectory>* watch = nullptr;
    uint64_t generation = 0;
  };

  // Copies the packed inspection of `name` and its stamp when the watch's
  // generation has not moved since the entry was proven. Sets `known` to
  // whether there is an entry for `name` at all.
  bool LookupWatched(Shard& shard, std::string_view directory, const std::string& name,
                     const Watching& watching, std::string& packed, FileStamp& stamp, bool& known);
  // Whether there is an entry for `name`, proven or not.
  bool Knows(Shard& shard, std::string_view directory, const std::string& name);
  // Copies the packed inspection of `name` into `packed` when `stamp` proves
  // it current (and then records `watching`'s generation on it).
  bool Lookup(Shard& shard, std::string_view directory, const std::string& name,
              const FileStamp& stamp, const Watching& watching, std::string& packed);
  void Store(Shard& shard, std::string_view directory, const std::string& name,
             const SidecarInspection& inspection, const Watching& watching);
  // Makes `watching`'s watch the one `group`'s generations refer to.
  static void AdoptWatch(Group& group, const Watching& watching);
  Shard& ShardOf(std::string_view directory, std::string_view name);
  void EvictOver(Shard& shard, Group& current, size_t limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex);

  const size_t shard_max_bytes_;
  const size_t max_sidecar_bytes_;
  NameTable names_;
  std::array<Shard, kShards> shards_;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> evictions_{0};
  std::atomic<int64_t> watched_hits_{0};
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_METADATA_CACHE_H_
