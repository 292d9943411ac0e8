#include "server/engine/metadata_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"
#include "absl/time/clock.h"

namespace sidecard::engine {
namespace {

// Whether the file could still change within the same timestamp tick.
bool Racy(const FileStamp& stamp, absl::Time read_at) {
  const absl::Time changed = absl::FromUnixNanos(std::max(stamp.mtime_ns, stamp.ctime_ns));
  return read_at - changed < MetadataCache::kRacyWindow;
}

// Heap bytes of a string (short ones live inside the object).
size_t StringBytes(const std::string& text) {
  return text.capacity() > 15 ? text.capacity() + 1 : 0;
}

// Estimated bytes of a group: bookkeeping, the hash table's slots (key,
// Entry, control byte), and per entry its name and packed inspection (with
// the allocator's header).
constexpr size_t kSlotBytes = sizeof(std::string) + 64 + 1;
size_t GroupOverhead(const std::string& directory) { return 160 + 2 * StringBytes(directory); }
size_t EntryHeapBytes(const std::string& name, size_t packed_size) {
  return StringBytes(name) + packed_size + 16;
}

// Thread-local room for a packed inspection copied out of the cache, so the
// shard lock is not held while it is unpacked.
std::string& PackedBuffer() {
  thread_local std::string buffer;
  return buffer;
}

}  // namespace

// Listings (a few dozen bytes per file) get a sixteenth of the bound.
MetadataCache::MetadataCache(size_t max_bytes, size_t max_sidecar_bytes)
    : shard_max_bytes_((max_bytes - max_bytes / 16) / kShards),
      max_sidecar_bytes_(max_sidecar_bytes),
      listings_(max_bytes / 16) {}

std::shared_ptr<const SidecarInspection> MetadataCache::Inspect(const DirectoryScan& directory,
                                                                const SidecarFile& file) {
  const std::string_view dir = directory.absolute_path;
  // A directory's files spread over all shards, so parallel workers rarely
  // wait for each other.
  Shard& shard =
      shards_[(absl::Hash<std::string_view>{}(dir) ^ absl::Hash<std::string_view>{}(file.name)) %
              kShards];
  struct stat st {};
  if (fstatat(directory.fd.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISREG(st.st_mode)) {
    const FileStamp stamp = FileStamp::FromStat(st);
    std::string& packed = PackedBuffer();
    if (Lookup(shard, dir, file.name, stamp, packed)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::make_shared<const SidecarInspection>(UnpackInspection(packed, stamp, names_));
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto inspection = std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_sidecar_bytes_));
  Store(shard, dir, file.name, *inspection);
  return inspection;
}

bool MetadataCache::Lookup(Shard& shard, std::string_view directory, const std::string& name,
                           const FileStamp& stamp, std::string& packed) {
  absl::MutexLock lock(&shard.mutex);
  const auto group = shard.groups.find(directory);
  if (group == shard.groups.end()) return false;
  Group& found = *group->second;
  const auto it = found.entries.find(name);
  if (it == found.entries.end()) return false;
  const Entry& entry = it->second;
  if (!entry.trusted || !(entry.stamp == stamp)) return false;
  shard.lru.splice(shard.lru.begin(), shard.lru, found.position);
  packed.assign(entry.packed.get(), entry.packed_size);
  return true;
}

void MetadataCache::Store(Shard& shard, std::string_view directory, const std::string& name,
                          const SidecarInspection& inspection) {
  const bool trusted = !Racy(inspection.stamp, absl::Now());
  const std::string packed = PackInspection(inspection, names_);
  Entry entry{inspection.stamp, std::make_unique<char[]>(packed.size()),
              static_cast<uint32_t>(packed.size()), trusted};
  std::memcpy(entry.packed.get(), packed.data(), packed.size());
  // The shared name table counts against every shard's share of the bound.
  const size_t limit = shard_max_bytes_ - std::min(shard_max_bytes_, names_.bytes() / kShards);

  absl::MutexLock lock(&shard.mutex);
  auto group_it = shard.groups.find(directory);
  if (group_it == shard.groups.end()) {
    auto group = std::make_unique<Group>();
    group->directory = std::string(directory);
    group->bytes = GroupOverhead(group->directory);
    shard.lru.push_front(group.get());
    group->position = shard.lru.begin();
    shard.bytes += group->bytes;
    const std::string_view key = group->directory;
    group_it = shard.groups.emplace(key, std::move(group)).first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, group_it->second->position);
  }
  Group& group = *group_it->second;
  const size_t bytes_before = group.bytes;
  const size_t capacity_before = group.entries.capacity();
  auto [it, inserted] = group.entries.try_emplace(name);
  if (inserted) {
    ++shard.entries;
  } else {
    group.bytes -= EntryHeapBytes(it->first, it->second.packed_size);
  }
  it->second = std::move(entry);
  group.bytes += EntryHeapBytes(it->first, it->second.packed_size) +
                 (group.entries.capacity() - capacity_before) * kSlotBytes;
  shard.bytes = shard.bytes - bytes_before + group.bytes;
  EvictOver(shard, limit);
}

// Drops least recently used groups, whole, until the shard is within
// `limit` (a group just stored may go too: the bound wins).
void MetadataCache::EvictOver(Shard& shard, size_t limit) {
  while (shard.bytes > limit && !shard.lru.empty()) {
    Group* oldest = shard.lru.back();
    shard.lru.pop_back();
    shard.bytes -= oldest->bytes;
    shard.entries -= oldest->entries.size();
    evictions_.fetch_add(static_cast<int64_t>(oldest->entries.size()), std::memory_order_relaxed);
    shard.groups.erase(std::string_view(oldest->directory));
  }
}

CacheFigures MetadataCache::figures() const {
  CacheFigures figures;
  figures.enabled = true;
  figures.max_bytes = static_cast<int64_t>(shard_max_bytes_ * kShards) +
                      static_cast<int64_t>(listings_.max_bytes());
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    figures.entries += static_cast<int64_t>(shard.entries);
    figures.bytes += static_cast<int64_t>(shard.bytes);
  }
  figures.bytes += static_cast<int64_t>(names_.bytes()) + listings_.bytes();
  figures.directories = listings_.directories();
  figures.hits = hits_.load();
  figures.misses = misses_.load();
  figures.evictions = evictions_.load();
  return figures;
}

}  // namespace sidecard::engine
