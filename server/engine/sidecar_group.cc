#include "server/engine/sidecar_group.h"

#include <algorithm>
#include <map>
#include <set>

namespace sidecard::engine {
namespace {

// Read priority: .bin, .rkyv, .json, then old per-operation files.
int MemberRank(const GroupMember& member) {
  return ReadPriority(member.file->format) + (member.file->legacy_operation_file ? 10 : 0);
}

bool IsReadable(const SidecarInspection& inspection) {
  return inspection.decoded && inspection.facts.layout != DocumentLayout::kNotAnObject;
}

}  // namespace

bool SidecarGroup::HasOperation(std::string_view operation) const {
  return std::binary_search(operations.begin(), operations.end(), operation);
}

SidecarGroup CombineGroup(std::vector<GroupMember>& members) {
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& a, const auto& b) { return MemberRank(a) < MemberRank(b); });
  SidecarGroup group;
  std::set<std::string> taken;
  std::map<std::string, int64_t> classes;
  for (const GroupMember& member : members) {
    const SidecarInspection& inspection = *member.inspection;
    if (!IsReadable(inspection)) continue;
    group.readable = true;
    for (const std::string& operation : inspection.facts.operations) {
      if (taken.contains(operation)) continue;
      taken.insert(operation);
      group.operation_sizes.emplace_back(operation, inspection.stamp.size);
      for (const PayloadFacts& payload : inspection.facts.payloads) {
        if (payload.operation == operation) {
          group.payloads.push_back({operation, &payload, inspection.stamp.size});
          for (const auto& [name, count] : payload.object_classes) classes[name] += count;
        }
      }
    }
  }
  group.operations.assign(taken.begin(), taken.end());
  group.object_classes.assign(classes.begin(), classes.end());
  return group;
}

}  // namespace sidecard::engine
