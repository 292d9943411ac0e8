// Fuzzes how documents of one image are merged (SaveSidecar, Export, Convert):
// a higher- and a lower-priority document (JSON texts separated by a NUL
// byte), merged, then an operation stored into the result. Nothing the
// higher-priority document has may be lost, everything the lower one has at
// the top level must be present, and merging again must change nothing.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/documents/operations.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/path_text.h"

namespace {

using sidecard::fuzz::Check;

const rapidjson::Value* Find(const rapidjson::Value& object, std::string_view key) {
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view KeyOf(const rapidjson::Value& name) {
  return {name.GetString(), name.GetStringLength()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  FuzzedDataProvider provider(data, size);
  const auto operations = engine::KnownOperations();
  const std::string_view operation =
      operations[provider.ConsumeIntegralInRange<size_t>(0, operations.size() - 1)];
  const std::string backend = provider.ConsumeRandomLengthString(16);
  // As the service takes it: protobuf refuses a string that is not UTF-8,
  // and the service a NUL (sidecar_service_image.cc).
  if (!engine::IsValidUtf8(backend) || backend.find('\0') != std::string::npos) return 0;
  const std::string texts = provider.ConsumeRemainingBytesAsString();
  const size_t nul = texts.find('\0');
  if (nul == std::string::npos) return 0;
  auto higher = engine::ParseJson(std::string_view(texts).substr(0, nul));
  auto lower = engine::ParseJson(std::string_view(texts).substr(nul + 1));
  if (!higher.ok() || !lower.ok()) return 0;
  engine::NormalizeLayout(*higher);
  engine::NormalizeLayout(*lower);

  rapidjson::Document merged;
  merged.CopyFrom(*higher, merged.GetAllocator());
  const std::vector<std::string> conflicts = engine::MergeLowerPriority(merged, *lower);
  if (higher->IsObject() && lower->IsObject()) {
    for (const auto& member : higher->GetObject()) {
      const rapidjson::Value* kept = Find(merged, KeyOf(member.name));
      Check(kept != nullptr, "every key of the higher-priority document is kept");
      // (Of a repeated key, the first one counts, in `higher` as in `merged`.)
      const rapidjson::Value& original = *Find(*higher, KeyOf(member.name));
      if (!original.IsObject()) {
        fuzz::CheckEqual(engine::CanonicalJson(*kept), engine::CanonicalJson(original),
                         "its value is kept as it was");
      }
    }
    for (const auto& member : lower->GetObject()) {
      Check(Find(merged, KeyOf(member.name)) != nullptr,
            "every key of the lower-priority document is present");
    }
  } else {
    Check(conflicts.empty(), "merging a non-object reports no conflicts");
  }
  const std::string once = engine::CanonicalJson(merged);
  const std::vector<std::string> again = engine::MergeLowerPriority(merged, *lower);
  fuzz::CheckEqual(once, engine::CanonicalJson(merged), "merging twice changes nothing more");
  Check(again == conflicts, "merging twice reports the same conflicts");

  // Storing a payload puts exactly it where the operation (and backend) says,
  // as the written document shows it.
  rapidjson::Document payload;
  payload.CopyFrom(*lower, payload.GetAllocator());
  engine::PutOperation(merged, operation, backend, payload);
  auto written = engine::ParseJson(engine::CanonicalJson(merged));
  Check(written.ok(), "the merged document writes as JSON");
  const rapidjson::Value* stored = Find(*written, operation);
  Check(stored != nullptr, "the stored operation is written");
  if (!backend.empty()) {
    Check(stored->IsObject(), "an operation with backends is an object");
    stored = Find(*stored, backend);
    Check(stored != nullptr, "the stored backend is written");
  }
  fuzz::CheckEqual(engine::CanonicalJson(*stored), engine::CanonicalJson(payload),
                   "the written payload is the one stored");
  return 0;
}
