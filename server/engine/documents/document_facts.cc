#include "server/engine/documents/document_facts.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/engine/base/saturating.h"
#include "server/engine/base/text.h"
#include "server/engine/documents/operations.h"

namespace sidecard::engine {
namespace {

using rapidjson::Value;

std::string_view View(const Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

std::string_view TypeName(const Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

// A repeated key counts once, as its last copy: serde_json keeps the last,
// and so does NormalizeLayout, so the analysis agrees with what is written.
const Value* Member(const Value& object, std::string_view key) {
  const Value* found = nullptr;
  for (const auto& member : object.GetObject()) {
    if (View(member.name) == key) found = &member.value;
  }
  return found;
}

// The members of `object` in order, without those a later copy of the same
// key replaces.
std::vector<const Value::Member*> LiveMembers(const Value& object) {
  std::vector<const Value::Member*> live;
  absl::flat_hash_set<std::string_view> seen;
  const auto members = object.GetObject();
  for (auto it = members.end(); it != members.begin();) {
    --it;
    if (seen.insert(View(it->name)).second) live.push_back(&*it);
  }
  std::reverse(live.begin(), live.end());
  return live;
}

// A payload holds a boolean-ish `success` or a detections array.
bool LooksLikePayload(const Value& value) {
  if (!value.IsObject()) return false;
  for (std::string_view key : {"success", "faces", "objects", "detections", "metadata"}) {
    if (Member(value, key) != nullptr) return true;
  }
  return false;
}

// A payload as the contract defines it: a boolean `success`, or a `faces`,
// `objects` or `detections` array. Only this makes an unknown top-level key
// an operation, and so a file without an image an orphan Cleanup may remove:
// `{"x": {"metadata": {}}}` in someone's settings.json is not a sidecar.
bool IsStrictPayload(const Value& value) {
  if (!value.IsObject()) return false;
  if (const Value* success = Member(value, "success"); success != nullptr && success->IsBool()) {
    return true;
  }
  for (std::string_view key : {"faces", "objects", "detections"}) {
    if (const Value* list = Member(value, key); list != nullptr && list->IsArray()) return true;
  }
  return false;
}

// Collects facts while walking one document.
class Analyzer {
 public:
  explicit Analyzer(DocumentFacts& facts) : facts_(facts) {}

  void AnalyzeTop(const Value& document) {
    if (!document.IsObject()) {
      facts_.layout = DocumentLayout::kNotAnObject;
      facts_.problems.push_back(
          Concat("the document is ", TypeName(document), ", not a JSON object"));
      return;
    }
    facts_.layout = DocumentLayout::kMerged;
    if (const Value* info = Member(document, kSidecarInfoKey)) CheckSidecarInfo(*info);
    const Value* data = Member(document, "data");
    if (data != nullptr && facts_.has_sidecar_info) {
      AnalyzeEnvelope(document, *data);
      return;
    }
    for (const Value::Member* member : LiveMembers(document)) AnalyzeTopMember(*member);
  }

  void Finish() {
    std::sort(facts_.operations.begin(), facts_.operations.end());
    facts_.operations.erase(std::unique(facts_.operations.begin(), facts_.operations.end()),
                            facts_.operations.end());
    std::sort(facts_.tool_names.begin(), facts_.tool_names.end());
    facts_.tool_names.erase(std::unique(facts_.tool_names.begin(), facts_.tool_names.end()),
                            facts_.tool_names.end());
  }

 private:
  void CheckSidecarInfo(const Value& info) {
    facts_.has_sidecar_info = true;
    if (!info.IsObject()) {
      facts_.problems.push_back(Concat("sidecar_info is ", TypeName(info), ", expected an object"));
      return;
    }
    for (std::string_view key : {"operation_type", "created_at", "last_updated", "last_operation",
                                 "image_path", "symlink_path"}) {
      const Value* field = Member(info, key);
      if (field != nullptr && !field->IsString() && !field->IsNull()) {
        facts_.problems.push_back(
            Concat("sidecar_info.", key, " is ", TypeName(*field), ", expected a string"));
      }
    }
    const Value* symlink_info = Member(info, "symlink_info");
    if (symlink_info != nullptr && !symlink_info->IsObject() && !symlink_info->IsNull()) {
      facts_.problems.push_back(
          Concat("sidecar_info.symlink_info is ", TypeName(*symlink_info), ", expected an object"));
    }
  }

  void AnalyzeEnvelope(const Value& document, const Value& data) {
    facts_.layout = DocumentLayout::kEnvelope;
    const Value* info = Member(document, kSidecarInfoKey);
    const Value* type = info->IsObject() ? Member(*info, "operation_type") : nullptr;
    if (type == nullptr || !type->IsString()) {
      facts_.problems.push_back(
          "envelope layout: sidecar_info.operation_type must name the operation of `data`");
      return;
    }
    std::string operation(View(*type));
    if (auto mapped = OperationForLegacyKey(operation)) operation = std::string(*mapped);
    AnalyzeOperation(operation, data, "data");
    for (const auto& member : document.GetObject()) {
      const std::string_view key = View(member.name);
      if (key != kSidecarInfoKey && key != "data") {
        facts_.warnings.push_back(Concat("unknown top-level key '", key, "' kept"));
      }
    }
  }

  void AnalyzeTopMember(const Value::Member& member) {
    const std::string_view key = View(member.name);
    if (key == kSidecarInfoKey) return;
    if (IsKnownOperation(key)) {
      AnalyzeOperation(std::string(key), member.value, key);
    } else if (auto operation = OperationForLegacyKey(key)) {
      facts_.layout = DocumentLayout::kLegacyScript;
      AnalyzeOperation(std::string(*operation), member.value, key);
    } else if (IsStrictPayload(member.value) || IsStrictBackendMap(member.value)) {
      facts_.warnings.push_back(Concat("unknown operation '", key, "' (counted as an operation)"));
      AnalyzeOperation(std::string(key), member.value, key);
    } else {
      facts_.warnings.push_back(Concat("unknown top-level key '", key, "' kept"));
    }
  }

  // An unknown operation's map backend → payload: every member a strict one.
  static bool IsStrictBackendMap(const Value& value) {
    if (!value.IsObject() || value.MemberCount() == 0) return false;
    for (const Value::Member* member : LiveMembers(value)) {
      if (!IsStrictPayload(member->value)) return false;
    }
    return true;
  }

  // `where` names the JSON location for messages (e.g. "face_detection").
  void AnalyzeOperation(const std::string& operation, const Value& value, std::string_view where) {
    facts_.operations.push_back(operation);
    if (!value.IsObject()) {
      facts_.problems.push_back(Concat(where, " is ", TypeName(value), ", expected an object"));
      return;
    }
    if (LooksLikePayload(value)) {
      AnalyzePayload(operation, "", value, where);
      return;
    }
    if (value.MemberCount() == 0) {
      facts_.warnings.push_back(Concat(where, " is empty"));
      return;
    }
    const std::vector<const Value::Member*> members = LiveMembers(value);
    // A map of backends has payload objects for values. With none at all the
    // value is a payload of the caller's own shape (a Save of {"score": 0.9}
    // writes exactly that): valid, but worth a warning.
    if (std::none_of(members.begin(), members.end(),
                     [](const Value::Member* member) { return member->value.IsObject(); })) {
      facts_.warnings.push_back(
          Concat(where, " has none of success, faces, objects, detections or metadata"));
      AnalyzePayload(operation, "", value, where);
      return;
    }
    for (const Value::Member* live : members) {
      const Value::Member& backend = *live;
      const std::string_view name = View(backend.name);
      const std::string location = Concat(where, ".", name);
      if (!backend.value.IsObject()) {
        facts_.problems.push_back(
            Concat(location, " is ", TypeName(backend.value), ", expected a payload object"));
      } else {
        AnalyzePayload(operation, std::string(name), backend.value, location);
      }
    }
  }

  void AnalyzePayload(const std::string& operation, std::string backend, const Value& payload,
                      std::string_view where) {
    PayloadFacts facts;
    facts.operation = operation;
    facts.backend = std::move(backend);
    if (const Value* success = Member(payload, "success")) {
      if (success->IsBool()) {
        facts.success = success->GetBool();
      } else {
        Problem(where, "success", *success, "a boolean");
      }
    }
    if (const Value* error = Member(payload, "error");
        error && !error->IsString() && !error->IsNull()) {
      Problem(where, "error", *error, "a string or null");
    }
    facts.faces = CountArray(payload, "faces", where, "face_count");
    facts.objects = CountArray(payload, "objects", where, "objects_found");
    facts.other_detections = CountArray(payload, "detections", where, "");
    CollectObjectClasses(payload, where, facts);
    CollectTools(payload);
    const Value* metadata = Member(payload, "metadata");
    // Only an object is looked into (null is allowed and holds nothing).
    if (metadata != nullptr && !metadata->IsObject()) {
      if (!metadata->IsNull()) Problem(where, "metadata", *metadata, "an object");
      metadata = nullptr;
    }
    if (metadata != nullptr) {
      CollectTools(*metadata);
      if (facts.faces == 0) facts.faces = CountField(*metadata, "faces_found", where);
      if (facts.objects == 0) facts.objects = CountField(*metadata, "objects_found", where);
    }
    facts.processing_time_seconds = ProcessingTime(payload, metadata, where);
    facts_.payloads.push_back(std::move(facts));
  }

  // Length of array `key`, or else the integer `count_key`; problems for
  // wrong types.
  int64_t CountArray(const Value& payload, std::string_view key, std::string_view where,
                     std::string_view count_key) {
    if (const Value* array = Member(payload, key)) {
      if (array->IsArray()) return static_cast<int64_t>(array->Size());
      if (!array->IsNull()) Problem(where, key, *array, "an array");
    }
    return count_key.empty() ? 0 : CountField(payload, count_key, where);
  }

  int64_t CountField(const Value& object, std::string_view key, std::string_view where) {
    const Value* count = Member(object, key);
    if (count == nullptr || count->IsNull()) return 0;
    if (count->IsInt64() && count->GetInt64() >= 0) return count->GetInt64();
    Problem(where, key, *count, "a non-negative integer");
    return 0;
  }

  std::optional<double> ProcessingTime(const Value& payload, const Value* metadata,
                                       std::string_view where) {
    const std::pair<const Value*, std::string_view> candidates[] = {
        {metadata, "processing_time"}, {metadata, "detection_time"}, {&payload, "processing_time"}};
    for (const auto& [object, key] : candidates) {
      if (object == nullptr) continue;
      const Value* time = Member(*object, key);
      if (time == nullptr || time->IsNull()) continue;
      if (time->IsNumber()) return time->GetDouble();
      Problem(where, key, *time, "a number of seconds");
    }
    return std::nullopt;
  }

  void CollectObjectClasses(const Value& payload, std::string_view where, PayloadFacts& facts) {
    const Value* objects = Member(payload, "objects");
    if (objects == nullptr || !objects->IsArray()) return;
    std::map<std::string, int64_t> classes;
    for (const Value& object : objects->GetArray()) {
      if (!object.IsObject()) {
        facts_.problems.push_back(
            Concat(where, ".objects has an entry that is ", TypeName(object)));
        continue;
      }
      const Value* name = Member(object, "class_name");
      if (name != nullptr && name->IsString()) ++classes[std::string(View(*name))];
    }
    facts.object_classes.assign(classes.begin(), classes.end());
  }

  void CollectTools(const Value& object) {
    for (std::string_view key : {"detector", "model_name", "model_path"}) {
      const Value* tool = Member(object, key);
      if (tool != nullptr && tool->IsString() && tool->GetStringLength() > 0) {
        facts_.tool_names.emplace_back(View(*tool));
      }
    }
  }

  void Problem(std::string_view where, std::string_view key, const Value& value,
               std::string_view expected) {
    facts_.problems.push_back(
        Concat(where, ".", key, " is ", TypeName(value), ", expected ", expected));
  }

  DocumentFacts& facts_;
};

}  // namespace

bool DocumentFacts::IsSidecarDocument() const {
  return layout != DocumentLayout::kNotAnObject && (has_sidecar_info || !operations.empty());
}

bool DocumentFacts::HasOperation(std::string_view operation) const {
  return std::binary_search(operations.begin(), operations.end(), operation);
}

int64_t DocumentFacts::faces() const {
  int64_t total = 0;
  for (const PayloadFacts& payload : payloads) total = SaturatingAdd(total, payload.faces);
  return total;
}

int64_t DocumentFacts::objects() const {
  int64_t total = 0;
  for (const PayloadFacts& payload : payloads) total = SaturatingAdd(total, payload.objects);
  return total;
}

int64_t DocumentFacts::detection_count() const {
  int64_t total = 0;
  for (const PayloadFacts& payload : payloads) {
    total = SaturatingAdd(total, SaturatingAdd(payload.faces, payload.objects));
    total = SaturatingAdd(total, payload.other_detections);
  }
  return total;
}

DocumentFacts AnalyzeDocument(const rapidjson::Value& document) {
  DocumentFacts facts;
  Analyzer analyzer(facts);
  analyzer.AnalyzeTop(document);
  analyzer.Finish();
  return facts;
}

}  // namespace sidecard::engine
