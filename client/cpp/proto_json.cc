#include "client/cpp/proto_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "client/cpp/python_json.h"

namespace sidecard {
namespace {

using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Appends the shortest text that reads back as `value`, or `null` for values
// JSON has no number for.
template <typename Number>
void AppendNumber(Number value, std::string& out) {
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(value)) {
      out += "null";
      return;
    }
  }
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// `SidecarFormat` -> `SIDECAR_FORMAT_`: the prefix that protobuf style puts
// on every value of an enum type.
std::string EnumValuePrefix(std::string_view type_name) {
  std::string prefix;
  char previous = '\0';
  for (const char c : type_name) {
    const bool upper = c >= 'A' && c <= 'Z';
    const bool previous_lower_or_digit =
        (previous >= 'a' && previous <= 'z') || (previous >= '0' && previous <= '9');
    if (upper && previous_lower_or_digit) prefix += '_';
    prefix += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    previous = c;
  }
  prefix += '_';
  return prefix;
}

// A field as a writer prints it: its key already as JSON text.
struct PrintedField {
  const FieldDescriptor* field;
  std::string key;  // `"name":` or `"name": `
  bool in_oneof;
};

// What a writer looks up again and again for every message of a long
// stream, worked out once per type (sidecarctl prints one type many times).
class DescriptorMemo {
 public:
  // The fields of `type` that are printed (bytes fields are left out), in
  // declaration order.
  const std::vector<PrintedField>& FieldsOf(const google::protobuf::Descriptor& type,
                                            bool compact) {
    auto [it, added] = fields_.try_emplace(std::make_pair(&type, compact));
    if (added) {
      for (int i = 0; i < type.field_count(); ++i) {
        const FieldDescriptor* field = type.field(i);
        if (IsBytes(*field)) continue;
        std::string key;
        AppendJsonString(field->name(), key);  // names are ASCII identifiers
        key += compact ? ":" : ": ";
        it->second.push_back({field, std::move(key), field->containing_oneof() != nullptr});
      }
    }
    return it->second;
  }

  const std::string& EnumName(const EnumValueDescriptor& value) {
    auto [it, added] = enum_names_.try_emplace(&value);
    if (added) it->second = EnumValueJsonName(value);
    return it->second;
  }

  // Bytes fields, and maps whose values are bytes, are left out.
  static bool IsBytes(const FieldDescriptor& field) {
    if (field.is_map()) return IsBytes(*field.message_type()->map_value());
    return field.type() == FieldDescriptor::TYPE_BYTES;
  }

 private:
  std::map<std::pair<const google::protobuf::Descriptor*, bool>, std::vector<PrintedField>> fields_;
  std::map<const EnumValueDescriptor*, std::string> enum_names_;
};

DescriptorMemo& Memo() {
  thread_local DescriptorMemo memo;
  return memo;
}

// A map entry with its key as JSON object key text, and what it sorts by.
struct MapEntry {
  std::string key;
  int64_t signed_key = 0;
  uint64_t unsigned_key = 0;
  const Message* entry = nullptr;
};

// Writes one message as JSON into a string, in one of the two layouts.
class JsonWriter {
 public:
  JsonWriter(JsonLayout layout, std::string& out, int base_indent)
      : layout_(layout),
        python_(layout == JsonLayout::kPython),
        out_(out),
        base_indent_(base_indent) {}

  void WriteMessage(const Message& message, int depth) {
    const Reflection& reflection = *message.GetReflection();
    const std::vector<PrintedField>& all =
        Memo().FieldsOf(*message.GetDescriptor(), layout_ == JsonLayout::kCompact);
    // Unset oneof members are left out (but by the Python layout).
    absl::InlinedVector<const PrintedField*, 32> fields;
    for (const PrintedField& field : all) {
      if (!python_ && field.in_oneof && !reflection.HasField(message, field.field)) continue;
      fields.push_back(&field);
    }
    WriteContainer('{', '}', fields.size(), depth, [&](size_t i) {
      out_ += fields[i]->key;
      WriteField(message, reflection, *fields[i]->field, depth + 1);
    });
  }

 private:
  // The message's Reflection is passed down: looking it up costs a call per
  // field, which long streams of small messages feel.
  void WriteField(const Message& message, const Reflection& reflection,
                  const FieldDescriptor& field, int depth) {
    if (field.is_map()) {
      WriteMap(message, reflection, field, depth);
    } else if (field.is_repeated()) {
      WriteContainer('[', ']', static_cast<size_t>(reflection.FieldSize(message, &field)), depth,
                     [&](size_t i) {
                       WriteValue(message, reflection, field, static_cast<int>(i), depth + 1);
                     });
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               !reflection.HasField(message, &field)) {
      out_ += "null";
    } else {
      WriteValue(message, reflection, field, -1, depth);
    }
  }

