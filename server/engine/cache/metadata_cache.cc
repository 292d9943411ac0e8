#include "server/engine/cache/metadata_cache.h"

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
// Entry, control byte), and per entry its heap block with the allocator's
// header.
constexpr size_t kSlotBytes = 40 + 1;
size_t GroupOverhead(const std::string& directory) { return 160 + 2 * StringBytes(directory); }
size_t BlockBytes(size_t size) { return (size + 8 + 15) / 16 * 16; }

// Thread-local room for a packed inspection copied out of the cache, so the
// shard lock is not held while it is unpacked.
std::string& PackedBuffer() {
  thread_local std::string buffer;
  return buffer;
}

}  // namespace

MetadataCache::Entry::Entry(const FileStamp& stamp, bool trusted, std::string_view name,
                            std::string_view packed)
    : inode(stamp.inode),
      size(stamp.size),
      mtime_ns(stamp.mtime_ns),
      ctime_ns(stamp.ctime_ns),
      block(std::make_unique_for_overwrite<char[]>(kHeader + name.size() + packed.size())) {
  const auto name_size = static_cast<uint16_t>(name.size());
  const auto packed_size = static_cast<uint32_t>(packed.size());
  block[0] = trusted ? 1 : 0;
  std::memcpy(&block[1], &name_size, sizeof name_size);
  std::memcpy(&block[3], &packed_size, sizeof packed_size);
  std::memcpy(&block[kHeader], name.data(), name.size());
  std::memcpy(&block[kHeader + name.size()], packed.data(), packed.size());
}

std::string_view MetadataCache::Entry::name() const {
  uint16_t name_size;
  std::memcpy(&name_size, &block[1], sizeof name_size);
  return {&block[kHeader], name_size};
}

std::string_view MetadataCache::Entry::packed() const {
  uint32_t packed_size;
  std::memcpy(&packed_size, &block[3], sizeof packed_size);
  return {&block[kHeader + name().size()], packed_size};
}

bool MetadataCache::Entry::Proves(const FileStamp& stamp) const {
  return inode == stamp.inode && size == stamp.size && mtime_ns == stamp.mtime_ns &&
         ctime_ns == stamp.ctime_ns;
}

size_t MetadataCache::EntryHash::operator()(std::string_view name) const {
  return absl::Hash<std::string_view>{}(name);
}

MetadataCache::MetadataCache(size_t max_bytes, size_t max_sidecar_bytes)
    : shard_max_bytes_(max_bytes / kShards), max_sidecar_bytes_(max_sidecar_bytes) {}

std::shared_ptr<const SidecarInspection> MetadataCache::Inspect(const DirectoryScan& directory,
                                                                const SidecarFile& file) {
  const std::string_view dir = directory.absolute_path;
  // A directory's files spread over all shards, so parallel workers rarely
  // wait for each other.
  Shard& shard = ShardOf(dir, file.name);
  std::string& packed = PackedBuffer();
  // Read before the stat or read below, so any later change moves it.
  Watching watching;
  // Whether the cache may hold an entry for the file: only then can a stat
  // prove it, so a file never seen (all of a cold walk) is opened at once.
  bool known = true;
  if (directory.watch != nullptr) {
    watching = {&directory.watch, directory.watch->TrustedGeneration()};
    FileStamp stamp;
    if (watching.generation != 0 &&
        LookupWatched(shard, dir, file.name, watching, packed, stamp, known)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      watched_hits_.fetch_add(1, std::memory_order_relaxed);
      return std::make_shared<const SidecarInspection>(UnpackInspection(packed, stamp, names_));
    }
  } else {
    known = Knows(shard, dir, file.name);
  }
  struct stat st {};
  if (known) {
    const bool stated =
        fstatat(directory.fd.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    // A file with other links can be written through a directory not watched.
    if (!stated || st.st_nlink != 1) watching.generation = 0;
    if (stated && S_ISREG(st.st_mode)) {
      const FileStamp stamp = FileStamp::FromStat(st);
      if (Lookup(shard, dir, file.name, stamp, watching, packed)) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        return std::make_shared<const SidecarInspection>(UnpackInspection(packed, stamp, names_));
      }
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto inspection = std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_sidecar_bytes_));
  // Proven by the generation only if the file read (stat'ed through its
  // descriptor) has no other links and, when it was stat'ed by name first,
  // is the file stat'ed.
  if (inspection->links != 1 ||
      (known && inspection->stamp.inode != static_cast<uint64_t>(st.st_ino))) {
    watching.generation = 0;
  }
  Store(shard, dir, file.name, *inspection, watching);
  return inspection;
}

bool MetadataCache::Knows(Shard& shard, std::string_view directory, const std::string& name) {
  absl::MutexLock lock(&shard.mutex);
  const auto group = shard.groups.find(directory);
  return group != shard.groups.end() && group->second->entries.contains(std::string_view(name));
}

bool MetadataCache::LookupWatched(Shard& shard, std::string_view directory, const std::string& name,
                                  const Watching& watching, std::string& packed, FileStamp& stamp,
                                  bool& known) {
  absl::MutexLock lock(&shard.mutex);
  const auto group = shard.groups.find(directory);
  known = group != shard.groups.end();
  if (!known) return false;
  Group& found = *group->second;
  const auto it = found.entries.find(std::string_view(name));
  known = it != found.entries.end();
  if (!known || found.watch != *watching.watch) return false;
  const Entry& entry = *it;
  // Events about other entries of the directory leave this one proven.
  if (entry.verified_generation != watching.generation) {
    if (!(*watching.watch)->Unchanged(name, entry.verified_generation)) return false;
    entry.verified_generation = watching.generation;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, found.position);
  stamp = FileStamp{found.device, entry.inode, entry.size, entry.mtime_ns, entry.ctime_ns};
  packed.assign(entry.packed());
  return true;
}

