#include "server/engine/ops/find.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/engine/base/saturating.h"
#include "server/engine/documents/sidecar_group.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/ops/directory_counting.h"

namespace sidecard::engine {
namespace {

// The key Find's tallies are remembered under. A tally holds the facts of
// every image whatever the query, so no option changes it: every query
// shares it.
constexpr std::string_view kFindTallyKey = "find/facts";

// What one query's matches in one directory came to in one encoding.
struct RememberedMatches {
  int64_t matched = 0;
  EncodedMatches encoded;
};

// What Find remembers of one unchanged directory: every image's facts, and
// every orphaned document's, sorted by path; and the encoded matches of the
// last few queries asked of it (FindOptions::encode).
class FindTally : public DirectoryTally {
 public:
  std::vector<FoundImage> entries;
  int64_t images = 0;
  int64_t orphans = 0;

  // The tally is charged for its facts and a quarter more, the room its
  // remembered encodings may take: what the cache counts stays true.
  size_t bytes() const override { return facts_bytes_ + EncodingRoom(); }

  void Seal() {
    facts_bytes_ = sizeof(FindTally);
    for (const FoundImage& found : entries) {
      facts_bytes_ += EstimatedBytes(found);
      ++(found.orphan() ? orphans : images);
    }
  }

  std::shared_ptr<const RememberedMatches> Remembered(std::string_view key) const {
    absl::MutexLock lock(&mutex_);
    for (const auto& [remembered_key, matches] : remembered_) {
      if (remembered_key == key) return matches;
    }
    return nullptr;
  }

  // Keeps `matches` under `key`, forgetting the oldest to make room; one
  // larger than the whole room is not kept.
  void Remember(std::string key, std::shared_ptr<const RememberedMatches> matches) const {
    const size_t size = key.size() + matches->encoded.bytes();
    if (size > EncodingRoom()) return;
    absl::MutexLock lock(&mutex_);
    for (const auto& remembered : remembered_) {
      if (remembered.first == key) return;  // a call alongside remembered it first
    }
    while (!remembered_.empty() && remembered_bytes_ + size > EncodingRoom()) {
      remembered_bytes_ -=
          remembered_.front().first.size() + remembered_.front().second->encoded.bytes();
      remembered_.erase(remembered_.begin());
    }
    remembered_bytes_ += size;
    remembered_.emplace_back(std::move(key), std::move(matches));
  }

 private:
  static size_t EstimatedBytes(const FoundImage& found);
  size_t EncodingRoom() const { return facts_bytes_ / 4; }

