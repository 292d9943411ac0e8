// What one decoded sidecar document says (docs/CONTRACT.md §3): its layout, the
// operations and payloads it holds, detection counts, tool names, processing
// times, and the structure problems that make it invalid. Every operation
// (validate, stats, cleanup) works from these facts, computed once per file
// version.
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_FACTS_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_FACTS_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sidecard::engine {

enum class DocumentLayout {
  kNotAnObject,   // a JSON value that is not an object: never a valid sidecar
  kMerged,        // operation keys at the top level
  kEnvelope,      // {"sidecar_info": {"operation_type": op}, "data": payload}
  kLegacyScript,  // Face_detector, Object_detector, ... at the top level
};

// One detector result: `operation` holds it directly, or under `backend`.
struct PayloadFacts {
  std::string operation;
  std::string backend;          // empty when the operation value is the payload
  std::optional<bool> success;  // unset when the payload has no boolean `success`
  int64_t faces = 0;
  int64_t objects = 0;
  int64_t other_detections = 0;  // `detections` entries (ball detection, ...)
  std::optional<double> processing_time_seconds;
  // Objects per `class_name`, sorted by class name.
  std::vector<std::pair<std::string, int64_t>> object_classes;
};

struct DocumentFacts {
  DocumentLayout layout = DocumentLayout::kNotAnObject;
  bool has_sidecar_info = false;
  // Operations present, snake_case, sorted and unique.
  std::vector<std::string> operations;
  std::vector<PayloadFacts> payloads;
  // Each problem makes the document invalid.
  std::vector<std::string> problems;
  // Worth knowing, not invalid (unknown keys, ...).
  std::vector<std::string> warnings;
  // `detector`, `model_name`, `model_path` values, sorted and unique.
  std::vector<std::string> tool_names;

  bool valid() const { return layout != DocumentLayout::kNotAnObject && problems.empty(); }
  // An object with `sidecar_info` or an operation: provably written by the
  // pipeline (the test Cleanup applies before it may remove anything).
  bool IsSidecarDocument() const;
  bool HasOperation(std::string_view operation) const;
  int64_t faces() const;
  int64_t objects() const;
  // Faces + objects + other detections over all payloads.
  int64_t detection_count() const;
};

// Analyses a decoded document. Never fails: what is wrong becomes `problems`.
DocumentFacts AnalyzeDocument(const rapidjson::Value& document);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_DOCUMENT_FACTS_H_
