#include "server/engine/cache/listing_cache.h"

#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"

namespace sidecard::engine {

std::optional<std::vector<ListedEntry>> DirectoryListings::Find(const std::string& path,
                                                                const FileStamp& stamp) {
  std::string packed;
  {
    absl::MutexLock lock(&mutex_);
    const Listing* listing = listings_.Find(path);
    if (listing == nullptr || !(listing->stamp == stamp)) return std::nullopt;
    packed = listing->packed;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  std::vector<ListedEntry> entries;
  for (size_t at = 0; at < packed.size();) {
    const auto kind = static_cast<EntryKind>(packed[at]);
    const size_t end = packed.find('\0', at + 1);
    entries.push_back({packed.substr(at + 1, end - at - 1), kind});
    at = end + 1;
  }
  return entries;
}

void DirectoryListings::Store(const std::string& path, const FileStamp& stamp,
                              const std::vector<ListedEntry>& entries) {
  const absl::Time changed = absl::FromUnixNanos(std::max(stamp.mtime_ns, stamp.ctime_ns));
  const bool racy = absl::Now() - changed < kRacyWindow;
  Listing listing{stamp, {}};
  for (const ListedEntry& entry : entries) {
    // A name never holds a NUL, so it ends each one.
    listing.packed += static_cast<char>(entry.kind);
    listing.packed += entry.name;
    listing.packed += '\0';
  }
  listing.packed.shrink_to_fit();
  // The listing, its node, list node and hash slot, and the heap of its
  // strings.
  const size_t bytes = sizeof(Listing) + 96 + path.capacity() + listing.packed.capacity();

  absl::MutexLock lock(&mutex_);
  if (racy) {
    listings_.Erase(path);
    return;
  }
  listings_.Store(path, std::move(listing), bytes);
}

size_t DirectoryListings::max_bytes() const {
  absl::MutexLock lock(&mutex_);
  return listings_.max_bytes();
}

int64_t DirectoryListings::directories() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(listings_.size());
}

int64_t DirectoryListings::bytes() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(listings_.bytes());
}

}  // namespace sidecard::engine
