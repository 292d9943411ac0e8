#include "server/engine/ops/tree_documents.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "server/engine/base/text.h"
#include "server/engine/cache/inspection_source.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/documents/operations.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {
namespace {

// Read priority: .bin, .rkyv, .json, then old per-operation files.
int MemberRank(const SidecarFile& file) {
  return ReadPriority(file.format) + (file.legacy_operation_file ? 10 : 0);
}

// One file read and decoded, its document kept (an inspection drops it).
struct ReadMember {
  GroupFile file;
  rapidjson::Document document;
};

ReadMember Read(const DirectoryScan& directory, const SidecarFile& file, size_t max_bytes) {
  ReadMember read;
  read.file.file = &file;
  SidecarInspection& inspection = read.file.inspection;
  inspection.format = file.format;
  auto bytes = ReadRegularFileAt(directory.fd.get(), file.name, max_bytes, inspection.stamp);
  if (!bytes.ok()) {
    inspection.error = std::string(bytes.status().message());
    return read;
  }
  auto decoded = DecodeSidecar(file.format, *bytes);
  if (!decoded.ok()) {
    inspection.error = std::string(decoded.status().message());
    return read;
  }
  inspection.decoded = true;
  inspection.decode_warnings = std::move(decoded->warnings);
  inspection.facts = AnalyzeDocument(decoded->document);
  read.document.Swap(decoded->document);
  return read;
}

// An old `<stem>_<operation>.json` file may hold its operation's bare payload
// (`{"success": true, "faces": [...]}`). Moves such content under the
// operation its name gives, so merging puts it where it belongs instead of
// scattering payload fields over the top level.
void PlaceLegacyPayload(const GroupFile& member, rapidjson::Document& document) {
  if (!member.file->legacy_operation_file || !member.inspection.facts.operations.empty()) return;
  const auto legacy = SplitLegacyOperationStem(SplitName(member.file->name).stem);
  if (!legacy) return;
  auto& allocator = document.GetAllocator();
  rapidjson::Value payload(rapidjson::kObjectType);
  rapidjson::Value rest(rapidjson::kObjectType);
  for (auto& entry : document.GetObject()) {
    const std::string_view key(entry.name.GetString(), entry.name.GetStringLength());
    (key == kSidecarInfoKey ? rest : payload).AddMember(entry.name, entry.value, allocator);
  }
  if (!payload.ObjectEmpty()) {
    rest.AddMember(
        rapidjson::Value(legacy->operation.data(),
                         static_cast<rapidjson::SizeType>(legacy->operation.size()), allocator),
        payload, allocator);
  }
  rapidjson::Value& root = document;
  root = rest;  // moves
}

// Walks a tree and hands every directory's groups on, a batch at a time.
class GroupWalker {
 public:
  GroupWalker(const GroupWalkOptions& options, const EngineContext& context,
              const Cancellation& cancellation, const GroupWork& work, const GroupSink& sink)
      : options_(options),
        context_(context),
        cancellation_(cancellation),
        work_(work),
        sink_(sink) {}

  // For WalkOptions::on_directory; after a stop it does nothing.
  void OnDirectory(const DirectoryScan& directory) {
    if (status_.ok()) status_ = Process(directory);
  }

  const absl::Status& status() const { return status_; }

 private:
  absl::Status Process(const DirectoryScan& directory) {
    const std::vector<GroupPlan> plans = PlanGroups(directory);
    std::vector<GroupDocument> batch;
    for (size_t begin = 0, size = 0; begin < plans.size(); begin += size) {
      if (cancellation_.cancelled()) return Cancellation::Status();
      size = BatchSize(directory, plans, begin);
      batch.clear();
      batch.resize(size);
      context_.pool->ParallelFor(batch.size(), [&](size_t i) {
        if (cancellation_.cancelled()) return;
        batch[i] = LoadGroup(directory, plans[begin + i], options_.max_sidecar_bytes);
        if (!batch[i].files.empty()) work_(directory, batch[i], i);
      });
      if (cancellation_.cancelled()) return Cancellation::Status();
      if (!sink_(directory, batch)) return Cancellation::Status();
    }
    return absl::OkStatus();
  }

