// Find's predicates (find_predicates.h) one by one, and FindImages on real
// temporary trees: shared stems, symlinked images, orphans, invalid files,
// backends and failed payloads.
#include "server/engine/ops/find.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FoundImage Image(std::vector<std::string> operations = {}) {
  FoundImage found;
  found.image = "/lib/a.jpg";
  if (!operations.empty()) {
    found.sidecar = "/lib/a.bin";
    found.format = SidecarFormat::kBin;
    found.sidecar_files = 1;
    found.modified_ns = 2'000'000'000;
  }
  found.operations.assign(operations.begin(), operations.end());
  return found;
}

OperationRef Op(const std::string& text) { return *ParseOperationRef("has", text); }

TEST(FindPredicatesTest, NoPredicateMatchesEveryImageAndNoOrphan) {
  EXPECT_TRUE(Matches({}, Image()));
  FoundImage orphan = Image({"yolov8"});
  orphan.image.clear();
  EXPECT_FALSE(Matches({}, orphan));
  FindPredicates orphans;
  orphans.orphans = true;
  EXPECT_TRUE(Matches(orphans, orphan));
  EXPECT_FALSE(Matches(orphans, Image({"yolov8"})));
}

TEST(FindPredicatesTest, HasAndMissingAnOperationOrABackend) {
  FoundImage found = Image({"face_detection"});
  found.backends = {"face_detection.insightface"};
  FindPredicates has;
  has.has = {Op("face_detection")};
  EXPECT_TRUE(Matches(has, found));
  EXPECT_FALSE(Matches(has, Image()));  // no sidecar lacks everything
  has.has = {Op("face_detection.insightface")};
  EXPECT_TRUE(Matches(has, found));
  has.has = {Op("face_detection.unified")};
  EXPECT_FALSE(Matches(has, found));

  FindPredicates missing;
  missing.missing = {Op("face_detection")};
  EXPECT_FALSE(Matches(missing, found));
  EXPECT_TRUE(Matches(missing, Image()));
  EXPECT_TRUE(Matches(missing, Image({"yolov8"})));
  missing.missing = {Op("face_detection.unified")};
  EXPECT_TRUE(Matches(missing, found));
}

TEST(FindPredicatesTest, FailedCountsClassesFormat) {
  FoundImage found = Image({"face_detection", "yolov8"});
  found.failed = {"face_detection", "face_detection.insightface"};
  found.faces = 3;
  found.objects = 1;
  found.object_classes = {{"person", 1}, {"sports ball", 0}};
  FindPredicates p;
  p.failed = {Op("face_detection")};
  EXPECT_TRUE(Matches(p, found));
  p.failed = {Op("yolov8")};
  EXPECT_FALSE(Matches(p, found));

  FindPredicates counts;
  counts.min_faces = 3;
  counts.min_objects = 1;
  EXPECT_TRUE(Matches(counts, found));
  counts.min_faces = 4;
  EXPECT_FALSE(Matches(counts, found));

  FindPredicates classes;
  classes.object_classes = {"person"};
  EXPECT_TRUE(Matches(classes, found));
  classes.object_classes = {"sports ball"};  // a count of 0 is no object
  EXPECT_FALSE(Matches(classes, found));

  FindPredicates format;
  format.format = SidecarFormat::kBin;
  EXPECT_TRUE(Matches(format, found));
  format.format = SidecarFormat::kJson;
  EXPECT_FALSE(Matches(format, found));
  EXPECT_FALSE(Matches(format, Image()));
}

TEST(FindPredicatesTest, InvalidNoSidecarChangedSinceAndAllTogether) {
  FoundImage found = Image({"yolov8"});
  FindPredicates invalid;
  invalid.invalid = true;
  EXPECT_FALSE(Matches(invalid, found));
  found.invalid_sidecar = "/lib/a.json";
  EXPECT_TRUE(Matches(invalid, found));

  FindPredicates none;
  none.no_sidecar = true;
  EXPECT_TRUE(Matches(none, Image()));
  EXPECT_FALSE(Matches(none, found));

  FindPredicates since;
  since.changed_since_ns = 2'000'000'000;
  EXPECT_TRUE(Matches(since, found));  // at the time counts
  since.changed_since_ns = 2'000'000'001;
  EXPECT_FALSE(Matches(since, found));
  since.changed_since_ns = 0;
  EXPECT_FALSE(Matches(since, Image()));  // no sidecar was changed

  FindPredicates both;  // AND
  both.invalid = true;
  both.has = {Op("yolov8")};
  EXPECT_TRUE(Matches(both, found));
  both.has = {Op("face_detection")};
  EXPECT_FALSE(Matches(both, found));
}

