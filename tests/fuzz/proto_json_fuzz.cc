// Fuzzes what sidecarctl --json prints (client/cpp/proto_json): a response
// message of any content, as the daemon could send it, must print as valid
// JSON in both layouts, and the two layouts must hold the same document;
// each FileReport of a Validate response prints the same through its own
// writer (file_report_json.h) as through reflection.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "client/cpp/file_report_json.h"
#include "client/cpp/proto_json.h"
#include "fuzz/fuzz_check.h"
#include "grpc/health/v1/health.pb.h"
#include "server/engine/formats/json_text.h"
#include "sidecar/v1/sidecar.pb.h"

namespace {

// The messages sidecarctl prints, chosen by the first input byte.
std::unique_ptr<google::protobuf::Message> NewMessage(uint8_t selector) {
  namespace v1 = sidecar::v1;
  switch (selector % 9) {
    case 0:
      return std::make_unique<v1::ValidateResponse>();
    case 1:
      return std::make_unique<v1::StatsResponse>();
    case 2:
      return std::make_unique<v1::CleanupResponse>();
    case 3:
      return std::make_unique<v1::GetServerInfoResponse>();
    case 4:
      return std::make_unique<v1::ReadSidecarResponse>();
    case 5:
      return std::make_unique<v1::SaveSidecarResponse>();
    case 6:
      return std::make_unique<v1::ExportResponse>();
    case 7:
      return std::make_unique<v1::ConvertResponse>();
    default:
      return std::make_unique<grpc::health::v1::HealthCheckResponse>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  if (size == 0) return 0;
  std::unique_ptr<google::protobuf::Message> message = NewMessage(data[0]);
  if (!message->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;

  const std::string compact = MessageToJson(*message, JsonLayout::kCompact);
  const std::string indented = MessageToJson(*message, JsonLayout::kIndented);
  auto compact_document = engine::ParseJson(compact);
  auto indented_document = engine::ParseJson(indented);
  if (!compact_document.ok() || !indented_document.ok()) {
    std::fprintf(
        stderr, "%s\n%s\n", compact.c_str(),
        std::string(
            (compact_document.ok() ? indented_document : compact_document).status().message())
            .c_str());
    fuzz::Check(false, "a message prints as valid JSON");
  }
  fuzz::Check(compact_document->IsObject(), "a message prints as a JSON object");
  fuzz::CheckEqual(engine::CanonicalJson(*compact_document),
                   engine::CanonicalJson(*indented_document),
                   "both layouts hold the same document");
  // Validate's reports have a writer of their own: byte for byte the same.
  if (const auto* validate = dynamic_cast<const sidecar::v1::ValidateResponse*>(message.get())) {
    for (const sidecar::v1::FileReport& report : validate->reports()) {
      std::string by_field;
      AppendFileReportJson(report, by_field);
      fuzz::CheckEqual(by_field, MessageToJson(report, JsonLayout::kCompact),
                       "the FileReport writer writes what reflection writes");
    }
  }
  return 0;
}
