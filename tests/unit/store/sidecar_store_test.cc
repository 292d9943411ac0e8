#include "server/engine/store/sidecar_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <vector>

#include "server/engine/formats/json_text.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/fs/guarded_write.h"
#include "support/temp_tree.h"
#include "unit/other_program.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SidecarStoreTest : public ::testing::Test {
 protected:
  SidecarStoreTest() : store_(locks_, 1 << 20) {}
  void SetUp() override {
    auto roots = AllowedRoots::Create({tree_.root()});
    ASSERT_TRUE(roots.ok());
    roots_.emplace(*std::move(roots));
  }

  absl::StatusOr<SaveOutcome> Save(const std::string& rel_image, std::string_view operation,
                                   std::string_view payload_json, std::string_view backend = "",
                                   SidecarFormat format = SidecarFormat::kBin,
                                   bool overwrite_corrupt = false) {
    auto payload = ParseJson(payload_json);
    EXPECT_TRUE(payload.ok());
    SaveRequest request;
    request.image_path = tree_.Path(rel_image);
    request.operation = std::string(operation);
    request.backend = std::string(backend);
    request.payload = &*payload;
    request.format = format;
    request.overwrite_corrupt = overwrite_corrupt;
    request.now = absl::FromUnixSeconds(1'748'000'000);
    return store_.Save(*roots_, request);
  }

  // The decoded document of a sidecar file.
  rapidjson::Document Decode(const std::string& rel) {
    const std::string bytes = tree_.ReadFile(rel);
    const auto format = rel.ends_with(".json") ? SidecarFormat::kJson : SidecarFormat::kBin;
    auto decoded = DecodeSidecar(format, bytes);
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? std::move(decoded->document) : rapidjson::Document();
  }

  sidecard::testing::TempTree tree_;
  ImageLocks locks_;
  SidecarStore store_;
  std::optional<AllowedRoots> roots_;
};

TEST_F(SidecarStoreTest, SaveCreatesACanonicalBinThatReadReturns) {
  tree_.WriteFile("IMG_1.jpg", "");
  auto saved =
      Save("IMG_1.jpg", "face_detection", R"({"success": true, "faces": []})", "insightface");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(saved->created);
  EXPECT_EQ(saved->sidecar_path, tree_.Path("IMG_1.bin"));
  const rapidjson::Document document = Decode("IMG_1.bin");
  // Byte-identical to what the Rust writer produces for the same document.
  EXPECT_EQ(tree_.ReadFile("IMG_1.bin"), EncodeSidecar(SidecarFormat::kBin, document));
  EXPECT_EQ(CanonicalJson(document["face_detection"]),
            R"({"insightface":{"faces":[],"success":true}})");
  const auto& info = document["sidecar_info"];
  EXPECT_STREQ(info["created_at"].GetString(), "2025-05-23T11:33:20.000000Z");
  EXPECT_STREQ(info["last_operation"].GetString(), "face_detection");
  EXPECT_STREQ(info["image_path"].GetString(), tree_.Path("IMG_1.jpg").c_str());

  auto read = store_.Read(*roots_, tree_.Path("IMG_1.jpg"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->found);
  EXPECT_EQ(read->format, SidecarFormat::kBin);
  EXPECT_EQ(CanonicalJson(read->document), CanonicalJson(document));
}

TEST_F(SidecarStoreTest, ReadWithoutSidecarIsEmptyAndNotFound) {
  tree_.WriteFile("IMG_1.jpg", "");
  auto read = store_.Read(*roots_, tree_.Path("IMG_1.jpg"));
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->found);
  EXPECT_EQ(CanonicalJson(read->document), "{}");
}

