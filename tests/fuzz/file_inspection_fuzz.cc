// Fuzzes the inspection of one sidecar file as the tree operations do it:
// read from a real file (with a size limit), decoded, analysed, then
// classified as paired, orphan or foreign. The result must agree
// with decoding the same bytes in memory, and the classification must follow
// the rules (only decodable sidecar documents without an image are orphans).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_directory.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/library/directory_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  using engine::SidecarFormat;
  using engine::SidecarRole;
  using fuzz::Check;
  static const fuzz::FuzzDirectory directory;

  FuzzedDataProvider provider(data, size);
  const auto format =
      provider.PickValueInArray({SidecarFormat::kBin, SidecarFormat::kRkyv, SidecarFormat::kJson});
  const bool paired = provider.ConsumeBool();
  // Mostly no effective limit; sometimes one the file may exceed.
  const size_t max_bytes = provider.ConsumeBool() ? provider.ConsumeIntegralInRange<size_t>(0, 64)
                                                  : engine::kDefaultMaxSidecarBytes;
  const std::string bytes = provider.ConsumeRemainingBytesAsString();

  engine::SidecarFile file;
  file.name = "IMG_1." + std::string(engine::FormatName(format));
  file.format = format;
  if (paired) file.image = 0;
  directory.Write(file.name, bytes);
  const engine::SidecarInspection inspection =
      engine::InspectSidecarAt(directory.fd(), file.name, format, max_bytes);

  Check(inspection.format == format, "the inspection keeps the format");
  Check(inspection.stamp.size == static_cast<int64_t>(bytes.size()), "the stamp has the size");
  Check(inspection.decoded == inspection.error.empty(), "decoded exactly when there is no error");
  Check(inspection.valid() == inspection.FirstError().empty(),
        "valid exactly when there is no first error");
  if (bytes.size() > max_bytes) {
    Check(!inspection.decoded, "a file over the limit is not read");
  } else {
    auto decoded = engine::DecodeSidecar(format, bytes);
    Check(decoded.ok() == inspection.decoded, "the file decodes as its bytes do");
    if (decoded.ok()) {
      const engine::DocumentFacts facts = engine::AnalyzeDocument(decoded->document);
      Check(facts.operations == inspection.facts.operations &&
                facts.problems == inspection.facts.problems &&
                facts.detection_count() == inspection.facts.detection_count(),
            "the file is analysed as its bytes are");
      Check(decoded->warnings == inspection.decode_warnings, "the decoder's warnings are kept");
    } else {
      Check(decoded.status().message() == inspection.error, "the decoder's error is reported");
    }
  }

  const SidecarRole role = engine::ClassifySidecar(file, inspection);
  if (paired) {
    Check(role == SidecarRole::kPaired, "a sidecar with an image is paired");
  } else if (inspection.IsSidecarDocument()) {
    Check(role == SidecarRole::kOrphan, "an unpaired sidecar document is an orphan");
  } else {
    Check(role == SidecarRole::kForeign,
          "an unpaired file that is not a sidecar document is foreign");
    Check(!engine::IsReportedSidecar(role), "and is never reported (or removed) as a sidecar");
  }
  return 0;
}
