// Fuzzes how one image's sidecar files are found, read and merged (Export,
// Convert, ReadSidecar): a real directory with IMG_1.jpg or not, and any of
// IMG_1.bin, IMG_1.json and the old IMG_1_face_detection.json with fuzzed
// contents, scanned, planned and loaded. Only sidecar files may become
// members, in read priority order, and the merged document must hold every
// known operation of every readable member.
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_directory.h"
#include "server/engine/documents/operations.h"
#include "server/engine/ops/tree_documents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  using fuzz::Check;
  static const fuzz::FuzzDirectory directory;
  static const char* const kSidecars[] = {"IMG_1.bin", "IMG_1.json", "IMG_1_face_detection.json"};

  FuzzedDataProvider provider(data, size);
  const bool with_image = provider.ConsumeBool();
  if (with_image) {
    directory.Write("IMG_1.jpg", "");
  } else {
    directory.Remove("IMG_1.jpg");
  }
  bool present[3] = {};
  for (size_t i = 0; i < 3; ++i) {
    present[i] = provider.ConsumeBool();
    if (present[i]) {
      directory.Write(kSidecars[i], provider.ConsumeRandomLengthString(4096));
    } else {
      directory.Remove(kSidecars[i]);
    }
  }
  const size_t count = present[0] + present[1] + present[2];

  engine::UniqueFd fd(open(directory.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto scan = engine::ScanDirectory(std::move(fd), "", directory.path(), {});
  Check(scan.ok(), "the fuzz directory scans");
  Check(scan->sidecars.size() == count, "every sidecar-extension file is seen");
  // The old per-operation file belongs to IMG_1 only when IMG_1's image
  // exists; without it, it is the sidecar of an image IMG_1_face_detection.
  const bool legacy_apart = present[2] && !with_image;
  const size_t groups = (present[0] || present[1] || (present[2] && with_image)) + legacy_apart;
  const std::vector<engine::GroupPlan> plans = engine::PlanGroups(*scan);
  Check(plans.size() == groups, "the files of one image stem form one group");

  for (const engine::GroupPlan& plan : plans) {
    const engine::GroupDocument group =
        engine::LoadGroup(*scan, plan, engine::kDefaultMaxSidecarBytes);
    Check(group.key == plan.key, "a group keeps its key");
    Check(group.image.has_value() == (with_image && plan.key == "img_1" && !group.files.empty()),
          "a group has its image exactly when the image exists");
    if (with_image) {
      Check(group.files.size() == plan.sidecars.size(),
            "with an image every sidecar file is a member");
    }
    for (size_t i = 0; i < group.files.size(); ++i) {
      const engine::GroupFile& member = group.files[i];
      if (!group.image) {
        Check(member.inspection.IsSidecarDocument(),
              "without an image only sidecar documents are members");
      }
      if (i > 0) {
        const auto rank = [](const engine::GroupFile& f) {
          return engine::ReadPriority(f.file->format) + (f.file->legacy_operation_file ? 10 : 0);
        };
        Check(rank(group.files[i - 1]) <= rank(member), "members are in read priority order");
      }
      Check(member.readable() == member.UnreadableReason().empty(),
            "a member is unreadable exactly when it says why");
      if (!member.readable()) continue;
      Check(group.document.IsObject(), "a group with a readable member has a document");
      for (const std::string& operation : member.inspection.facts.operations) {
        if (!engine::IsKnownOperation(operation)) continue;
        Check(group.facts.HasOperation(operation),
              "every known operation of a readable member is in the merged document");
      }
    }
    Check(group.best() == nullptr || group.best()->readable(), "the best member is readable");
  }
  return 0;
}
