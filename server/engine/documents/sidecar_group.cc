#include "server/engine/documents/sidecar_group.h"

#include <algorithm>

#include "server/engine/documents/sidecar_membership.h"

namespace sidecard::engine {
namespace {

bool IsReadable(const SidecarInspection& inspection) {
  return inspection.decoded && inspection.facts.layout != DocumentLayout::kNotAnObject;
}

}  // namespace

bool SidecarGroup::HasOperation(std::string_view operation) const {
  return std::binary_search(operations.begin(), operations.end(), operation);
}

SidecarGroup CombineGroup(std::vector<GroupMember>& members) {
  std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return MemberRank(*a.file) < MemberRank(*b.file);
  });
  SidecarGroup group;
  for (const GroupMember& member : members) {
    const SidecarInspection& inspection = *member.inspection;
    if (!IsReadable(inspection)) continue;
    group.readable = true;
    for (const std::string& operation : inspection.facts.operations) {
      // A handful of operations at most: a linear search beats a set.
      if (std::find(group.operations.begin(), group.operations.end(), operation) !=
          group.operations.end()) {
        continue;
      }
      group.operations.push_back(operation);
      group.operation_sizes.emplace_back(operation, inspection.stamp.size);
      for (const PayloadFacts& payload : inspection.facts.payloads) {
        if (payload.operation == operation) {
          group.payloads.push_back({operation, &payload, inspection.stamp.size});
        }
      }
    }
  }
  std::sort(group.operations.begin(), group.operations.end());
  return group;
}

}  // namespace sidecard::engine