  void WriteMap(const Message& message, const Reflection& reflection, const FieldDescriptor& field,
                int depth) {
    const FieldDescriptor& key_field = *field.message_type()->map_key();
    const FieldDescriptor& value_field = *field.message_type()->map_value();
    std::vector<MapEntry> entries(static_cast<size_t>(reflection.FieldSize(message, &field)));
    for (size_t i = 0; i < entries.size(); ++i) {
      MapEntry& entry = entries[i];
      entry.entry = &reflection.GetRepeatedMessage(message, &field, static_cast<int>(i));
      const Reflection& entry_reflection = *entry.entry->GetReflection();
      switch (key_field.cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          entry.signed_key = entry_reflection.GetInt32(*entry.entry, &key_field);
          entry.key = std::to_string(entry.signed_key);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          entry.signed_key = entry_reflection.GetInt64(*entry.entry, &key_field);
          entry.key = std::to_string(entry.signed_key);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          entry.unsigned_key = entry_reflection.GetUInt32(*entry.entry, &key_field);
          entry.key = std::to_string(entry.unsigned_key);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          entry.unsigned_key = entry_reflection.GetUInt64(*entry.entry, &key_field);
          entry.key = std::to_string(entry.unsigned_key);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          entry.key = entry_reflection.GetBool(*entry.entry, &key_field) ? "true" : "false";
          break;
        default:  // Strings; no other type can be a map key.
          entry.key = entry_reflection.GetString(*entry.entry, &key_field);
          break;
      }
    }
    // Integer keys sort as numbers, the rest as text (bytewise).
    std::sort(entries.begin(), entries.end(), [](const MapEntry& a, const MapEntry& b) {
      if (a.signed_key != b.signed_key) return a.signed_key < b.signed_key;
      if (a.unsigned_key != b.unsigned_key) return a.unsigned_key < b.unsigned_key;
      return a.key < b.key;
    });
    WriteContainer('{', '}', entries.size(), depth, [&](size_t i) {
      WriteKey(entries[i].key);
      WriteField(*entries[i].entry, *entries[i].entry->GetReflection(), value_field, depth + 1);
    });
  }

  // Writes the value of a singular field (`index` < 0) or one element of a
  // repeated field.
  void WriteValue(const Message& message, const Reflection& r, const FieldDescriptor& field,
                  int index, int depth) {
    const FieldDescriptor* f = &field;
    const bool repeated = index >= 0;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendNumber(repeated ? r.GetRepeatedInt32(message, f, index) : r.GetInt32(message, f),
                     out_);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendNumber(repeated ? r.GetRepeatedInt64(message, f, index) : r.GetInt64(message, f),
                     out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendNumber(repeated ? r.GetRepeatedUInt32(message, f, index) : r.GetUInt32(message, f),
                     out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        AppendNumber(repeated ? r.GetRepeatedUInt64(message, f, index) : r.GetUInt64(message, f),
                     out_);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        AppendFloating(repeated ? r.GetRepeatedDouble(message, f, index) : r.GetDouble(message, f));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        AppendFloating(repeated ? r.GetRepeatedFloat(message, f, index) : r.GetFloat(message, f));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += (repeated ? r.GetRepeatedBool(message, f, index) : r.GetBool(message, f)) ? "true"
                                                                                          : "false";
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int number =
            repeated ? r.GetRepeatedEnumValue(message, f, index) : r.GetEnumValue(message, f);
        const EnumValueDescriptor* value = field.enum_type()->FindValueByNumber(number);
        if (value == nullptr) {
          AppendNumber(number, out_);
        } else if (const std::string& name = Memo().EnumName(*value);
                   python_ && name == "unspecified") {
          out_ += "null";
        } else {
          AppendString(name);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        AppendString(repeated ? r.GetRepeatedStringReference(message, f, index, &scratch)
                              : r.GetStringReference(message, f, &scratch));
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& value =
            repeated ? r.GetRepeatedMessage(message, f, index) : r.GetMessage(message, f);
        if (python_ && value.GetDescriptor()->full_name() == "sidecar.v1.FilePath") {
          WriteFilePath(value);
        } else {
          WriteMessage(value, depth);
        }
        break;
      }
    }
  }

  // Writes `open`, then `count` items produced by `write_item(i)` separated
  // by commas (one per line when indented), then `close`.
  template <typename WriteItem>
  void WriteContainer(char open, char close, size_t count, int depth, WriteItem write_item) {
    out_ += open;
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out_ += ',';
      NewLine(depth + 1);
      write_item(i);
    }
    if (count > 0) NewLine(depth);
    out_ += close;
  }

  void WriteKey(std::string_view name) {
    AppendString(name);
    out_ += layout_ == JsonLayout::kCompact ? ":" : ": ";
  }

  void AppendString(std::string_view text) {
    if (python_) {
      AppendPythonJsonString(text, out_);
    } else {
      AppendJsonString(text, out_);
    }
  }

  template <typename Floating>
  void AppendFloating(Floating value) {
    if (python_) {
      out_ += PythonFloatRepr(value);
    } else {
      AppendNumber(value, out_);
    }
  }

  // A FilePath as the Python client gives it: one string, its exact bytes
  // (`raw_path` when set), or null when empty.
  void WriteFilePath(const Message& path) {
    const Reflection& r = *path.GetReflection();
    const google::protobuf::Descriptor& type = *path.GetDescriptor();
    std::string text = r.GetString(path, type.FindFieldByName("raw_path"));
    if (text.empty()) text = r.GetString(path, type.FindFieldByName("path"));
    if (text.empty()) {
      out_ += "null";
    } else {
      AppendString(text);
    }
  }

  void NewLine(int depth) {
    if (layout_ == JsonLayout::kCompact) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(2 * (base_indent_ + depth)), ' ');
  }

  const JsonLayout layout_;
  const bool python_;
  std::string& out_;
  const int base_indent_;
};

}  // namespace

void AppendMessageJson(const Message& message, JsonLayout layout, std::string& out,
                       int base_indent) {
  JsonWriter(layout, out, base_indent).WriteMessage(message, 0);
}

std::string MessageToJson(const Message& message, JsonLayout layout) {
  std::string out;
  AppendMessageJson(message, layout, out);
  return out;
}

std::string EnumValueJsonName(const EnumValueDescriptor& value) {
  std::string_view name = value.name();
  const std::string prefix = EnumValuePrefix(value.type()->name());
  if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
    name.remove_prefix(prefix.size());
  }
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

}  // namespace sidecard
