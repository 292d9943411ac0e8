#include "server/engine/cache/tally_cache.h"

#include "absl/hash/hash.h"
#include "server/engine/base/text.h"

namespace sidecard::engine {

bool DirectoryResults::Rememberable(const DirectoryScan& scan) {
  return scan.watch != nullptr && scan.watched_generation != 0 && scan.symlinks == 0;
}

uint64_t DirectoryResults::ListingOf(const DirectoryScan& scan) {
  size_t digest = absl::HashOf(scan.sidecars.size(), scan.images.size());
  for (const SidecarFile& file : scan.sidecars) digest = absl::HashOf(digest, file.name);
  for (const ImageEntry& image : scan.images) digest = absl::HashOf(digest, image.name);
  return digest;
}

std::string DirectoryResults::KeyOf(const DirectoryScan& scan, std::string_view query) {
  // A path never holds a NUL.
  return Concat(scan.absolute_path, std::string_view("\0", 1), query);
}

std::shared_ptr<const DirectoryTally> DirectoryResults::Find(const DirectoryScan& scan,
                                                             std::string_view query) {
  if (!Rememberable(scan)) return nullptr;
  const std::string key = KeyOf(scan, query);
  absl::MutexLock lock(&mutex_);
  const Remembered* found = by_key_.Find(key);
  if (found == nullptr || found->watch != scan.watch ||
      found->generation != scan.watched_generation || found->listing != ListingOf(scan)) {
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return found->tally;
}

bool DirectoryResults::Store(const DirectoryScan& scan, std::string_view query,
                             std::shared_ptr<const DirectoryTally> tally) {
  if (!Rememberable(scan) || scan.watch->TrustedGeneration() != scan.watched_generation) {
    return false;
  }
  std::string key = KeyOf(scan, query);
  // The entry, its list node and hash slot, the key and the tally.
  const size_t bytes = sizeof(Remembered) + 96 + key.capacity() + tally->bytes();
  absl::MutexLock lock(&mutex_);
  by_key_.Store(std::move(key),
                Remembered{scan.watch, scan.watched_generation, ListingOf(scan), std::move(tally)},
                bytes);
  return true;
}

size_t DirectoryResults::max_bytes() const {
  absl::MutexLock lock(&mutex_);
  return by_key_.max_bytes();
}

int64_t DirectoryResults::tallies() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(by_key_.size());
}

int64_t DirectoryResults::bytes() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(by_key_.bytes());
}

}  // namespace sidecard::engine
