// Fuzzes the analysis of a decoded sidecar document (layouts, operations,
// payloads, counts, problems) and the normalisation of old layouts: any JSON
// value must be analysed without failing, and the facts must be consistent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "server/engine/base/saturating.h"
#include "server/engine/documents/document_facts.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/formats/json_text.h"

namespace {

namespace engine = sidecard::engine;
using sidecard::engine::DocumentFacts;
using sidecard::engine::DocumentLayout;
using sidecard::fuzz::Check;

template <typename List>
bool SortedUnique(const List& list) {
  return std::adjacent_find(list.begin(), list.end(),
                            [](const auto& a, const auto& b) { return !(a < b); }) == list.end();
}

void CheckFacts(const rapidjson::Value& document, const DocumentFacts& facts) {
  Check(document.IsObject() == (facts.layout != DocumentLayout::kNotAnObject),
        "the layout is kNotAnObject exactly for non-objects");
  Check(facts.valid() == (document.IsObject() && facts.problems.empty()),
        "valid means an object without problems");
  Check(!facts.IsSidecarDocument() || document.IsObject(), "a sidecar document is an object");
  Check(SortedUnique(facts.operations), "operations are sorted and unique");
  Check(SortedUnique(facts.tool_names), "tool names are sorted and unique");
  int64_t faces = 0, objects = 0, others = 0;
  for (const auto& payload : facts.payloads) {
    Check(facts.HasOperation(payload.operation), "every payload's operation is listed");
    Check(payload.faces >= 0 && payload.objects >= 0 && payload.other_detections >= 0,
          "detection counts are not negative");
    Check(SortedUnique(payload.object_classes), "object classes are sorted and unique");
    faces = engine::SaturatingAdd(faces, payload.faces);
    objects = engine::SaturatingAdd(objects, payload.objects);
    others = engine::SaturatingAdd(others, payload.other_detections);
  }
  Check(facts.faces() == faces && facts.objects() == objects,
        "faces() and objects() sum the payloads");
  Check(facts.detection_count() ==
            engine::SaturatingAdd(engine::SaturatingAdd(faces, objects), others),
        "detection_count() sums every payload's detections");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto document = engine::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!document.ok()) return 0;
  const DocumentFacts facts = engine::AnalyzeDocument(*document);
  CheckFacts(*document, facts);

  // Normalising the old layouts (as reading a group does) keeps a sidecar
  // document a sidecar document, and doing it twice changes nothing more.
  engine::NormalizeLayout(*document);
  const std::string once = engine::CanonicalJson(*document);
  const DocumentFacts normalized = engine::AnalyzeDocument(*document);
  CheckFacts(*document, normalized);
  Check(!facts.IsSidecarDocument() || normalized.IsSidecarDocument(),
        "normalising keeps a sidecar document a sidecar document");
  engine::NormalizeLayout(*document);
  sidecard::fuzz::CheckEqual(once, engine::CanonicalJson(*document), "normalising is idempotent");
  return 0;
}
