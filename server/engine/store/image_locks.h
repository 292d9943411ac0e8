// One lock per image sidecar (its directory and folded stem), so writes to
// one image's sidecar — saves, conversions — happen one at a time while
// writes to different images run in parallel. Entries exist only while held.
#ifndef SIDECARD_SERVER_ENGINE_STORE_IMAGE_LOCKS_H_
#define SIDECARD_SERVER_ENGINE_STORE_IMAGE_LOCKS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace sidecard::engine {

class ImageLocks {
  struct Entry {
    absl::Mutex mutex;
    int users = 0;  // guarded by ImageLocks::mutex_
  };

 public:
  class Guard {
   public:
    Guard(Guard&& other) noexcept
        : owner_(other.owner_),
          key_(std::move(other.key_)),
          entry_(std::exchange(other.entry_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard();

   private:
    friend class ImageLocks;
    Guard(ImageLocks* owner, std::string key, Entry* entry);
    ImageLocks* owner_;
    std::string key_;
    Entry* entry_;
  };

  // Blocks until the lock of the sidecar `stem` in `directory` is free.
  Guard Lock(const std::string& directory, const std::string& stem);

 private:
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_STORE_IMAGE_LOCKS_H_
