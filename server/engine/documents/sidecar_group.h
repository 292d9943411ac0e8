// The sidecar document of one image: all files of one stem in one directory
// (`x.bin`, `x.rkyv`, `x.json`, `x_<operation>.json`) seen as one, the way a
// reader and a merging writer see them. Each operation is taken from the
// highest-priority readable file that holds it, so `x.bin` + `x.json` count
// once and content only in the `.json` is not hidden.
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_GROUP_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_GROUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/engine/documents/file_inspection.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

struct GroupMember {
  const SidecarFile* file = nullptr;
  std::shared_ptr<const SidecarInspection> inspection;
};

// Names below are views into the members' inspections, which the members
// keep alive: a group lives no longer than its members.
struct OperationContribution {
  std::string_view operation;
  const PayloadFacts* payload = nullptr;  // one entry per payload
  int64_t file_size = 0;                  // of the file it came from
};

struct SidecarGroup {
  // Some member decodes to a JSON object.
  bool readable = false;
  // Operations present, sorted and unique.
  std::vector<std::string_view> operations;
  // Payloads counted for the group, each from the file that wins its
  // operation.
  std::vector<OperationContribution> payloads;
  // Per operation: size of the file that wins it.
  std::vector<std::pair<std::string_view, int64_t>> operation_sizes;

  bool HasOperation(std::string_view operation) const;
};

// Combines the members (any order) of one group. Members stay referenced.
SidecarGroup CombineGroup(std::vector<GroupMember>& members);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_GROUP_H_
