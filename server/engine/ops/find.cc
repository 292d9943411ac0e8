#include "server/engine/ops/find.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
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

// What Find remembers of one unchanged directory: every image's facts, and
// every orphaned document's, sorted by path.
struct FindTally : DirectoryTally {
  std::vector<FoundImage> entries;
  size_t estimated_bytes = sizeof(FindTally);

  size_t bytes() const override { return estimated_bytes; }
};

size_t EstimatedBytes(const FoundImage& found) {
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
  for (const FoundImage& found : tally->entries) tally->estimated_bytes += EstimatedBytes(found);
  return tally;
}

}  // namespace

absl::StatusOr<FindSummary> FindImages(
    const std::string& root, const FindOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const FoundImage* const>)>& sink) {
  const absl::Time start = absl::Now();
  FindSummary summary;
  summary.root = root;
  SymlinkTargets targets(context);

  // A directory's matches go to the sink while its tally is at hand, as
  // pointers: nothing is copied.
  std::vector<const FoundImage*> matches;
  bool sink_wants_more = true;

  DirectoryCounting counting;
  counting.key = std::string(kFindTallyKey);
  counting.count = [&targets](const DirectoryScan& scan, Inspections inspections, Memos) {
    return TallyDirectory(scan, inspections, targets);
  };
  counting.add = [&](const DirectoryTally& tally) {
    for (const FoundImage& found : static_cast<const FindTally&>(tally).entries) {
      ++(found.orphan() ? summary.orphans : summary.images);
      if (!Matches(options.predicates, found)) continue;
      ++summary.matched;
      matches.push_back(&found);
    }
    if (!matches.empty() && sink_wants_more) sink_wants_more = sink(matches);
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
