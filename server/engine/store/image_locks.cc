#include "server/engine/store/image_locks.h"

#include "server/engine/library/naming.h"

namespace sidecard::engine {

ImageLocks::Guard::Guard(ImageLocks* owner, std::string key, Entry* entry)
    : owner_(owner), key_(std::move(key)), entry_(entry) {}

ImageLocks::Guard::~Guard() {
  if (entry_ == nullptr) return;  // moved from
  entry_->mutex.Unlock();
  absl::MutexLock lock(&owner_->mutex_);
  if (--entry_->users == 0) owner_->entries_.erase(key_);
}

ImageLocks::Guard ImageLocks::Lock(const std::string& directory, const std::string& stem) {
  std::string key = directory + '/' + FoldCase(stem);
  Entry* entry;
  {
    absl::MutexLock lock(&mutex_);
    auto& slot = entries_[key];
    if (slot == nullptr) slot = std::make_unique<Entry>();
    entry = slot.get();
    ++entry->users;
  }
  entry->mutex.Lock();
  return Guard(this, std::move(key), entry);
}

}  // namespace sidecard::engine