TEST_F(SidecarStoreTest, ReadFallsThroughACorruptPreferredFile) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteBin("IMG_1.bin", R"({"face_detection":)");
  tree_.WriteFile("IMG_1.json", R"({"yolov8": {"success": true}})");
  auto read = store_.Read(*roots_, tree_.Path("IMG_1.jpg"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->found);
  EXPECT_EQ(read->sidecar_path, tree_.Path("IMG_1.json"));
  ASSERT_EQ(read->skipped.size(), 1u);
  EXPECT_EQ(read->skipped[0].path, tree_.Path("IMG_1.bin"));
  EXPECT_THAT(read->skipped[0].error, HasSubstr("invalid JSON at byte offset"));
}

// A save whose sidecar would be larger than the store reads (1 MiB here) is
// refused before anything changes: the old sidecar stays byte-identical, and
// a corrupt file is not even moved aside.
TEST_F(SidecarStoreTest, SaveNeverWritesASidecarLargerThanItReads) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteBin("IMG_1.bin", R"({"yolov8":{"success":true}})");
  const std::string before = tree_.ReadFile("IMG_1.bin");
  const std::string big = R"({"pad":")" + std::string(1 << 20, 'x') + R"("})";
  auto saved = Save("IMG_1.jpg", "face_detection", big);
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(saved.status().message()),
              StartsWith("the sidecar " + tree_.Path("IMG_1.bin") + " would be "));
  EXPECT_THAT(std::string(saved.status().message()),
              HasSubstr(" bytes, more than the daemon reads (limit 1048576); nothing was saved"));
  EXPECT_EQ(tree_.ReadFile("IMG_1.bin"), before);

  tree_.WriteFile("IMG_2.jpg", "");
  tree_.WriteBin("IMG_2.bin", R"({"face_detection":)");
  const std::string corrupt = tree_.ReadFile("IMG_2.bin");
  saved = Save("IMG_2.jpg", "face_detection", big, "", SidecarFormat::kBin,
               /*overwrite_corrupt=*/true);
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(tree_.ReadFile("IMG_2.bin"), corrupt);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tree_.root()),
                          std::filesystem::directory_iterator()),
            4);  // IMG_1.jpg, IMG_1.bin, IMG_2.jpg, IMG_2.bin: nothing kept aside

  // A save that fits is made.
  auto fits = Save("IMG_1.jpg", "face_detection", R"({"success":true})");
  EXPECT_TRUE(fits.ok()) << fits.status();
}

TEST_F(SidecarStoreTest, MissingImageIsNotFoundUnlessAllowed) {
  auto saved = Save("nope.jpg", "yolov8", R"({"success": true})");
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(tree_.Exists("nope.bin"));
  EXPECT_EQ(store_.Read(*roots_, tree_.Path("nope.jpg")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SidecarStoreTest, OperationsAndBackendsAccumulate) {
  tree_.WriteFile("a.jpg", "");
  ASSERT_TRUE(Save("a.jpg", "face_detection", R"({"success": true})", "insightface").ok());
  ASSERT_TRUE(Save("a.jpg", "face_detection", R"({"success": false})", "unified").ok());
  ASSERT_TRUE(Save("a.jpg", "yolov8", R"({"success": true, "objects": []})").ok());
  const rapidjson::Document document = Decode("a.bin");
  EXPECT_EQ(CanonicalJson(document["face_detection"]),
            R"({"insightface":{"success":true},"unified":{"success":false}})");
  EXPECT_EQ(CanonicalJson(document["yolov8"]), R"({"objects":[],"success":true})");
  EXPECT_STREQ(document["sidecar_info"]["last_operation"].GetString(), "yolov8");
  EXPECT_STREQ(document["sidecar_info"]["operation_type"].GetString(), "face_detection");
}

// docs/CONTRACT.md §5: "Save ... ignored an existing .json".
TEST_F(SidecarStoreTest, Regression_LegacyJsonIsMergedNotHidden) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", R"({"face_detection": {"insightface": {"success": true, "faces": [{}]}},
                               "sidecar_info": {"created_at": "2024-01-01T10:00:00"}})");
  auto saved = Save("a.jpg", "yolov8", R"({"success": true})", "yolov8");
  ASSERT_TRUE(saved.ok());
  EXPECT_THAT(saved->merged_from, ElementsAre(tree_.Path("a.json")));
  const rapidjson::Document document = Decode("a.bin");
  EXPECT_TRUE(document.HasMember("face_detection"));
  EXPECT_TRUE(document.HasMember("yolov8"));
  EXPECT_STREQ(document["sidecar_info"]["created_at"].GetString(), "2024-01-01T10:00:00");
  EXPECT_TRUE(tree_.Exists("a.json"));  // never deleted by a save
}

TEST_F(SidecarStoreTest, EnvelopeLayoutIsRewrittenAsMerged) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", R"({"sidecar_info": {"operation_type": "face_detection"},
                               "data": {"success": true, "faces": []}})");
  ASSERT_TRUE(Save("a.jpg", "yolov8", R"({"success": true})").ok());
  const rapidjson::Document document = Decode("a.bin");
  EXPECT_FALSE(document.HasMember("data"));
  EXPECT_EQ(CanonicalJson(document["face_detection"]), R"({"faces":[],"success":true})");
}

