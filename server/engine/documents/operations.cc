#include "server/engine/documents/operations.h"

#include <algorithm>
#include <array>
#include <utility>

namespace sidecard::engine {
namespace {

constexpr std::array<std::string_view, 8> kKnownOperations = {
    "face_detection", "object_detection", "ball_detection", "quality_assessment",
    "game_detection", "yolov8",           "unified",        "pose_detection"};

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kLegacyKeys = {{
    {"Face_detector", "face_detection"},
    {"Object_detector", "object_detection"},
    {"Ball_detector", "ball_detection"},
    {"Quality_assessor", "quality_assessment"},
    {"Game_detector", "game_detection"},
}};

}  // namespace

std::span<const std::string_view> KnownOperations() { return kKnownOperations; }

bool IsKnownOperation(std::string_view key) {
  return std::find(kKnownOperations.begin(), kKnownOperations.end(), key) != kKnownOperations.end();
}

std::optional<std::string_view> OperationForLegacyKey(std::string_view key) {
  for (const auto& [legacy, operation] : kLegacyKeys) {
    if (legacy == key) return operation;
  }
  return std::nullopt;
}

}  // namespace sidecard::engine