  // How many groups from `begin` on make the next batch (see kGroupBatch).
  static size_t BatchSize(const DirectoryScan& directory, const std::vector<GroupPlan>& plans,
                          size_t begin) {
    int64_t bytes = 0;
    size_t size = 0;
    while (begin + size < plans.size() && size < kGroupBatch && bytes < kGroupBatchBytes) {
      for (size_t index : plans[begin + size].sidecars) {
        struct stat st {};
        if (fstatat(directory.fd.get(), directory.sidecars[index].name.c_str(), &st,
                    AT_SYMLINK_NOFOLLOW) == 0) {
          bytes += st.st_size;
        }
      }
      ++size;
    }
    return size;
  }

  const GroupWalkOptions& options_;
  const EngineContext& context_;
  const Cancellation& cancellation_;
  const GroupWork& work_;
  const GroupSink& sink_;
  absl::Status status_;
};

}  // namespace

const GroupFile* GroupDocument::best() const {
  for (const GroupFile& file : files) {
    if (file.readable()) return &file;
  }
  return nullptr;
}

size_t GroupDocument::unreadable_count() const {
  return static_cast<size_t>(
      std::count_if(files.begin(), files.end(), [](const GroupFile& f) { return !f.readable(); }));
}

std::vector<GroupPlan> PlanGroups(const DirectoryScan& directory) {
  std::vector<GroupPlan> plans;
  absl::flat_hash_map<std::string, size_t> plan_of_key;
  // `sidecars` is in name order, so groups come out ordered by first file.
  for (size_t i = 0; i < directory.sidecars.size(); ++i) {
    const std::string& key = directory.sidecars[i].group_key;
    const auto [it, inserted] = plan_of_key.try_emplace(key, plans.size());
    if (inserted) plans.push_back({key, {}});
    plans[it->second].sidecars.push_back(i);
  }
  return plans;
}

GroupDocument LoadGroup(const DirectoryScan& directory, const GroupPlan& plan, size_t max_bytes) {
  std::vector<size_t> order = plan.sidecars;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return MemberRank(directory.sidecars[a]) < MemberRank(directory.sidecars[b]);
  });
  GroupDocument group;
  group.key = plan.key;
  for (size_t index : order) {
    const SidecarFile& file = directory.sidecars[index];
    ReadMember member = Read(directory, file, max_bytes);
    if (!IsReportedSidecar(ClassifySidecar(file, member.file.inspection))) continue;
    if (file.image) group.image = file.image;
    if (member.file.readable()) {
      PlaceLegacyPayload(member.file, member.document);
      NormalizeLayout(member.document);
      if (group.document.IsNull()) {
        group.document.Swap(member.document);
      } else {
        for (std::string& where : MergeLowerPriority(group.document, member.document)) {
          group.conflicts.push_back(Concat(member.file.file->name, ": ", where));
        }
      }
    }
    group.files.push_back(std::move(member.file));
  }
  if (!group.document.IsNull()) group.facts = AnalyzeDocument(group.document);
  return group;
}

absl::StatusOr<std::vector<TreeWalk::DirectoryError>> ForEachGroup(
    const std::string& root, const GroupWalkOptions& options, const EngineContext& context,
    const Cancellation& cancellation, const GroupWork& work, const GroupSink& sink) {
  GroupWalker walker(options, context, cancellation, work, sink);
  WalkOptions walk_options = WalkOptionsFor(context, options.recursive);
  // A directory is processed as soon as it is scanned, so its groups come
  // before those of its subdirectories and only the open path stays in
  // memory. The walk itself yields single files, which are not needed here.
  walk_options.on_directory = [&walker](const DirectoryScan& directory) {
    walker.OnDirectory(directory);
    return false;
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  SidecarRef ignored;
  while (walker.status().ok() && (*walk)->Next(ignored)) {
  }
  if (!walker.status().ok()) return walker.status();
  if (!(*walk)->limit_status().ok()) return (*walk)->limit_status();
  return (*walk)->directory_errors();
}

}  // namespace sidecard::engine
