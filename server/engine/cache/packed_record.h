// A compact byte form of a SidecarInspection, for the metadata cache: an
// inspection as objects (vectors of strings per payload) takes ~900 bytes,
// packed ~50. Names that recur in every file (operations, backends, tools,
// object classes) are stored once in a NameTable and referenced by number.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_PACKED_RECORD_H_
#define SIDECARD_SERVER_ENGINE_CACHE_PACKED_RECORD_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/engine/documents/file_inspection.h"

namespace sidecard::engine {

// Numbers short strings, append-only and bounded (hostile files cannot grow
// it without limit: past the bound, strings are stored in full instead).
// Reading a name by number takes no lock.
class NameTable {
 public:
  static constexpr size_t kMaxNames = 8192;
  static constexpr size_t kMaxNameLength = 64;

  // The number of `name`, added if there is room; nullopt when not numbered.
  std::optional<uint32_t> Find(std::string_view name);
  // A number returned by Find (on any thread, before).
  const std::string& Name(uint32_t number) const {
    return chunks_[number / kChunk][number % kChunk];
  }
  // Memory held, estimated.
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  // Names live in chunks that never move, so readers need no lock.
  static constexpr size_t kChunk = 64;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string_view, uint32_t> numbers_ ABSL_GUARDED_BY(mutex_);
  size_t count_ ABSL_GUARDED_BY(mutex_) = 0;
  std::array<std::unique_ptr<std::string[]>, kMaxNames / kChunk> chunks_;
  std::atomic<size_t> bytes_{0};
};

// Packs everything of `inspection` except its stamp.
std::string PackInspection(const SidecarInspection& inspection, NameTable& names);

// The inspection `packed` was made from, with `stamp`.
SidecarInspection UnpackInspection(std::string_view packed, const FileStamp& stamp,
                                   const NameTable& names);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_PACKED_RECORD_H_
