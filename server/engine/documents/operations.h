// The operation keys a sidecar document may hold (docs/CONTRACT.md §3).
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_OPERATIONS_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_OPERATIONS_H_

#include <optional>
#include <span>
#include <string_view>

namespace sidecard::engine {

// The snake_case operation keys the pipeline writes: face_detection,
// object_detection, ball_detection, quality_assessment, game_detection,
// yolov8, unified, pose_detection.
std::span<const std::string_view> KnownOperations();

bool IsKnownOperation(std::string_view key);

// Old scripts' top-level keys and the operation each means:
// Face_detector → face_detection, Object_detector → object_detection,
// Ball_detector → ball_detection, Quality_assessor → quality_assessment,
// Game_detector → game_detection. (`yolov8` is the same in both layouts.)
std::optional<std::string_view> OperationForLegacyKey(std::string_view key);

// The key that holds a document's bookkeeping, never an operation.
inline constexpr std::string_view kSidecarInfoKey = "sidecar_info";

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_OPERATIONS_H_