// docs/CONTRACT.md §5: "Save treated a corrupt .bin as {} and overwrote it".
TEST_F(SidecarStoreTest, Regression_CorruptSidecarIsNeverSilentlyReplaced) {
  tree_.WriteFile("a.jpg", "");
  const std::string corrupt = std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8) + "{\"face";
  tree_.WriteFile("a.bin", corrupt);
  auto saved = Save("a.jpg", "yolov8", R"({"success": true})");
  EXPECT_EQ(saved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(saved.status().message()), HasSubstr(tree_.Path("a.bin")));
  EXPECT_EQ(tree_.ReadFile("a.bin"), corrupt);
}

TEST_F(SidecarStoreTest, OverwriteKeepsTheCorruptFileAside) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.bin", "garbage!");
  auto saved = Save("a.jpg", "yolov8", R"({"success": true})", "", SidecarFormat::kBin,
                    /*overwrite_corrupt=*/true);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->corrupt_kept_as, tree_.Path("a.bin.corrupt-20250523T113320.000000Z"));
  EXPECT_EQ(tree_.ReadFile("a.bin.corrupt-20250523T113320.000000Z"), "garbage!");
  EXPECT_TRUE(Decode("a.bin").HasMember("yolov8"));
}

TEST_F(SidecarStoreTest, Regression_SaveOverARepeatedKeyIsNotLost) {
  // A document may repeat a key; readers (and the writer) keep the last one.
  // The save replaced the first, so the saved result vanished on writing
  // (the cause of a document_merge fuzzer finding; see document_merge_test).
  tree_.WriteFile("IMG_1.jpg", "jpeg");
  tree_.WriteFile("IMG_1.json",
                  R"({"face_detection": {"success": false, "n": 1},
                      "face_detection": {"success": false, "n": 2}})");
  ASSERT_TRUE(
      Save("IMG_1.jpg", "face_detection", R"({"success": true, "n": 3})", "", SidecarFormat::kJson)
          .ok());
  EXPECT_EQ(CanonicalJson(Decode("IMG_1.json")["face_detection"]), R"({"n":3,"success":true})");
}

TEST_F(SidecarStoreTest, Regression_ConcurrentSavesAllSurvive) {
  tree_.WriteFile("a.jpg", "");
  std::vector<std::thread> writers;
  for (int i = 0; i < 32; ++i) {
    writers.emplace_back([this, i] {
      auto saved = Save("a.jpg", "op_" + std::to_string(i), R"({"success": true})");
      EXPECT_TRUE(saved.ok()) << saved.status();
    });
  }
  for (auto& writer : writers) writer.join();
  const rapidjson::Document document = Decode("a.bin");
  for (int i = 0; i < 32; ++i) {
    EXPECT_TRUE(document.HasMember(("op_" + std::to_string(i)).c_str())) << i;
  }
}