MetadataCache::Shard& MetadataCache::ShardOf(std::string_view directory, std::string_view name) {
  return shards_[(absl::Hash<std::string_view>{}(directory) ^
                  absl::Hash<std::string_view>{}(name)) %
                 kShards];
}

bool MetadataCache::ProvenAtScan(const DirectoryScan& scan) {
  if (scan.watch == nullptr || scan.watched_generation == 0) return false;
  const std::string_view dir = scan.absolute_path;
  for (const SidecarFile& file : scan.sidecars) {
    Shard& shard = ShardOf(dir, file.name);
    absl::MutexLock lock(&shard.mutex);
    const auto group = shard.groups.find(dir);
    if (group == shard.groups.end() || group->second->watch != scan.watch) return false;
    const auto it = group->second->entries.find(std::string_view(file.name));
    if (it == group->second->entries.end() || it->verified_generation != scan.watched_generation) {
      return false;
    }
  }
  return true;
}

void MetadataCache::AdoptWatch(Group& group, const Watching& watching) {
  if (watching.generation == 0 || group.watch == *watching.watch) return;
  group.watch = *watching.watch;
  for (const Entry& entry : group.entries) entry.verified_generation = 0;
}

bool MetadataCache::Lookup(Shard& shard, std::string_view directory, const std::string& name,
                           const FileStamp& stamp, const Watching& watching, std::string& packed) {
  absl::MutexLock lock(&shard.mutex);
  const auto group = shard.groups.find(directory);
  if (group == shard.groups.end()) return false;
  Group& found = *group->second;
  const auto it = found.entries.find(std::string_view(name));
  if (it == found.entries.end()) return false;
  const Entry& entry = *it;
  if (!entry.trusted() || found.device != stamp.device || !entry.Proves(stamp)) return false;
  shard.lru.splice(shard.lru.begin(), shard.lru, found.position);
  AdoptWatch(found, watching);
  if (watching.generation != 0) entry.verified_generation = watching.generation;
  packed.assign(entry.packed());
  return true;
}

void MetadataCache::Store(Shard& shard, std::string_view directory, const std::string& name,
                          const SidecarInspection& inspection, const Watching& watching) {
  if (name.size() > UINT16_MAX) return;
  const std::string packed = PackInspection(inspection, names_);
  Entry entry(inspection.stamp, !Racy(inspection.stamp, absl::Now()), name, packed);
  entry.verified_generation = watching.generation;
  const size_t entry_bytes = BlockBytes(entry.block_size());
  // The shared name table counts against every shard's share of the bound.
  const size_t limit = shard_max_bytes_ - std::min(shard_max_bytes_, names_.bytes() / kShards);

  absl::MutexLock lock(&shard.mutex);
  auto group_it = shard.groups.find(directory);
  if (group_it == shard.groups.end()) {
    auto group = std::make_unique<Group>();
    group->directory = std::string(directory);
    group->device = inspection.stamp.device;
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
  AdoptWatch(group, watching);
  const size_t bytes_before = group.bytes;
  if (auto old = group.entries.find(std::string_view(name)); old != group.entries.end()) {
    group.bytes -= BlockBytes(old->block_size());
    group.entries.erase(old);
    --shard.entries;
  }
  // A file mounted over from another device is not kept (rare).
  if (inspection.stamp.device != group.device) {
    shard.bytes = shard.bytes - bytes_before + group.bytes;
    return;
  }
  const size_t capacity_before = group.entries.capacity();
  group.entries.insert(std::move(entry));
  ++shard.entries;
  group.bytes += entry_bytes + (group.entries.capacity() - capacity_before) * kSlotBytes;
  shard.bytes = shard.bytes - bytes_before + group.bytes;
  EvictOver(shard, group, limit);
}

// Drops least recently used groups, whole, until the shard is within
// `limit`; when only the group just stored into is left, single entries of
// it (a directory too large for the shard's share is held in part).
void MetadataCache::EvictOver(Shard& shard, Group& current, size_t limit) {
  while (shard.bytes > limit && !shard.lru.empty()) {
    Group* oldest = shard.lru.back();
    if (oldest == &current && shard.lru.size() == 1) {
      if (current.entries.empty()) break;
      const auto victim = current.entries.begin();
      const size_t bytes = BlockBytes(victim->block_size());
      current.entries.erase(victim);
      current.bytes -= bytes;
      shard.bytes -= bytes;
      --shard.entries;
      evictions_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (oldest == &current) {  // keep the current group for last
      shard.lru.splice(shard.lru.begin(), shard.lru, oldest->position);
      continue;
    }
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
  figures.max_bytes = static_cast<int64_t>(shard_max_bytes_ * kShards);
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    figures.entries += static_cast<int64_t>(shard.entries);
    figures.bytes += static_cast<int64_t>(shard.bytes);
  }
  figures.bytes += static_cast<int64_t>(names_.bytes());
  figures.hits = hits_.load();
  figures.misses = misses_.load();
  figures.evictions = evictions_.load();
  figures.watched_hits = watched_hits_.load();
  return figures;
}

}  // namespace sidecard::engine
