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
#include "server/engine/group_documents.h"
#include "server/engine/operations.h"

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
  size_t present = 0;
  for (const char* name : kSidecars) {
    if (provider.ConsumeBool()) {
      directory.Write(name, provider.ConsumeRandomLengthString(4096));
      ++present;
    } else {
      directory.Remove(name);
    }
  }

  engine::UniqueFd fd(open(directory.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto scan = engine::ScanDirectory(std::move(fd), "", directory.path(), {});
  Check(scan.ok(), "the fuzz directory scans");
  Check(scan->sidecars.size() == present, "every sidecar-extension file is seen");
  const std::vector<engine::GroupPlan> plans = engine::PlanGroups(*scan);
  Check(plans.size() == (present > 0 ? 1u : 0u), "the files of one stem form one group");
  if (plans.empty()) return 0;
  Check(plans[0].key == "img_1" && plans[0].sidecars.size() == present,
        "the group is keyed by the folded stem and holds every file");

  const engine::GroupDocument group =
      engine::LoadGroup(*scan, plans[0], engine::kDefaultMaxSidecarBytes);
  Check(group.image.has_value() == (with_image && !group.files.empty()),
        "a group has its image exactly when the image exists");
  for (size_t i = 0; i < group.files.size(); ++i) {
    const engine::GroupFile& member = group.files[i];
    if (!with_image) {
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
  if (with_image) {
    Check(group.files.size() == present, "with an image every sidecar file is a member");
  }
  Check(group.best() == nullptr || group.best()->readable(), "the best member is readable");
  return 0;
}
