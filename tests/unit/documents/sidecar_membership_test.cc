// The one definition of an image's sidecar files (sidecar_membership.h), on
// real directories: which files are candidates, in which order, and what
// each turns out to be.
#include "server/engine/documents/sidecar_membership.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/engine/formats/json_text.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;

class SidecarMembershipTest : public ::testing::Test {
 protected:
  DirectoryScan Scan() {
    UniqueFd fd(open(tree_.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto scan = ScanDirectory(std::move(fd), "", tree_.root(), ScanOptions{});
    EXPECT_TRUE(scan.ok()) << scan.status();
    return *std::move(scan);
  }

  // The role of `name` in `scan`, inspected as the tree operations do.
  SidecarRole RoleOf(const DirectoryScan& scan, const std::string& name) {
    for (const SidecarFile& file : scan.sidecars) {
      if (file.name != name) continue;
      return ClassifySidecar(file, InspectSidecarAt(scan.fd.get(), file.name, file.format));
    }
    ADD_FAILURE() << name << " is not a sidecar-extension file of the scan";
    return SidecarRole::kForeign;
  }

  std::vector<std::string> CandidateNames(const DirectoryScan& scan, std::string_view stem) {
    std::vector<std::string> names;
    for (size_t index : ImageCandidates(scan, stem)) names.push_back(scan.sidecars[index].name);
    return names;
  }

  sidecard::testing::TempTree tree_;
};

TEST_F(SidecarMembershipTest, CandidatesAreTheStemsFilesThenOldPerOperationFilesInReadOrder) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", "{}");
  tree_.WriteFile("IMG_1_face_detection.json", "{}");
  tree_.WriteFile("img_1.BIN", "");
  tree_.WriteFile("IMG_1.rkyv", "");
  tree_.WriteFile("IMG_1_yolov8.json", "{}");
  tree_.WriteFile("IMG_1_yolov8.bin", "");     // only .json is taken by operation
  tree_.WriteFile("IMG_1_whatever.json", "");  // not an operation
  tree_.WriteFile("IMG_2.json", "{}");
  const DirectoryScan scan = Scan();
  EXPECT_THAT(CandidateNames(scan, "IMG_1"),
              ElementsAre("img_1.BIN", "IMG_1.rkyv", "IMG_1.json", "IMG_1_face_detection.json",
                          "IMG_1_yolov8.json"));
  EXPECT_EQ(CandidateNames(scan, "img_1"), CandidateNames(scan, "IMG_1"));
}

TEST_F(SidecarMembershipTest, AnOldPerOperationFileBelongsToNoImageWhenTheImageIsMissing) {
  tree_.WriteFile("IMG_1_face_detection.json", R"({"success": true, "faces": []})");
  const DirectoryScan scan = Scan();
  EXPECT_THAT(CandidateNames(scan, "IMG_1"), ElementsAre());
}

TEST_F(SidecarMembershipTest, RolesArePairedOrphanOrForeign) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.bin", std::string(64, '\x01'));  // corrupt, but beside its image
  tree_.WriteFile("gone.json", R"({"face_detection": {"success": true, "faces": []}})");
  tree_.WriteFile("model.bin", std::string(64, '\x01'));  // no image, does not decode
  tree_.WriteFile("settings.json", R"({"display": {"metadata": {}}})");
  tree_.WriteFile("list.json", "[1, 2]");
  const DirectoryScan scan = Scan();
  EXPECT_EQ(RoleOf(scan, "IMG_1.bin"), SidecarRole::kPaired);
  EXPECT_EQ(RoleOf(scan, "gone.json"), SidecarRole::kOrphan);
  EXPECT_EQ(RoleOf(scan, "model.bin"), SidecarRole::kForeign);
  EXPECT_EQ(RoleOf(scan, "settings.json"), SidecarRole::kForeign);
  EXPECT_EQ(RoleOf(scan, "list.json"), SidecarRole::kForeign);
  EXPECT_TRUE(IsReportedSidecar(SidecarRole::kPaired));
  EXPECT_TRUE(IsReportedSidecar(SidecarRole::kOrphan));
  EXPECT_FALSE(IsReportedSidecar(SidecarRole::kForeign));
}

TEST_F(SidecarMembershipTest, AnOldPerOperationFilesBarePayloadGoesUnderItsOperation) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1_face_detection.json",
                  R"({"success": true, "faces": [], "sidecar_info": {"created_at": "x"}})");
  const DirectoryScan scan = Scan();
  ASSERT_EQ(scan.sidecars.size(), 1u);
  const SidecarFile& file = scan.sidecars[0];
  ASSERT_TRUE(file.legacy_operation_file);
  LoadedSidecar loaded = LoadSidecarAt(scan.fd.get(), file.name, file.format);
  ASSERT_TRUE(loaded.readable());
  PrepareMemberForMerge(file, loaded.inspection, loaded.document);
  EXPECT_EQ(CanonicalJson(loaded.document),
            R"({"face_detection":{"faces":[],"success":true},"sidecar_info":{"created_at":"x"}})");
}

TEST_F(SidecarMembershipTest, AFileNamedAfterTheImageKeepsItsLayoutButOldLayoutsAreNormalized) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json",
                  R"({"sidecar_info": {"operation_type": "yolov8"}, "data": {"success": true}})");
  const DirectoryScan scan = Scan();
  const SidecarFile& file = scan.sidecars[0];
  LoadedSidecar loaded = LoadSidecarAt(scan.fd.get(), file.name, file.format);
  PrepareMemberForMerge(file, loaded.inspection, loaded.document);
  EXPECT_EQ(CanonicalJson(loaded.document),
            R"({"sidecar_info":{"operation_type":"yolov8"},"yolov8":{"success":true}})");
}

TEST_F(SidecarMembershipTest, AFileGoneSinceTheListingIsVanishedNotCorrupt) {
  tree_.WriteFile("IMG_1.jpg", "");
  const UniqueFd directory(open(tree_.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const LoadedSidecar loaded = LoadSidecarAt(directory.get(), "IMG_1.bin", SidecarFormat::kBin);
  EXPECT_TRUE(loaded.vanished);
  EXPECT_FALSE(loaded.readable());
}

}  // namespace
}  // namespace sidecard::engine
