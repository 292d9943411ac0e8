#include "server/engine/documents/document_merge.h"

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/engine/documents/operations.h"

namespace sidecard::engine {
namespace {

using rapidjson::Value;

Value Key(std::string_view key, rapidjson::Document::AllocatorType& allocator) {
  return Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), allocator);
}

Value* Find(Value& object, std::string_view key) {
  auto it = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool IsPayload(const Value& value) {
  if (!value.IsObject()) return false;
  for (const char* key : {"success", "faces", "objects", "detections", "metadata"}) {
    if (value.HasMember(key)) return true;
  }
  return false;
}

// Keeps only the last member of each repeated key, in every object of
// `value`. Documents rarely repeat a key, so the common case only looks.
void RemoveRepeatedKeys(Value& value) {
  if (value.IsArray()) {
    for (Value& element : value.GetArray()) RemoveRepeatedKeys(element);
    return;
  }
  if (!value.IsObject()) return;
  if (value.MemberCount() > 1) {
    const auto name_of = [](const Value::Member& member) {
      return std::string_view(member.name.GetString(), member.name.GetStringLength());
    };
    absl::flat_hash_map<std::string_view, size_t> last;
    size_t index = 0;
    for (const auto& member : value.GetObject()) last[name_of(member)] = index++;
    if (last.size() < value.MemberCount()) {
      // Decide first (the views above point into the members), then erase
      // from the back so the indices ahead stay valid.
      std::vector<bool> keep;
      index = 0;
      for (const auto& member : value.GetObject())
        keep.push_back(last.at(name_of(member)) == index++);
      for (size_t i = keep.size(); i-- > 0;) {
        if (!keep[i]) value.EraseMember(value.MemberBegin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  for (auto& member : value.GetObject()) RemoveRepeatedKeys(member.value);
}

}  // namespace

void NormalizeLayout(rapidjson::Document& document) {
  RemoveRepeatedKeys(document);
  if (!document.IsObject()) return;
  auto& allocator = document.GetAllocator();
  Value* info = Find(document, kSidecarInfoKey);
  Value* data = Find(document, "data");
  if (info != nullptr && info->IsObject() && data != nullptr) {
    const Value* type = Find(*info, "operation_type");
    if (type != nullptr && type->IsString()) {
      std::string operation(type->GetString(), type->GetStringLength());
      if (auto mapped = OperationForLegacyKey(operation)) operation = std::string(*mapped);
      if (!document.HasMember(operation.c_str())) {
        Value payload;
        payload.CopyFrom(*data, allocator);
        document.RemoveMember("data");
        document.AddMember(Key(operation, allocator), payload, allocator);
      }
    }
  }
  // Old script keys: rename where the operation key is still free.
  for (auto it = document.MemberBegin(); it != document.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    const auto operation = OperationForLegacyKey(key);
    if (operation &&
        !document.HasMember(Value(rapidjson::StringRef(operation->data(), operation->size())))) {
      it->name.SetString(operation->data(), static_cast<rapidjson::SizeType>(operation->size()),
                         allocator);
    }
  }
}

std::vector<std::string> MergeLowerPriority(rapidjson::Document& merged, const Value& lower) {
  std::vector<std::string> conflicts;
  if (!merged.IsObject() || !lower.IsObject()) return conflicts;
  auto& allocator = merged.GetAllocator();
  for (const auto& member : lower.GetObject()) {
    const std::string_view key(member.name.GetString(), member.name.GetStringLength());
    Value* existing = Find(merged, key);
    if (existing == nullptr) {
      Value copy;
      copy.CopyFrom(member.value, allocator);
      merged.AddMember(Key(key, allocator), copy, allocator);
      continue;
    }
    // One level down: backends of an operation, fields of sidecar_info. A
    // direct payload is one result, never mixed with another.
    const bool bookkeeping = key == kSidecarInfoKey;
    if (!existing->IsObject() || !member.value.IsObject() || IsPayload(*existing) ||
        IsPayload(member.value)) {
      if (!bookkeeping && *existing != member.value) conflicts.emplace_back(key);
      continue;
    }
    for (const auto& inner : member.value.GetObject()) {
      const std::string_view inner_key(inner.name.GetString(), inner.name.GetStringLength());
      if (const Value* kept = Find(*existing, inner_key)) {
        if (!bookkeeping && *kept != inner.value) {
          conflicts.push_back(std::string(key) + "." + std::string(inner_key));
        }
        continue;
      }
      Value copy;
      copy.CopyFrom(inner.value, allocator);
      existing->AddMember(Key(inner_key, allocator), copy, allocator);
    }
  }
  return conflicts;
}

void PutOperation(rapidjson::Document& document, std::string_view operation,
                  std::string_view backend, const Value& payload) {
  auto& allocator = document.GetAllocator();
  if (!document.IsObject()) document.SetObject();
  Value copy;
  copy.CopyFrom(payload, allocator);
  Value* existing = Find(document, operation);
  if (backend.empty()) {
    if (existing != nullptr) {
      existing->Swap(copy);
    } else {
      document.AddMember(Key(operation, allocator), copy, allocator);
    }
    return;
  }
  if (existing == nullptr) {
    document.AddMember(Key(operation, allocator), Value(rapidjson::kObjectType), allocator);
    existing = Find(document, operation);
  } else if (!existing->IsObject() || IsPayload(*existing)) {
    // Keep the old direct value as backend "previous" rather than drop it.
    Value backends(rapidjson::kObjectType);
    backends.AddMember("previous", *existing, allocator);  // moves the old value
    existing->Swap(backends);
  }
  if (Value* slot = Find(*existing, backend)) {
    slot->Swap(copy);
  } else {
    existing->AddMember(Key(backend, allocator), copy, allocator);
  }
}

}  // namespace sidecard::engine
