#include "server/engine/directory_results.h"

#include "server/engine/text.h"

namespace sidecard::engine {

size_t DirectoryResults::Remembered::bytes() const {
  // The object, its list node and hash slot, the key and the tally.
  return sizeof(Remembered) + 64 + key.capacity() + tally->bytes();
}

bool DirectoryResults::Rememberable(const DirectoryScan& scan) {
  return scan.watch != nullptr && scan.watched_generation != 0 && scan.symlinks == 0;
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
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  Remembered& found = *it->second;
  if (found.watch != scan.watch || found.generation != scan.watched_generation) return nullptr;
  lru_.splice(lru_.begin(), lru_, found.position);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return found.tally;
}

void DirectoryResults::Store(const DirectoryScan& scan, std::string_view query,
                             std::shared_ptr<const DirectoryTally> tally) {
  if (!Rememberable(scan) || scan.watch->TrustedGeneration() != scan.watched_generation) return;
  auto remembered = std::make_unique<Remembered>();
  remembered->key = KeyOf(scan, query);
  remembered->watch = scan.watch;
  remembered->generation = scan.watched_generation;
  remembered->tally = std::move(tally);
  const size_t bytes = remembered->bytes();
  if (bytes > max_bytes_) return;

  absl::MutexLock lock(&mutex_);
  if (auto it = by_key_.find(remembered->key); it != by_key_.end()) {
    bytes_ -= it->second->bytes();
    lru_.erase(it->second->position);
    by_key_.erase(it);
  }
  bytes_ += bytes;
  lru_.push_front(remembered.get());
  remembered->position = lru_.begin();
  const std::string_view key = remembered->key;
  by_key_.emplace(key, std::move(remembered));
  while (bytes_ > max_bytes_) {
    Remembered* oldest = lru_.back();
    lru_.pop_back();
    bytes_ -= oldest->bytes();
    by_key_.erase(std::string_view(oldest->key));
  }
}

int64_t DirectoryResults::tallies() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(by_key_.size());
}

int64_t DirectoryResults::bytes() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(bytes_);
}

}  // namespace sidecard::engine
