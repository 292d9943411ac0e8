#include "server/engine/metadata_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "absl/hash/hash.h"
#include "absl/time/clock.h"

namespace sidecard::engine {
namespace {

size_t StringBytes(const std::string& text) {
  // Short strings live inside the object (small-string optimisation).
  return text.capacity() > 15 ? text.capacity() + 1 : 0;
}

template <typename T, typename ItemBytes>
size_t VectorBytes(const std::vector<T>& items, ItemBytes item_bytes) {
  size_t bytes = items.capacity() * sizeof(T);
  for (const T& item : items) bytes += item_bytes(item);
  return bytes;
}

// Whether the file could still change within the same timestamp tick.
bool Racy(const FileStamp& stamp, absl::Time read_at) {
  const absl::Time changed = absl::FromUnixNanos(std::max(stamp.mtime_ns, stamp.ctime_ns));
  return read_at - changed < MetadataCache::kRacyWindow;
}

// Per-entry bookkeeping beyond the inspection: list node, index slot.
constexpr size_t kEntryOverhead = 96;

}  // namespace

size_t EstimateBytes(const SidecarInspection& inspection) {
  const auto string_bytes = [](const std::string& text) { return StringBytes(text); };
  const DocumentFacts& facts = inspection.facts;
  size_t bytes =
      sizeof(SidecarInspection) + StringBytes(inspection.error) +
      VectorBytes(inspection.decode_warnings, string_bytes) +
      VectorBytes(facts.operations, string_bytes) + VectorBytes(facts.problems, string_bytes) +
      VectorBytes(facts.warnings, string_bytes) + VectorBytes(facts.tool_names, string_bytes);
  bytes += VectorBytes(facts.payloads, [](const PayloadFacts& payload) {
    return StringBytes(payload.operation) + StringBytes(payload.backend) +
           VectorBytes(payload.object_classes,
                       [](const auto& entry) { return StringBytes(entry.first); });
  });
  return bytes;
}

MetadataCache::MetadataCache(size_t max_bytes, size_t max_sidecar_bytes)
    : shard_max_bytes_(max_bytes / kShards), max_sidecar_bytes_(max_sidecar_bytes) {}

MetadataCache::Shard& MetadataCache::ShardOf(std::string_view path) {
  return shards_[absl::Hash<std::string_view>{}(path) % kShards];
}

std::shared_ptr<const SidecarInspection> MetadataCache::Inspect(const DirectoryScan& directory,
                                                                const SidecarFile& file) {
  std::string path = directory.AbsolutePathOf(file.name);
  Shard& shard = ShardOf(path);
  struct stat st {};
  if (fstatat(directory.fd.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISREG(st.st_mode)) {
    if (auto cached = Lookup(shard, path, FileStamp::FromStat(st))) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return cached;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto inspection = std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_sidecar_bytes_));
  Store(shard, std::move(path), inspection);
  return inspection;
}

std::shared_ptr<const SidecarInspection> MetadataCache::Lookup(Shard& shard, std::string_view path,
                                                               const FileStamp& stamp) {
  absl::MutexLock lock(&shard.mutex);
  auto it = shard.index.find(path);
  if (it == shard.index.end()) return nullptr;
  const Entry& entry = *it->second;
  if (!entry.trusted || !(entry.inspection->stamp == stamp)) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return entry.inspection;
}

void MetadataCache::Store(Shard& shard, std::string path,
                          std::shared_ptr<const SidecarInspection> inspection) {
  const bool trusted = !Racy(inspection->stamp, absl::Now());
  const size_t bytes = EstimateBytes(*inspection) + path.capacity() + kEntryOverhead;
  absl::MutexLock lock(&shard.mutex);
  if (auto it = shard.index.find(path); it != shard.index.end()) {
    shard.bytes -= it->second->bytes;
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }
  if (bytes > shard_max_bytes_) return;
  shard.lru.push_front(Entry{std::move(path), std::move(inspection), trusted, bytes});
  shard.index.emplace(shard.lru.front().path, shard.lru.begin());
  shard.bytes += bytes;
  while (shard.bytes > shard_max_bytes_) {
    const Entry& oldest = shard.lru.back();
    shard.bytes -= oldest.bytes;
    shard.index.erase(oldest.path);
    shard.lru.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

CacheFigures MetadataCache::figures() const {
  CacheFigures figures;
  figures.enabled = true;
  figures.max_bytes = static_cast<int64_t>(shard_max_bytes_ * kShards);
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    figures.entries += static_cast<int64_t>(shard.index.size());
    figures.bytes += static_cast<int64_t>(shard.bytes);
  }
  figures.hits = hits_.load();
  figures.misses = misses_.load();
  figures.evictions = evictions_.load();
  return figures;
}

}  // namespace sidecard::engine
