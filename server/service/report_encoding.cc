#include "server/service/report_encoding.h"

#include <google/protobuf/unknown_field_set.h>

#include <cstdint>
#include <string_view>

#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"

namespace sidecard::service {
namespace {

using sidecar::v1::FilePath;
using sidecar::v1::FileReport;

constexpr uint32_t kLengthDelimited = 2;

void AppendVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

void AppendBytesField(uint32_t number, std::string_view bytes, std::string& out) {
  AppendVarint((number << 3) | kLengthDelimited, out);
  AppendVarint(bytes.size(), out);
  out.append(bytes);
}

// A FilePath field as FillPath fills it: display text and exact bytes.
void AppendPathField(uint32_t number, const std::string& raw, std::string& out) {
  const std::string display_owned =
      engine::IsValidUtf8(raw) ? std::string() : engine::DisplayPath(raw);
  const std::string_view display = display_owned.empty() ? std::string_view(raw) : display_owned;
  const size_t display_bytes =
      display.empty() ? 0 : 1 + VarintSize(display.size()) + display.size();
  const size_t raw_bytes = raw.empty() ? 0 : 1 + VarintSize(raw.size()) + raw.size();
  AppendVarint((number << 3) | kLengthDelimited, out);
  AppendVarint(display_bytes + raw_bytes, out);
  if (!display.empty()) AppendBytesField(FilePath::kPathFieldNumber, display, out);
  if (!raw.empty()) AppendBytesField(FilePath::kRawPathFieldNumber, raw, out);
}

}  // namespace

std::string EncodeReportBody(const engine::ValidatedFile& file) {
  // One scratch message per thread: its strings keep their capacity.
  thread_local FileReport report;
  report.Clear();
  FillFileReportBody(file, report);
  return report.SerializeAsString();
}

void AddEncodedReport(const engine::ValidatedFile& file, sidecar::v1::ValidateResponse& message) {
  std::string& out = *message.GetReflection()->MutableUnknownFields(&message)->AddLengthDelimited(
      sidecar::v1::ValidateResponse::kReportsFieldNumber);
  out.reserve(2 * file.path.size() + file.report_memo.size() +
              (file.image_path ? 2 * file.image_path->size() : 0) + 24);
  AppendPathField(FileReport::kFileFieldNumber, file.path, out);
  out.append(file.report_memo);
  if (file.size_bytes != 0) {
    AppendVarint(FileReport::kSizeBytesFieldNumber << 3, out);  // varint wire type 0
    AppendVarint(static_cast<uint64_t>(file.size_bytes), out);
  }
  if (file.image_path) AppendPathField(FileReport::kImageFieldNumber, *file.image_path, out);
}

}  // namespace sidecard::service