// docs/CONTRACT.md §5: "resolved relative symlinks against the process's working
// directory".
TEST_F(SidecarStoreTest, Regression_SymlinkedImageGetsSidecarBesideResolvedTarget) {
  tree_.WriteFile("originals/IMG_1.jpg", "");
  tree_.Symlink("games/g1/IMG_1.jpg", "../g2/link.jpg");
  tree_.Symlink("games/g2/link.jpg", "../../originals/IMG_1.jpg");
  ASSERT_EQ(chdir("/"), 0);
  auto saved = Save("games/g1/IMG_1.jpg", "yolov8", R"({"success": true})");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->sidecar_path, tree_.Path("originals/IMG_1.bin"));
  EXPECT_FALSE(tree_.Exists("games/g1/IMG_1.bin"));
  const rapidjson::Document document = Decode("originals/IMG_1.bin");
  EXPECT_STREQ(document["sidecar_info"]["symlink_path"].GetString(),
               tree_.Path("games/g1/IMG_1.jpg").c_str());
  EXPECT_TRUE(document["sidecar_info"]["symlink_info"]["is_symlink"].GetBool());
}

TEST_F(SidecarStoreTest, PathsOutsideTheRootsAreRefused) {
  sidecard::testing::TempTree outside;
  outside.WriteFile("x.jpg", "");
  tree_.Symlink("x.jpg", outside.Path("x.jpg"));
  EXPECT_EQ(Save("x.jpg", "yolov8", "{}").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(outside.Exists("x.bin"));
  auto payload = ParseJson("{}");
  SaveRequest request;
  request.image_path = outside.Path("x.jpg");
  request.operation = "yolov8";
  request.payload = &*payload;
  EXPECT_EQ(store_.Save(*roots_, request).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(SidecarStoreTest, JsonFormatIsPrettyWithSortedKeys) {
  tree_.WriteFile("a.jpg", "");
  ASSERT_TRUE(Save("a.jpg", "yolov8", R"({"success": true})", "", SidecarFormat::kJson).ok());
  EXPECT_THAT(tree_.ReadFile("a.json"), StartsWith("{\n  \"sidecar_info\": {\n"));
  EXPECT_FALSE(tree_.Exists("a.bin"));
}

// A save in a lower-priority format beside an existing .bin would be hidden
// by the .bin: it goes into the .bin instead.
TEST_F(SidecarStoreTest, SaveIsNeverHiddenByAHigherPriorityFile) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteBin("a.bin", R"({"face_detection":{"success":true}})");
  auto saved = Save("a.jpg", "yolov8", R"({"success": true})", "", SidecarFormat::kJson);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->format, SidecarFormat::kBin);
  EXPECT_EQ(saved->sidecar_path, tree_.Path("a.bin"));
  EXPECT_FALSE(tree_.Exists("a.json"));
  auto read = store_.Read(*roots_, tree_.Path("a.jpg"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->document.HasMember("yolov8"));
  EXPECT_TRUE(read->document.HasMember("face_detection"));
}

TEST_F(SidecarStoreTest, NoTemporaryFilesAreLeft) {
  tree_.WriteFile("a.jpg", "");
  ASSERT_TRUE(Save("a.jpg", "yolov8", R"({"success": true})").ok());
  ASSERT_TRUE(Save("a.jpg", "face_detection", R"({"success": true})").ok());
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(tree_.root())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("a.bin", "a.jpg"));
}

TEST_F(SidecarStoreTest, Regression_ASaveNeverReplacesOrCreatesAForeignName) {
  tree_.WriteFile("package.jpg", "");
  tree_.WriteFile("package.json", R"({"name": "my-gallery", "version": "1.0.0"})");
  auto saved = Save("package.jpg", "face_detection", R"({"success": true})", "insightface",
                    SidecarFormat::kJson);
  EXPECT_TRUE(absl::IsFailedPrecondition(saved.status())) << saved.status();
  EXPECT_THAT(saved.status().message(), HasSubstr("foreign file name"));
  EXPECT_EQ(tree_.ReadFile("package.json"), R"({"name": "my-gallery", "version": "1.0.0"})");
  // The image's sidecar in another format is fine, and the foreign file stays.
  auto bin = Save("package.jpg", "face_detection", R"({"success": true})", "insightface");
  ASSERT_TRUE(bin.ok()) << bin.status();
  EXPECT_EQ(bin->sidecar_path, tree_.Path("package.bin"));
  EXPECT_EQ(tree_.ReadFile("package.json"), R"({"name": "my-gallery", "version": "1.0.0"})");
}

// Another program (the old pipeline) writes the sidecar the usual way, a
// temporary file renamed over the name, exactly between the save's read and
// its write. Its result must survive, and so must the save.
class SidecarStoreRaceTest : public SidecarStoreTest {
 protected:
  OtherProgram other_{tree_};
};

TEST_F(SidecarStoreRaceTest, Regression_AWriteLandingBeforeTheReplaceIsMergedNotLost) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", R"({"yolov8": {"yolov8": {"success": true, "objects": []}}})");
  other_.WriteAt("replace", "IMG_1.json", R"({"ball_detection": {"success": true, "balls": [1]}})");
  auto saved = Save("IMG_1.jpg", "face_detection", R"({"success": true, "faces": []})",
                    "insightface", SidecarFormat::kJson);
  ASSERT_TRUE(saved.ok()) << saved.status();
  const rapidjson::Document document = Decode("IMG_1.json");
  // The other program's write replaced the old file (its yolov8 is gone by
  // its own doing); what it wrote and what was saved are both there.
  EXPECT_TRUE(document.HasMember("ball_detection")) << CanonicalJson(document);
  EXPECT_TRUE(document.HasMember("face_detection")) << CanonicalJson(document);
  EXPECT_FALSE(document.HasMember("yolov8")) << CanonicalJson(document);
}

