// Remembers the entries of directories, so a walk over an unchanged tree does
// not list every directory again. A listing is proven current by the
// directory's stamp: adding, removing or renaming an entry changes the
// directory's modification time. As for files (metadata_cache.h), a listing
// taken less than the racy window after the directory changed is not trusted.
// Only names and kinds are kept: what the entries are (symlink targets,
// sidecar contents) is looked at again on every walk.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_LISTING_CACHE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_LISTING_CACHE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/base/bounded_lru.h"
#include "server/engine/fs/file_stamp.h"

namespace sidecard::engine {

enum class EntryKind : uint8_t { kFile, kDirectory, kSymlink, kOther };

struct ListedEntry {
  std::string name;
  EntryKind kind;
};

class DirectoryListings {
 public:
  static constexpr absl::Duration kRacyWindow = absl::Seconds(2);

  explicit DirectoryListings(size_t max_bytes) : listings_(max_bytes) {}

  // The entries (sorted by name) of the directory at `path` when `stamp`,
  // taken before listing it now, proves the remembered listing current.
  std::optional<std::vector<ListedEntry>> Find(const std::string& path, const FileStamp& stamp);
  // Remembers `entries` (sorted by name), listed after `stamp` was taken.
  void Store(const std::string& path, const FileStamp& stamp,
             const std::vector<ListedEntry>& entries);

  size_t max_bytes() const;
  int64_t directories() const;
  int64_t bytes() const;
  int64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  struct Listing {
    FileStamp stamp;
    // Per entry: its kind as one byte, its name, a NUL.
    std::string packed;
  };

  mutable absl::Mutex mutex_;
  BoundedLru<Listing> listings_ ABSL_GUARDED_BY(mutex_);
  std::atomic<int64_t> hits_{0};
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_LISTING_CACHE_H_
