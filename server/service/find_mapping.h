// Find: request predicates → engine predicates, engine results (ops/find.h)
// → sidecar.v1 messages.
#ifndef SIDECARD_SERVER_SERVICE_FIND_MAPPING_H_
#define SIDECARD_SERVER_SERVICE_FIND_MAPPING_H_

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "server/engine/ops/find.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {

// The request's predicates, each checked: InvalidArgument naming the first
// that is malformed (an operation, a negative count, a format, a time).
absl::StatusOr<engine::FindPredicates> FindPredicatesOf(const sidecar::v1::FindRequest& request);

void FillFoundImage(const engine::FoundImage& found, sidecar::v1::FoundImage& out);

// The path a plain listing prints for a match: the image; with an `invalid`
// query the invalid sidecar file, with an `orphans` query the sidecar.
const std::string& ListedPath(const engine::FindPredicates& predicates,
                              const engine::FoundImage& found);

// FindRequest.paths_only: `matches` (one directory's) as FoundPaths, each
// piece one serialized FoundPaths of at most `batch_size` names that share a
// directory, for FindResponse.paths.
engine::EncodedMatches EncodeFoundPaths(const engine::FindPredicates& predicates,
                                        int32_t batch_size,
                                        std::span<const engine::FoundImage* const> matches);
void FillFindSummary(const engine::FindSummary& summary, const engine::FindPredicates& predicates,
                     sidecar::v1::FindSummary& out);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_FIND_MAPPING_H_