  size_t facts_bytes_ = sizeof(FindTally);
  mutable absl::Mutex mutex_;
  // Oldest first.
  mutable std::vector<std::pair<std::string, std::shared_ptr<const RememberedMatches>>> remembered_
      ABSL_GUARDED_BY(mutex_);
  mutable size_t remembered_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
};

size_t FindTally::EstimatedBytes(const FoundImage& found) {
  size_t bytes = sizeof(FoundImage) + found.image.capacity() + found.sidecar.capacity() +
                 found.invalid_sidecar.capacity();
  for (const std::string& name : found.operations) bytes += name.capacity();
  for (const auto* names : {&found.backends, &found.failed}) {
    for (const std::string& name : *names) bytes += sizeof(std::string) + name.capacity();
  }
  for (const auto& [name, count] : found.object_classes) {
    bytes += sizeof(std::pair<std::string, int64_t>) + name.capacity();
  }
  return bytes;
}

void SortUnique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

bool Readable(const SidecarInspection& inspection) {
  return inspection.decoded && inspection.facts.layout != DocumentLayout::kNotAnObject;
}

// The facts of one group of `directory` (its reported sidecar files, in any
// order), with no image set.
FoundImage FactsOfGroup(const DirectoryScan& directory, std::vector<GroupMember>& members) {
  FoundImage found;
  const SidecarGroup group = CombineGroup(members);  // members now in read priority
  found.sidecar_files = static_cast<int>(members.size());
  const GroupMember* first_read = &members.front();
  bool readable_seen = false;
  for (const GroupMember& member : members) {
    const SidecarInspection& inspection = *member.inspection;
    found.modified_ns = std::max(found.modified_ns, inspection.stamp.mtime_ns);
    if (found.invalid_sidecar.empty() && !inspection.valid()) {
      found.invalid_sidecar = directory.AbsolutePathOf(member.file->name);
    }
    if (!readable_seen && Readable(inspection)) {
      readable_seen = true;
      first_read = &member;
    }
  }
  found.sidecar = directory.AbsolutePathOf(first_read->file->name);
  found.format = first_read->file->format;
  found.operations.assign(group.operations.begin(), group.operations.end());
  std::map<std::string, int64_t, std::less<>> classes;
  for (const OperationContribution& contribution : group.payloads) {
    const PayloadFacts& payload = *contribution.payload;
    const std::string operation(contribution.operation);
    const std::string with_backend =
        payload.backend.empty() ? "" : operation + "." + payload.backend;
    if (!with_backend.empty()) found.backends.push_back(with_backend);
    if (payload.success == false) {
      found.failed.push_back(operation);
      if (!with_backend.empty()) found.failed.push_back(with_backend);
    }
    // Counts are claims of the files: they may be anything up to INT64_MAX.
    found.faces = SaturatingAdd(found.faces, payload.faces);
    found.objects = SaturatingAdd(found.objects, payload.objects);
    for (const auto& [name, count] : payload.object_classes) {
      auto it = classes.try_emplace(name, 0).first;
      it->second = SaturatingAdd(it->second, count);
    }
  }
  SortUnique(found.backends);
  SortUnique(found.failed);
  found.object_classes.assign(classes.begin(), classes.end());
  return found;
}

// The reported sidecar files of `directory` by group key.
using Groups = absl::flat_hash_map<std::string_view, std::vector<GroupMember>>;

void AddMember(const SidecarFile& file, std::shared_ptr<const SidecarInspection> inspection,
               Groups& groups) {
  if (IsReportedSidecar(ClassifySidecar(file, *inspection))) {
    groups[file.group_key].push_back({&file, std::move(inspection)});
  }
}

// The facts of symlinked images: those of the sidecar beside the resolved
// target (docs/CONTRACT.md §1), its directory scanned once per call. A
// memo of this call only: a directory holding symlinks is never remembered
// (tally_cache.h), so its tally is counted afresh every time.
class SymlinkTargets {
 public:
  explicit SymlinkTargets(const EngineContext& context) : context_(context) {}

  FoundImage FactsOf(const std::string& target) {
    const std::string dir_path(Dirname(target));
    auto [it, inserted] = directories_.try_emplace(dir_path);
    TargetDirectory& dir = it->second;
    if (inserted) dir.scan = ScanTarget(dir_path);
    if (dir.scan == nullptr) return {};
    const std::string key = FoldCase(SplitName(Basename(target)).stem);
    auto [cached, fresh] = dir.facts_by_key.try_emplace(key);
    if (fresh) {
      Groups groups;
      for (const SidecarFile& file : dir.scan->sidecars) {
        if (file.group_key == key)
          AddMember(file, context_.cache->Inspect(*dir.scan, file), groups);
      }
      if (auto members = groups.find(key); members != groups.end()) {
        cached->second = FactsOfGroup(*dir.scan, members->second);
      }
    }
    return cached->second;
  }

 private:
  struct TargetDirectory {
    std::unique_ptr<DirectoryScan> scan;  // null when it could not be scanned
    absl::flat_hash_map<std::string, FoundImage> facts_by_key;
  };

  // The target's directory was resolved inside the roots; it is opened
  // beneath them, so a directory swapped for a link meanwhile is not read.
  // Its listing may come from the cache while the directory's watch or stamp
  // proves it unchanged, as the walk's do: game folders of links into one
  // big originals folder then cost no listing of it per call.
  std::unique_ptr<DirectoryScan> ScanTarget(const std::string& dir_path) const {
    auto fd = OpenDirectoryBeneath(*context_.allowed_roots, dir_path);
    if (!fd.ok()) return nullptr;
    ScanOptions scan_options;
    scan_options.image_extensions = context_.image_extensions;
    scan_options.allowed_roots = context_.allowed_roots;
    context_.cache->PrepareScan(scan_options);
    auto scan = ScanDirectory(*std::move(fd), "", dir_path, scan_options);
    if (!scan.ok()) return nullptr;
    return std::make_unique<DirectoryScan>(*std::move(scan));
  }

