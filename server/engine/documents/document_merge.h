// How several sidecar documents of one image become one (docs/CONTRACT.md §4
// Save): the document of a higher-priority file wins key by key, down to the
// backends of an operation, so content that exists only in a lower-priority
// file (an old `.json` beside a new `.bin`) is kept, not hidden.
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_MERGE_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_MERGE_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace sidecard::engine {

// Rewrites a document in place into the form merging works on. First, of a
// repeated object key only the last member is kept, at every level: that is
// the value CanonicalJson writes and serde_json reads, so every lookup from
// here on sees what will be written. Then old layouts become the merged
// layout: the envelope
// `{"sidecar_info": {"operation_type": op}, "data": payload}` becomes
// `{"sidecar_info": ..., op: payload}`; old script keys (`Face_detector`)
// become their operation keys unless that key already exists.
void NormalizeLayout(rapidjson::Document& document);

// Merges `lower` into `merged` without overriding what `merged` has: for each
// top-level key missing in `merged` the value is copied; for objects present
// in both (operations, sidecar_info), missing members are copied one level
// down. Returns where `lower` holds a different value than the one kept
// ("face_detection.insightface", "yolov8"): content that would be lost if
// `lower` were deleted. `sidecar_info` (bookkeeping) is never a conflict.
std::vector<std::string> MergeLowerPriority(rapidjson::Document& merged,
                                            const rapidjson::Value& lower);

// Stores `payload` under `operation` (or `operation.backend`) of `document`,
// replacing what was there. A direct payload already under `operation` is
// kept as backend "previous" when a backend is given.
void PutOperation(rapidjson::Document& document, std::string_view operation,
                  std::string_view backend, const rapidjson::Value& payload);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_MERGE_H_
