#include "server/engine/directory_listings.h"

#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"

namespace sidecard::engine {

size_t DirectoryListings::Listing::bytes() const {
  // The object, its list node and hash slot, and the heap of its strings.
  return sizeof(Listing) + 64 + path.capacity() + packed.capacity();
}

std::optional<std::vector<ListedEntry>> DirectoryListings::Find(const std::string& path,
                                                                const FileStamp& stamp) {
  std::string packed;
  {
    absl::MutexLock lock(&mutex_);
    const auto it = listings_.find(path);
    if (it == listings_.end()) return std::nullopt;
    Listing& listing = *it->second;
    if (!(listing.stamp == stamp)) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, listing.position);
    packed = listing.packed;
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
  auto listing = std::make_unique<Listing>();
  listing->path = path;
  listing->stamp = stamp;
  for (const ListedEntry& entry : entries) {
    // A name never holds a NUL, so it ends each one.
    listing->packed += static_cast<char>(entry.kind);
    listing->packed += entry.name;
    listing->packed += '\0';
  }
  listing->packed.shrink_to_fit();

  absl::MutexLock lock(&mutex_);
  if (auto it = listings_.find(path); it != listings_.end()) {
    bytes_ -= it->second->bytes();
    lru_.erase(it->second->position);
    listings_.erase(it);
  }
  if (racy || listing->bytes() > max_bytes_) return;
  bytes_ += listing->bytes();
  lru_.push_front(listing.get());
  listing->position = lru_.begin();
  const std::string_view key = listing->path;
  listings_.emplace(key, std::move(listing));
  while (bytes_ > max_bytes_) {
    Listing* oldest = lru_.back();
    lru_.pop_back();
    bytes_ -= oldest->bytes();
    listings_.erase(std::string_view(oldest->path));
  }
}

int64_t DirectoryListings::directories() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(listings_.size());
}

int64_t DirectoryListings::bytes() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(bytes_);
}

}  // namespace sidecard::engine