  const EngineContext& context_;
  std::unordered_map<std::string, TargetDirectory> directories_;
};

// Find's counting function (directory_counting.h): the facts of every image
// and orphaned document of one directory.
std::shared_ptr<const FindTally> TallyDirectory(const DirectoryScan& scan, Inspections inspections,
                                                SymlinkTargets& targets) {
  Groups groups;
  for (size_t i = 0; i < inspections.size(); ++i) {
    AddMember(scan.sidecars[i], inspections[i], groups);
  }
  absl::flat_hash_map<std::string_view, FoundImage> facts_by_key;
  auto tally = std::make_shared<FindTally>();
  for (auto& [key, members] : groups) {
    FoundImage facts = FactsOfGroup(scan, members);
    if (!members.front().file->image) tally->entries.push_back(facts);  // an orphan
    facts_by_key.emplace(key, std::move(facts));
  }
  for (const ImageEntry& image : scan.images) {
    FoundImage found;
    if (!image.is_symlink) {
      const auto it = facts_by_key.find(FoldCase(SplitName(image.name).stem));
      if (it != facts_by_key.end()) found = it->second;
    } else if (!image.target_outside_roots) {
      found = targets.FactsOf(image.resolved_target);
    }
    found.image = scan.AbsolutePathOf(image.name);
    tally->entries.push_back(std::move(found));
  }
  const auto path = [](const FoundImage& found) -> const std::string& {
    return found.orphan() ? found.sidecar : found.image;
  };
  std::sort(tally->entries.begin(), tally->entries.end(),
            [&path](const FoundImage& a, const FoundImage& b) { return path(a) < path(b); });
  tally->Seal();
  return tally;
}

// The key a query's encoded matches are remembered under: each predicate
// length-prefixed (a class name may hold any text), then the encoding's.
std::string RememberedKey(const FindOptions& options) {
  std::string key;
  for (const std::string& predicate : options.predicates.Describe()) {
    absl::StrAppend(&key, predicate.size(), ":", predicate);
  }
  absl::StrAppend(&key, "|", options.encoding_key);
  return key;
}

}  // namespace

size_t EncodedMatches::bytes() const {
  size_t total = sizeof(EncodedMatches);
  for (const Piece& piece : pieces) total += sizeof(Piece) + piece.bytes.capacity();
  return total;
}

absl::StatusOr<FindSummary> FindImages(const std::string& root, const FindOptions& options,
                                       const EngineContext& context,
                                       const Cancellation& cancellation,
                                       const std::function<bool(const DirectoryMatches&)>& sink) {
  const absl::Time start = absl::Now();
  FindSummary summary;
  summary.root = root;
  SymlinkTargets targets(context);
  const std::string remembered_key = options.encode ? RememberedKey(options) : std::string();

  // A directory's matches go to the sink while its tally is at hand, as
  // pointers (nothing is copied) or in their remembered encoding.
  std::vector<const FoundImage*> matches;
  bool sink_wants_more = true;

  DirectoryCounting counting;
  counting.key = std::string(kFindTallyKey);
  counting.count = [&targets](const DirectoryScan& scan, Inspections inspections, Memos) {
    return TallyDirectory(scan, inspections, targets);
  };
  counting.add = [&](const DirectoryTally& counted) {
    const auto& tally = static_cast<const FindTally&>(counted);
    summary.images += tally.images;
    summary.orphans += tally.orphans;
    std::shared_ptr<const RememberedMatches> remembered;
    if (options.encode) remembered = tally.Remembered(remembered_key);
    if (remembered == nullptr) {
      for (const FoundImage& found : tally.entries) {
        if (Matches(options.predicates, found)) matches.push_back(&found);
      }
      if (options.encode) {
        auto encoded = std::make_shared<RememberedMatches>();
        encoded->matched = static_cast<int64_t>(matches.size());
        if (!matches.empty()) encoded->encoded = options.encode(matches);
        remembered = encoded;
        tally.Remember(remembered_key, std::move(encoded));
      }
    }
    if (remembered != nullptr) {
      summary.matched += remembered->matched;
      if (remembered->matched > 0 && sink_wants_more) {
        sink_wants_more = sink(DirectoryMatches{.matches = {}, .encoded = &remembered->encoded});
      }
    } else {
      summary.matched += static_cast<int64_t>(matches.size());
      if (!matches.empty() && sink_wants_more) {
        sink_wants_more = sink(DirectoryMatches{.matches = matches});
      }
    }
    matches.clear();
  };
  // A sink that gave up stops the walk at the next inspected batch.
  counting.on_files = [&](std::span<InspectedSidecar>) { return sink_wants_more; };
  auto directory_errors =
      CountByDirectory(root, options.recursive, context, cancellation, counting);
  if (!directory_errors.ok()) return directory_errors.status();
  if (!sink_wants_more) return Cancellation::Status();
  summary.directory_errors = *std::move(directory_errors);
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
