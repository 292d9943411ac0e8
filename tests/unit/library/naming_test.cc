#include "server/engine/library/naming.h"

#include <gtest/gtest.h>

namespace sidecard::engine {
namespace {

TEST(SplitNameTest, ReplacesOnlyTheLastSuffix) {
  EXPECT_EQ(SplitName("a.b.jpg").stem, "a.b");
  EXPECT_EQ(SplitName("a.b.jpg").extension, "jpg");
  EXPECT_EQ(SplitName("IMG_0001").stem, "IMG_0001");
  EXPECT_EQ(SplitName("IMG_0001").extension, "");
  EXPECT_EQ(SplitName(".hidden").stem, ".hidden");
  EXPECT_EQ(SplitName(".hidden").extension, "");
}

TEST(ImageExtensionsTest, DefaultListIsCaseInsensitiveAndIncludesRaw) {
  const ImageExtensions& images = ImageExtensions::Default();
  for (const char* name : {"a.jpg", "A.JPG", "b.JpEg", "c.png", "d.tif", "e.TIFF", "f.bmp",
                           "g.webp", "h.gif", "i.heic", "j.HEIF", "k.CR2", "l.cr3", "m.nef",
                           "n.arw", "o.dng", "p.orf", "q.rw2", "r.raf"}) {
    EXPECT_TRUE(images.IsImageName(name)) << name;
  }
  for (const char* name : {"a.bin", "a.json", "a.txt", "jpg", "a.jpg.bak"}) {
    EXPECT_FALSE(images.IsImageName(name)) << name;
  }
}

TEST(ImageExtensionsTest, ConfiguredListReplacesDefault) {
  const ImageExtensions images({".PNG", "exr"});
  EXPECT_TRUE(images.IsImageName("x.png"));
  EXPECT_TRUE(images.IsImageName("x.EXR"));
  EXPECT_FALSE(images.IsImageName("x.jpg"));
}

TEST(SidecarFormatOfNameTest, MatchesCaseInsensitively) {
  EXPECT_EQ(SidecarFormatOfName("A.BIN"), SidecarFormat::kBin);
  EXPECT_EQ(SidecarFormatOfName("a.Rkyv"), SidecarFormat::kRkyv);
  EXPECT_EQ(SidecarFormatOfName("a.json"), SidecarFormat::kJson);
  EXPECT_EQ(SidecarFormatOfName("a.jsonl"), std::nullopt);
  EXPECT_EQ(SidecarFormatOfName("bin"), std::nullopt);
}

TEST(IsForeignNameTest, FolderLevelAndOtherProgramsFiles) {
  for (const char* name :
       {"game_detection.json", "face_clustering.json", "face_clusters.json", "game-01_summary.json",
        "run_report.json", "package.json", "tsconfig.json", "PACKAGE.JSON"}) {
    EXPECT_TRUE(IsForeignName(name)) << name;
  }
  for (const char* name : {"IMG_0001.json", "IMG_0001.bin", "summary.json", "model.bin"}) {
    EXPECT_FALSE(IsForeignName(name)) << name;
  }
}

TEST(SplitLegacyOperationStemTest, OnlyKnownOperationSuffixes) {
  auto legacy = SplitLegacyOperationStem("IMG_0001_face_detection");
  ASSERT_TRUE(legacy.has_value());
  EXPECT_EQ(legacy->image_stem, "IMG_0001");
  EXPECT_EQ(legacy->operation, "face_detection");
  EXPECT_FALSE(SplitLegacyOperationStem("IMG_0001").has_value());
  EXPECT_FALSE(SplitLegacyOperationStem("face_detection").has_value());
  EXPECT_FALSE(SplitLegacyOperationStem("IMG_0001_final").has_value());
}

}  // namespace
}  // namespace sidecard::engine
