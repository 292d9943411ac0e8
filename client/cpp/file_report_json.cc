#include "client/cpp/file_report_json.h"

#include <charconv>
#include <cstdint>
#include <string_view>
#include <vector>

#include "client/cpp/proto_json.h"

namespace sidecard {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::RepeatedPtrField;
using sidecar::v1::FilePath;

void AppendInteger(int64_t value, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// The JSON names of an enum's values by number (EnumValueJsonName), worked
// out once; a number it does not know prints as the number.
class EnumNames {
 public:
  explicit EnumNames(const EnumDescriptor& type) {
    for (int i = 0; i < type.value_count(); ++i) {
      const int number = type.value(i)->number();
      if (number < 0 || number > 64) continue;  // a reflection lookup then
      if (static_cast<size_t>(number) >= quoted_.size()) quoted_.resize(number + 1);
      std::string& quoted = quoted_[static_cast<size_t>(number)];
      if (quoted.empty()) AppendJsonString(EnumValueJsonName(*type.value(i)), quoted);
    }
    type_ = &type;
  }

  void Append(int number, std::string& out) const {
    if (number >= 0 && static_cast<size_t>(number) < quoted_.size() &&
        !quoted_[static_cast<size_t>(number)].empty()) {
      out += quoted_[static_cast<size_t>(number)];
    } else if (const auto* value = type_->FindValueByNumber(number); value != nullptr) {
      AppendJsonString(EnumValueJsonName(*value), out);
    } else {
      AppendInteger(number, out);
    }
  }

 private:
  const EnumDescriptor* type_ = nullptr;
  std::vector<std::string> quoted_;
};

void AppendPath(bool present, const FilePath& path, std::string& out) {
  if (!present) {
    out += "null";
    return;
  }
  out += "{\"path\":";  // raw_path is bytes: left out, as everywhere
  AppendJsonString(path.path(), out);
  out += '}';
}

void AppendStrings(const RepeatedPtrField<std::string>& texts, std::string& out) {
  out += '[';
  for (int i = 0; i < texts.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(texts.Get(i), out);
  }
  out += ']';
}

}  // namespace

void AppendFileReportJson(const sidecar::v1::FileReport& report, std::string& out) {
  static const EnumNames formats(*sidecar::v1::SidecarFormat_descriptor());
  static const EnumNames layouts(*sidecar::v1::DocumentLayout_descriptor());
  out += "{\"file\":";
  AppendPath(report.has_file(), report.file(), out);
  out += ",\"format\":";
  formats.Append(report.format(), out);
  out += report.valid() ? ",\"valid\":true,\"error\":" : ",\"valid\":false,\"error\":";
  AppendJsonString(report.error(), out);
  out += ",\"problems\":";
  AppendStrings(report.problems(), out);
  out += ",\"warnings\":";
  AppendStrings(report.warnings(), out);
  out += ",\"size_bytes\":";
  AppendInteger(report.size_bytes(), out);
  out += ",\"operations\":";
  AppendStrings(report.operations(), out);
  out += ",\"detection_count\":";
  AppendInteger(report.detection_count(), out);
  out += ",\"tool_names\":";
  AppendStrings(report.tool_names(), out);
  out += ",\"image\":";
  AppendPath(report.has_image(), report.image(), out);
  out += report.orphan() ? ",\"orphan\":true,\"layout\":" : ",\"orphan\":false,\"layout\":";
  layouts.Append(report.layout(), out);
  out += ",\"face_count\":";
  AppendInteger(report.face_count(), out);
  out += ",\"object_count\":";
  AppendInteger(report.object_count(), out);
  out += '}';
}

}  // namespace sidecard
