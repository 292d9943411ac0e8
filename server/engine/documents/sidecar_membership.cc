#include "server/engine/documents/sidecar_membership.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/documents/operations.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {
namespace {

// Moves every top-level key but `sidecar_info` under `operation`.
void PlaceBarePayload(std::string_view operation, rapidjson::Document& document) {
  auto& allocator = document.GetAllocator();
  rapidjson::Value payload(rapidjson::kObjectType);
  rapidjson::Value rest(rapidjson::kObjectType);
  for (auto& entry : document.GetObject()) {
    const std::string_view key(entry.name.GetString(), entry.name.GetStringLength());
    (key == kSidecarInfoKey ? rest : payload).AddMember(entry.name, entry.value, allocator);
  }
  if (!payload.ObjectEmpty()) {
    rest.AddMember(rapidjson::Value(operation.data(),
                                    static_cast<rapidjson::SizeType>(operation.size()), allocator),
                   payload, allocator);
  }
  rapidjson::Value& root = document;
  root = rest;  // moves
}

}  // namespace

SidecarRole ClassifySidecar(const SidecarFile& file, const SidecarInspection& inspection) {
  if (file.image.has_value()) return SidecarRole::kPaired;
  if (inspection.IsSidecarDocument()) return SidecarRole::kOrphan;
  return SidecarRole::kForeign;
}

int MemberRank(const SidecarFile& file) {
  return ReadPriority(file.format) + (file.legacy_operation_file ? 10 : 0);
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

std::vector<size_t> ImageCandidates(const DirectoryScan& directory, std::string_view image_stem) {
  const std::string key = FoldCase(image_stem);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < directory.sidecars.size(); ++i) {
    if (directory.sidecars[i].group_key == key) candidates.push_back(i);
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    return MemberRank(directory.sidecars[a]) < MemberRank(directory.sidecars[b]);
  });
  return candidates;
}

void PrepareMemberForMerge(const SidecarFile& file, const SidecarInspection& inspection,
                           rapidjson::Document& document) {
  if (file.legacy_operation_file && inspection.facts.operations.empty() && document.IsObject()) {
    if (const auto legacy = SplitLegacyOperationStem(SplitName(file.name).stem)) {
      PlaceBarePayload(legacy->operation, document);
    }
  }
  NormalizeLayout(document);
}

}  // namespace sidecard::engine