TEST(FindPredicatesTest, ParsingNamesWhatIsWrong) {
  EXPECT_EQ(Op("face_detection.insightface").backend, "insightface");
  EXPECT_EQ(Op("face_detection.insightface").operation, "face_detection");
  for (const char* bad : {"", "Face_detector", "face detection", ".x", "face_detection."}) {
    auto ref = ParseOperationRef("missing", bad);
    ASSERT_FALSE(ref.ok()) << bad;
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(ref.status().message(), HasSubstr("missing"));
  }
  EXPECT_EQ(*ParseChangedSince("1796407200"), 1796407200'000'000'000);
  EXPECT_EQ(*ParseChangedSince("1.5"), 1'500'000'000);
  EXPECT_EQ(*ParseChangedSince("1970-01-01T00:00:02Z"), 2'000'000'000);
  EXPECT_EQ(*ParseChangedSince("1970-01-01T01:00:02+01:00"), 2'000'000'000);
  for (const char* bad : {"yesterday", "2026-13-01T00:00:00Z", "-5", "1e99", ""}) {
    auto since = ParseChangedSince(bad);
    ASSERT_FALSE(since.ok()) << bad;
    EXPECT_THAT(since.status().message(), HasSubstr("changed_since"));
  }
  EXPECT_EQ(*ParseFindFormat("json"), SidecarFormat::kJson);
  EXPECT_THAT(ParseFindFormat("xml").status().message(), HasSubstr("format: 'xml'"));
  FindPredicates negative;
  negative.min_objects = -1;
  EXPECT_THAT(CheckFindPredicates(negative).message(), HasSubstr("min_objects"));
}

class FindTest : public EngineHarness {
 protected:
  std::vector<FoundImage> Find(const FindPredicates& predicates, FindSummary* summary = nullptr) {
    std::vector<FoundImage> found;
    FindOptions options;
    options.predicates = predicates;
    auto done = FindImages(tree_.root(), options, Context(), Cancellation(),
                           [&](const DirectoryMatches& batch) {
                             for (const FoundImage* one : batch.matches) found.push_back(*one);
                             return true;
                           });
    EXPECT_TRUE(done.ok()) << done.status();
    if (done.ok() && summary != nullptr) *summary = *done;
    return found;
  }

  std::vector<std::string> Images(const FindPredicates& predicates) {
    std::vector<std::string> out;
    for (const FoundImage& found : Find(predicates)) {
      out.push_back(Relative(found.orphan() ? found.sidecar : found.image));
    }
    return out;
  }
};

TEST_F(FindTest, SharedStemsSymlinksOrphansAndInvalidFiles) {
  tree_.WriteFile("a/x.jpg", "jpeg");
  tree_.WriteFile("a/x.CR2", "raw");
  tree_.WriteBin("a/x.bin", MergedDocument(2, 1));
  tree_.WriteFile("a/y.jpg", "jpeg");
  tree_.WriteFile("a/z.jpg", "jpeg");
  tree_.WriteFile("a/z.json", MergedDocument(0, 0, /*success=*/false));
  tree_.WriteFile("a/gone.json", R"({"yolov8":{"success":true,"objects":[]}})");
  tree_.WriteFile("a/bad.jpg", "jpeg");
  tree_.WriteFile("a/bad.json", "{not json");
  tree_.Symlink("games/link.jpg", "../a/x.jpg");
  tree_.Symlink("games/ylink.jpg", "../a/y.jpg");

  FindSummary summary;
  EXPECT_EQ(Find({}, &summary).size(), 7u);
  EXPECT_EQ(summary.images, 7);
  EXPECT_EQ(summary.orphans, 1);
  EXPECT_EQ(summary.matched, 7);

  FindPredicates missing;
  missing.missing = {Op("face_detection")};
  EXPECT_THAT(Images(missing), ElementsAre("a/bad.jpg", "a/y.jpg", "games/ylink.jpg"));
  FindPredicates failed;
  failed.failed = {Op("face_detection.insightface")};
  EXPECT_THAT(Images(failed), ElementsAre("a/z.jpg"));
  FindPredicates faces;
  faces.min_faces = 2;
  // Both images of the shared stem, and the link to one of them.
  EXPECT_THAT(Images(faces), ElementsAre("a/x.CR2", "a/x.jpg", "games/link.jpg"));
  FindPredicates none;
  none.no_sidecar = true;
  EXPECT_THAT(Images(none), ElementsAre("a/y.jpg", "games/ylink.jpg"));
  FindPredicates orphans;
  orphans.orphans = true;
  EXPECT_THAT(Images(orphans), ElementsAre("a/gone.json"));
  FindPredicates invalid;
  invalid.invalid = true;
  const std::vector<FoundImage> bad = Find(invalid);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(Relative(bad[0].invalid_sidecar), "a/bad.json");
  FindPredicates person;
  person.object_classes = {"person"};
  person.format = SidecarFormat::kBin;
  EXPECT_THAT(Images(person), ElementsAre("a/x.CR2", "a/x.jpg", "games/link.jpg"));
  FindPredicates ball;
  ball.object_classes = {"sports ball"};
  EXPECT_THAT(Images(ball), IsEmpty());
}

TEST_F(FindTest, AnEncodedAnswerHoldsTheSameMatchesInOrder) {
  tree_.WriteFile("a/x.jpg", "jpeg");
  tree_.WriteBin("a/x.bin", MergedDocument(2, 1));
  tree_.WriteFile("a/y.jpg", "jpeg");
  tree_.WriteFile("b/z.jpg", "jpeg");
  tree_.WriteFile("b/z.json", MergedDocument(0, 0));
  tree_.WriteFile("c/w.jpg", "jpeg");
  tree_.WriteFile("c/w.json", MergedDocument(1, 0));
  FindPredicates lacking_objects;
  lacking_objects.missing = {Op("face_detection.other")};

  // The encoding under test: each match's image, one piece per directory.
  FindOptions options;
  options.predicates = lacking_objects;
  options.encoding_key = "test";
  int encodings = 0;
  options.encode = [&encodings](std::span<const FoundImage* const> matches) {
    ++encodings;
    EXPECT_FALSE(matches.empty());  // never asked to encode nothing
    EncodedMatches encoded;
    encoded.pieces.push_back({"", static_cast<int64_t>(matches.size())});
    for (const FoundImage* found : matches) encoded.pieces.back().bytes += found->image + "\n";
    return encoded;
  };
  std::string listed;
  int64_t pieces_matches = 0;
  auto done = FindImages(tree_.root(), options, Context(), Cancellation(),
                         [&](const DirectoryMatches& directory) {
                           EXPECT_TRUE(directory.matches.empty());
                           EXPECT_NE(directory.encoded, nullptr);
                           for (const auto& piece : directory.encoded->pieces) {
                             listed += piece.bytes;
                             pieces_matches += piece.matches;
                           }
                           return true;
                         });
  ASSERT_TRUE(done.ok()) << done.status();
  std::string expected;
  for (const FoundImage& found : Find(lacking_objects)) expected += found.image + "\n";
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(pieces_matches, done->matched);
  EXPECT_EQ(done->matched, 4);
  EXPECT_EQ(done->images, 4);
  EXPECT_EQ(encodings, 3);  // one per directory with matches
}

TEST_F(FindTest, AFileBesideABinIsOneDocument) {
  tree_.WriteFile("x.jpg", "jpeg");
  tree_.WriteBin("x.bin", R"({"yolov8":{"yolov8":{"success":true,"objects":[]}}})");
  tree_.WriteFile("x.json", MergedDocument(1, 0));
  const std::vector<FoundImage> all = Find({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(Relative(all[0].sidecar), "x.bin");
  EXPECT_EQ(all[0].sidecar_files, 2);
  EXPECT_THAT(all[0].operations, ElementsAre("face_detection", "yolov8"));
  EXPECT_THAT(all[0].backends, ElementsAre("face_detection.insightface", "yolov8.yolov8"));
}

}  // namespace
}  // namespace sidecard::engine