TEST_F(SidecarStoreRaceTest, Regression_AFileCreatedBeforeTheCreateIsMergedNotLost) {
  tree_.WriteFile("IMG_1.jpg", "");
  other_.WriteAt("create", "IMG_1.json", R"({"ball_detection": {"success": true, "balls": [1]}})");
  auto saved = Save("IMG_1.jpg", "face_detection", R"({"success": true, "faces": []})",
                    "insightface", SidecarFormat::kJson);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_FALSE(saved->created);
  const rapidjson::Document document = Decode("IMG_1.json");
  EXPECT_TRUE(document.HasMember("ball_detection")) << CanonicalJson(document);
  EXPECT_TRUE(document.HasMember("face_detection")) << CanonicalJson(document);
}

TEST_F(SidecarStoreRaceTest, AProgramThatNeverStopsWritingGetsAbortedAndKeepsItsFile) {
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", R"({"yolov8": {}})");
  int writes = 0;
  SetGuardedWriteHookForTesting([&](std::string_view at, const std::string&) {
    if (at != "replace") return;
    tree_.WriteFile("other.tmp", R"({"ball_detection": {"n": )" + std::to_string(++writes) + "}}");
    ASSERT_EQ(rename(tree_.Path("other.tmp").c_str(), tree_.Path("IMG_1.json").c_str()), 0);
  });
  auto saved = Save("IMG_1.jpg", "face_detection", R"({"success": true})", "insightface",
                    SidecarFormat::kJson);
  EXPECT_TRUE(absl::IsAborted(saved.status())) << saved.status();
  EXPECT_THAT(saved.status().message(), HasSubstr("another program"));
  EXPECT_THAT(saved.status().message(), HasSubstr("nothing was saved"));
  EXPECT_EQ(CanonicalJson(Decode("IMG_1.json")),
            R"({"ball_detection":{"n":)" + std::to_string(writes) + "}}");
  for (const auto& entry : std::filesystem::directory_iterator(tree_.root())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(StartsWith(".sidecard-")));
  }
}

}  // namespace
}  // namespace sidecard::engine
