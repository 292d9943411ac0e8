// Validate through the C++ client against the real daemon.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

using ValidateTest = DaemonTest;

TEST_F(ValidateTest, MixedFormatsAreReportedWithExactFacts) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteFile("b.png", "png");
  tree_.WriteBin("b.rkyv", kYoloDoc);
  tree_.WriteFile("c.jpg", "jpeg");
  tree_.WriteFile("c.json", std::string(kBothDoc) + "\n");
  tree_.WriteFile("d.jpg", "jpeg");
  tree_.WriteBin("d.bin", kInfoOnlyDoc);
  tree_.WriteFile("d.json", kFaceDoc);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run),
              ElementsAre(P("a.bin"), P("b.rkyv"), P("c.json"), P("d.bin"), P("d.json")));

  const v1::FileReport& a = run.reports[0];
  EXPECT_EQ(a.file().raw_path(), P("a.bin"));
  EXPECT_EQ(a.format(), v1::SIDECAR_FORMAT_BIN);
  EXPECT_TRUE(a.valid());
  EXPECT_EQ(a.error(), "");
  EXPECT_THAT(a.problems(), IsEmpty());
  EXPECT_THAT(a.warnings(), IsEmpty());
  EXPECT_EQ(a.size_bytes(), BinSize(kFaceDoc));
  EXPECT_THAT(StrVec(a.operations()), ElementsAre("face_detection"));
  EXPECT_EQ(a.detection_count(), 2);
  EXPECT_EQ(a.face_count(), 2);
  EXPECT_EQ(a.object_count(), 0);
  EXPECT_THAT(StrVec(a.tool_names()), ElementsAre("insightface"));
  EXPECT_TRUE(a.has_image());
  EXPECT_EQ(a.image().path(), P("a.jpg"));
  EXPECT_FALSE(a.orphan());
  EXPECT_EQ(a.layout(), v1::DOCUMENT_LAYOUT_MERGED);

  const v1::FileReport& b = run.reports[1];
  EXPECT_EQ(b.format(), v1::SIDECAR_FORMAT_RKYV);
  EXPECT_TRUE(b.valid());
  EXPECT_EQ(b.size_bytes(), BinSize(kYoloDoc));
  EXPECT_THAT(StrVec(b.operations()), ElementsAre("yolov8"));
  EXPECT_EQ(b.detection_count(), 2);
  EXPECT_EQ(b.face_count(), 0);
  EXPECT_EQ(b.object_count(), 2);
  EXPECT_THAT(StrVec(b.tool_names()), ElementsAre("yolov8n.pt"));
  EXPECT_EQ(b.image().path(), P("b.png"));

  const v1::FileReport& c = run.reports[2];
  EXPECT_EQ(c.format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_TRUE(c.valid());
  EXPECT_EQ(c.size_bytes(), static_cast<int64_t>(kBothDoc.size() + 1));
  EXPECT_THAT(StrVec(c.operations()), ElementsAre("face_detection", "yolov8"));
  EXPECT_EQ(c.detection_count(), 2);
  EXPECT_EQ(c.face_count(), 1);
  EXPECT_EQ(c.object_count(), 1);
  EXPECT_THAT(StrVec(c.tool_names()), ElementsAre("insightface", "yolov8n.pt"));
  EXPECT_EQ(c.image().path(), P("c.jpg"));

  const v1::FileReport& d_bin = run.reports[3];
  EXPECT_EQ(d_bin.format(), v1::SIDECAR_FORMAT_BIN);
  EXPECT_TRUE(d_bin.valid());
  EXPECT_THAT(StrVec(d_bin.operations()), IsEmpty());
  EXPECT_EQ(d_bin.detection_count(), 0);
  EXPECT_THAT(StrVec(d_bin.warnings()), ElementsAre("no operation results in this sidecar"));
  EXPECT_EQ(d_bin.image().path(), P("d.jpg"));

  const v1::FileReport& d_json = run.reports[4];
  EXPECT_EQ(d_json.format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_EQ(d_json.size_bytes(), static_cast<int64_t>(kFaceDoc.size()));
  EXPECT_EQ(d_json.face_count(), 2);
  EXPECT_EQ(d_json.image().path(), P("d.jpg"));

  EXPECT_EQ(run.summaries, 1);
  EXPECT_TRUE(run.summary_last);
  const v1::ValidateSummary& s = run.summary;
  EXPECT_EQ(s.root(), tree_.root());
  EXPECT_EQ(s.total_files(), 5);
  EXPECT_EQ(s.valid_files(), 5);
  EXPECT_EQ(s.invalid_files(), 0);
  EXPECT_THAT(ToStdMap(s.by_format()),
              ElementsAre(Pair("bin", 2), Pair("json", 2), Pair("rkyv", 1)));
  EXPECT_THAT(ToStdMap(s.by_operation()),
              ElementsAre(Pair("face_detection", 3), Pair("yolov8", 2)));
  EXPECT_EQ(s.orphans(), 0);
  EXPECT_EQ(s.foreign_files(), 0);
  EXPECT_EQ(s.filtered_out(), 0);
  EXPECT_EQ(s.unreadable_directories(), 0);
  EXPECT_EQ(s.filter_applied(), "");
}

TEST_F(ValidateTest, ResultsComeInBytewiseSortedPathOrderAcrossFolders) {
  // '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < 'B' < '_' < 'a' < 'z': a depth-first
  // walk that sorts names per directory gets this wrong.
  for (const char* rel : {"a_b.bin", "a/z/y.bin", "a.bin", "b/c.json", "a/x.bin", "B.bin",
                          "a-c.bin", "a/z.bin", "a/Z.bin"}) {
    const std::string name(rel);
    if (name.ends_with(".json")) {
      tree_.WriteFile(name, kInfoOnlyDoc);
    } else {
      tree_.WriteBin(name, kInfoOnlyDoc);
    }
  }
  v1::ValidateRequest request;
  request.set_root(tree_.root());
  request.set_batch_size(2);  // order must hold across messages too
  const ValidateRun run = Validate(request);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run),
              ElementsAre(P("B.bin"), P("a-c.bin"), P("a.bin"), P("a/Z.bin"), P("a/x.bin"),
                          P("a/z.bin"), P("a/z/y.bin"), P("a_b.bin"), P("b/c.json")));
  std::vector<std::string> raw;
  for (const v1::FileReport& report : run.reports) raw.push_back(report.file().raw_path());
  EXPECT_TRUE(std::is_sorted(raw.begin(), raw.end()));
  EXPECT_EQ(run.summary.total_files(), 9);
  EXPECT_EQ(run.summary.orphans(), 9);
}

TEST_F(ValidateTest, ImagesPairOnlyWithinTheirOwnFolder) {
  tree_.WriteFile("x/IMG_1.jpg", "jpeg");
  tree_.WriteBin("x/IMG_1.bin", kFaceDoc);
  tree_.WriteBin("y/IMG_1.bin", kFaceDoc);
  tree_.WriteFile("y/other.jpg", "jpeg");
  tree_.WriteFile("y/z/IMG_1.jpg", "jpeg");  // a subfolder's image is not beside it

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("x/IMG_1.bin"), P("y/IMG_1.bin")));
  EXPECT_FALSE(run.reports[0].orphan());
  EXPECT_EQ(run.reports[0].image().path(), P("x/IMG_1.jpg"));
  EXPECT_TRUE(run.reports[1].orphan());
  EXPECT_FALSE(run.reports[1].has_image());
  EXPECT_EQ(run.summary.orphans(), 1);
  EXPECT_EQ(run.summary.total_files(), 2);
}

TEST_F(ValidateTest, ForeignFilesAreNeverReportedAsSidecars) {
  tree_.WriteFile("p.jpg", "jpeg");
  tree_.WriteBin("p.bin", kFaceDoc);
  // Foreign by name, even when the content looks like a sidecar.
  tree_.WriteFile("game_detection.json", R"({"game_detection":{"success":true,"games":[]}})");
  tree_.WriteFile("face_clustering.json", R"({"sidecar_info":{},"clusters":[]})");
  tree_.WriteFile("face_clusters.json", R"({"clusters":[]})");
  tree_.WriteFile("season_summary.json", R"({"face_detection":{"success":true}})");
  tree_.WriteFile("match_report.json", R"({"total":3})");
  tree_.WriteFile("package.json", R"({"name":"x","sidecar_info":{}})");
  tree_.WriteFile("tsconfig.json", R"({"compilerOptions":{}})");
  // Foreign by content: decodes, not a sidecar document, no image.
  tree_.WriteFile("config.json", R"({"a":1})");
  // Does not decode, no image: not provably a sidecar.
  tree_.WriteFile("model.bin", RandomBytes());

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("p.bin")));
  EXPECT_EQ(run.summary.total_files(), 1);
  EXPECT_EQ(run.summary.valid_files(), 1);
  EXPECT_EQ(run.summary.foreign_files(), 9);
  EXPECT_EQ(run.summary.orphans(), 0);
}

TEST_F(ValidateTest, SymlinkedSidecarIsNeverRead) {
  testing::TempTree outside;
  outside.WriteBin("real.bin", kFaceDoc);
  ShareWithDaemon(outside.root());
  tree_.WriteFile("l.jpg", "jpeg");
  tree_.Symlink("l.bin", outside.Path("real.bin"));
  tree_.WriteFile("m.jpg", "jpeg");
  tree_.WriteBin("m.bin", kYoloDoc);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("m.bin")));
  EXPECT_EQ(run.summary.foreign_files(), 1);
}

TEST_F(ValidateTest, NonRecursiveReportsOnlyTheTopFolder) {
  tree_.WriteBin("top.bin", kFaceDoc);
  tree_.WriteBin("sub/deep.bin", kFaceDoc);
  v1::ValidateRequest request;
  request.set_root(tree_.root());
  request.set_non_recursive(true);
  const ValidateRun flat = Validate(request);
  ASSERT_TRUE(flat.status.ok()) << flat.status.error_message();
  EXPECT_THAT(ReportPaths(flat), ElementsAre(P("top.bin")));
  EXPECT_EQ(flat.summary.total_files(), 1);

  const ValidateRun deep = Validate(tree_.root());
  ASSERT_TRUE(deep.status.ok());
  EXPECT_THAT(ReportPaths(deep), ElementsAre(P("sub/deep.bin"), P("top.bin")));
}

TEST_F(ValidateTest, SubfolderAsRoot) {
  tree_.WriteBin("top.bin", kFaceDoc);
  tree_.WriteFile("sub/deep.jpg", "jpeg");
  tree_.WriteBin("sub/deep.bin", kFaceDoc);
  const ValidateRun run = Validate(P("sub"));
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("sub/deep.bin")));
  EXPECT_EQ(run.summary.root(), P("sub"));
}

TEST_F(ValidateTest, SummaryOnlySendsNoReports) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteFile("b.json", kYoloDoc);
  tree_.WriteFile("c.jpg", "jpeg");
  tree_.WriteFile("c.json", "{\"face_detection\": ");  // truncated
  v1::ValidateRequest request;
  request.set_root(tree_.root());
  request.set_summary_only(true);
  const ValidateRun run = Validate(request);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(run.reports, IsEmpty());
  EXPECT_THAT(run.batch_sizes, ElementsAre(0));
  EXPECT_EQ(run.summaries, 1);
  EXPECT_EQ(run.summary.total_files(), 3);
  EXPECT_EQ(run.summary.valid_files(), 2);
  EXPECT_EQ(run.summary.invalid_files(), 1);
  EXPECT_THAT(ToStdMap(run.summary.by_format()), ElementsAre(Pair("bin", 1), Pair("json", 2)));
  EXPECT_THAT(ToStdMap(run.summary.by_operation()),
              ElementsAre(Pair("face_detection", 1), Pair("yolov8", 1)));
}

TEST_F(ValidateTest, BatchSizeIsRespected) {
  constexpr int kFiles = 600;
  std::vector<std::string> expected;
  for (int i = 0; i < kFiles; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "s%04d.bin", i);
    tree_.WriteBin(name, kInfoOnlyDoc);
    expected.push_back(P(name));
  }
  v1::ValidateRequest request;
  request.set_root(tree_.root());
  request.set_batch_size(100);
  const ValidateRun run = Validate(request);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_GE(run.batch_sizes.size(), 7u);  // 600 / 100 report messages + the summary
  for (size_t i = 0; i + 1 < run.batch_sizes.size(); ++i) {
    EXPECT_LE(run.batch_sizes[i], 100) << "message " << i;
    EXPECT_GT(run.batch_sizes[i], 0) << "message " << i;
  }
  EXPECT_EQ(run.summaries, 1);
  EXPECT_TRUE(run.summary_last);
  EXPECT_EQ(ReportPaths(run), expected);
  EXPECT_EQ(run.summary.total_files(), kFiles);
  EXPECT_EQ(run.summary.orphans(), kFiles);
}

TEST_F(ValidateTest, DefaultBatchSizeIsBounded) {
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) tree_.WriteBin("d" + std::to_string(i) + ".bin", kInfoOnlyDoc);
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  for (int size : run.batch_sizes) EXPECT_LE(size, 256);
  EXPECT_EQ(run.reports.size(), static_cast<size_t>(kFiles));
  EXPECT_EQ(run.summary.total_files(), kFiles);
}

TEST_F(ValidateTest, Regression_ValidateHonoursOperationFilter) {
  tree_.WriteFile("f.jpg", "jpeg");
  tree_.WriteBin("f.bin", kFaceDoc);
  tree_.WriteFile("y.jpg", "jpeg");
  tree_.WriteBin("y.bin", kYoloDoc);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteFile("b.json", kBothDoc);
  tree_.WriteFile("i.jpg", "jpeg");
  tree_.WriteBin("i.bin", kInfoOnlyDoc);
  tree_.WriteFile("l.jpg", "jpeg");
  tree_.WriteFile("l.json", R"({"Face_detector":{"success":true,"faces":[{}]}})");

  const ValidateRun faces = Validate(tree_.root(), "face_detection");
  ASSERT_TRUE(faces.status.ok()) << faces.status.error_message();
  EXPECT_THAT(ReportPaths(faces), ElementsAre(P("b.json"), P("f.bin"), P("l.json")));
  EXPECT_EQ(faces.summary.total_files(), 3);
  EXPECT_EQ(faces.summary.filtered_out(), 2);
  EXPECT_EQ(faces.summary.filter_applied(), "face_detection");
  EXPECT_THAT(ToStdMap(faces.summary.by_operation()),
              ElementsAre(Pair("face_detection", 3), Pair("yolov8", 1)));

  const ValidateRun yolo = Validate(tree_.root(), "yolov8");
  ASSERT_TRUE(yolo.status.ok());
  EXPECT_THAT(ReportPaths(yolo), ElementsAre(P("b.json"), P("y.bin")));
  EXPECT_EQ(yolo.summary.filtered_out(), 3);

  const ValidateRun none = Validate(tree_.root(), "pose_detection");
  ASSERT_TRUE(none.status.ok());
  EXPECT_THAT(none.reports, IsEmpty());
  EXPECT_EQ(none.summary.total_files(), 0);
  EXPECT_EQ(none.summary.filtered_out(), 5);

  const ValidateRun all = Validate(tree_.root());
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.summary.total_files(), 5);
  EXPECT_EQ(all.summary.filtered_out(), 0);
}

TEST_F(ValidateTest, Regression_ValidateRejectsNonObjectDocuments) {
  tree_.WriteFile("n.jpg", "jpeg");
  tree_.WriteFile("n.json", "42\n");
  tree_.WriteFile("l.jpg", "jpeg");
  tree_.WriteFile("l.json", "[1, 2]");
  tree_.WriteFile("s.jpg", "jpeg");
  tree_.WriteBin("s.bin", R"("text")");
  tree_.WriteFile("ok.jpg", "jpeg");
  tree_.WriteFile("ok.json", kFaceDoc);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("l.json"), P("n.json"), P("ok.json"), P("s.bin")));
  for (int i : {0, 1, 3}) {
    const v1::FileReport& report = run.reports[static_cast<size_t>(i)];
    EXPECT_FALSE(report.valid()) << report.file().path();
    EXPECT_THAT(report.error(), HasSubstr("not a JSON object")) << report.file().path();
    EXPECT_EQ(report.layout(), v1::DOCUMENT_LAYOUT_UNSPECIFIED);
    EXPECT_THAT(StrVec(report.operations()), IsEmpty());
  }
  EXPECT_THAT(run.reports[0].error(), HasSubstr("array"));
  EXPECT_THAT(run.reports[1].error(), HasSubstr("number"));
  EXPECT_THAT(run.reports[3].error(), HasSubstr("string"));
  EXPECT_TRUE(run.reports[2].valid());
  EXPECT_EQ(run.summary.valid_files(), 1);
  EXPECT_EQ(run.summary.invalid_files(), 3);
}

TEST_F(ValidateTest, StructureProblemsMakeAFileInvalid) {
  tree_.WriteFile("w.jpg", "jpeg");
  tree_.WriteFile("w.json", R"({"face_detection":{"success":"yes","faces":{}},"sidecar_info":[]})");
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.reports.size(), 1u);
  const v1::FileReport& w = run.reports[0];
  EXPECT_FALSE(w.valid());
  EXPECT_THAT(StrVec(w.problems()),
              UnorderedElementsAre("sidecar_info is an array, expected an object",
                                   "face_detection.success is a string, expected a boolean",
                                   "face_detection.faces is an object, expected an array"));
  EXPECT_FALSE(w.error().empty());
  EXPECT_EQ(run.summary.invalid_files(), 1);
}

TEST_F(ValidateTest, CorruptFilesAreReportedWithTheReason) {
  tree_.WriteFile("short.jpg", "jpeg");
  tree_.WriteFile("short.bin", "abc");
  tree_.WriteFile("trunc.jpg", "jpeg");
  tree_.WriteFile("trunc.bin", std::string("\x64\0\0\0\0\0\0\0", 8) + R"({"a":)");
  tree_.WriteFile("badjson.jpg", "jpeg");
  tree_.WriteFile("badjson.json", R"({"face_detection": })");
  tree_.WriteFile("badbody.jpg", "jpeg");
  tree_.WriteBin("badbody.bin", R"({"x":tru})");
  tree_.WriteFile("trail.jpg", "jpeg");
  tree_.WriteFile("trail.bin", BinBytes(kFaceDoc) + "xyz");

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("badbody.bin"), P("badjson.json"), P("short.bin"),
                                            P("trail.bin"), P("trunc.bin")));
  const v1::FileReport& badbody = run.reports[0];
  EXPECT_FALSE(badbody.valid());
  // The offset counts the 8-byte header: `}` is byte 8 of the body.
  EXPECT_THAT(badbody.error(), HasSubstr("invalid JSON at byte offset 16"));
  const v1::FileReport& badjson = run.reports[1];
  EXPECT_FALSE(badjson.valid());
  EXPECT_THAT(badjson.error(), HasSubstr("invalid JSON at byte offset 19"));
  const v1::FileReport& short_bin = run.reports[2];
  EXPECT_FALSE(short_bin.valid());
  EXPECT_THAT(short_bin.error(), HasSubstr("too short: 3 bytes"));
  const v1::FileReport& trail = run.reports[3];
  EXPECT_TRUE(trail.valid());
  EXPECT_THAT(
      StrVec(trail.warnings()),
      ElementsAre("3 trailing bytes after the " + std::to_string(kFaceDoc.size()) + "-byte body"));
  const v1::FileReport& trunc = run.reports[4];
  EXPECT_FALSE(trunc.valid());
  EXPECT_THAT(trunc.error(), HasSubstr("length header says 100 bytes but only 5 follow"));
  EXPECT_EQ(run.summary.valid_files(), 1);
  EXPECT_EQ(run.summary.invalid_files(), 4);
}

TEST_F(ValidateTest, LegacyLayoutsAreRead) {
  tree_.WriteFile("env.jpg", "jpeg");
  tree_.WriteFile("env.json", R"({"sidecar_info":{"operation_type":"face_detection"},)"
                              R"("data":{"success":true,"faces":[{"face_id":0}]}})");
  tree_.WriteFile("old.jpg", "jpeg");
  tree_.WriteFile("old.json",
                  R"({"Face_detector":{"success":true,"faces":[{},{},{}]},)"
                  R"("Object_detector":{"success":true,"objects":[{"class_name":"person"}]}})");
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("env.json"), P("old.json")));
  const v1::FileReport& env = run.reports[0];
  EXPECT_TRUE(env.valid()) << env.error();
  EXPECT_EQ(env.layout(), v1::DOCUMENT_LAYOUT_ENVELOPE);
  EXPECT_THAT(StrVec(env.operations()), ElementsAre("face_detection"));
  EXPECT_EQ(env.face_count(), 1);
  const v1::FileReport& old = run.reports[1];
  EXPECT_TRUE(old.valid()) << old.error();
  EXPECT_EQ(old.layout(), v1::DOCUMENT_LAYOUT_LEGACY_SCRIPT);
  EXPECT_THAT(StrVec(old.operations()), ElementsAre("face_detection", "object_detection"));
  EXPECT_EQ(old.detection_count(), 4);
  EXPECT_EQ(old.face_count(), 3);
  EXPECT_EQ(old.object_count(), 1);
}

TEST_F(ValidateTest, UnknownKeysAreWarningsNotErrors) {
  tree_.WriteFile("u.jpg", "jpeg");
  tree_.WriteFile("u.json", R"({"face_detection":{"success":true,"faces":[]},"custom":"x"})");
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.reports.size(), 1u);
  EXPECT_TRUE(run.reports[0].valid());
  EXPECT_THAT(StrVec(run.reports[0].warnings()), ElementsAre(HasSubstr("custom")));
}

TEST_F(ValidateTest, SidecarAndImageExtensionsMatchCaseInsensitively) {
  tree_.WriteFile("A.jpg", "jpeg");
  tree_.WriteBin("A.BIN", kFaceDoc);
  tree_.WriteFile("b.JPG", "jpeg");
  tree_.WriteFile("b.Json", kFaceDoc);
  tree_.WriteFile("c.NEF", "raw");
  tree_.WriteBin("c.Rkyv", kFaceDoc);
  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("A.BIN"), P("b.Json"), P("c.Rkyv")));
  EXPECT_EQ(run.reports[0].format(), v1::SIDECAR_FORMAT_BIN);
  EXPECT_EQ(run.reports[0].image().path(), P("A.jpg"));
  EXPECT_EQ(run.reports[1].format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_EQ(run.reports[1].image().path(), P("b.JPG"));
  EXPECT_EQ(run.reports[2].format(), v1::SIDECAR_FORMAT_RKYV);
  EXPECT_EQ(run.reports[2].image().path(), P("c.NEF"));
  EXPECT_EQ(run.summary.orphans(), 0);
}

TEST_F(ValidateTest, Regression_NonUtf8NameDoesNotCrash) {
  tree_.WriteFile("caf\xE9.jpg", "jpeg");
  tree_.WriteBin("caf\xE9.bin", kFaceDoc);
  tree_.WriteBin("\xFF\xFE.bin", kFaceDoc);  // an orphan with a non-UTF-8 name
  tree_.WriteFile("zeta.jpg", "jpeg");
  tree_.WriteBin("zeta.bin", kYoloDoc);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_EQ(run.reports.size(), 3u);
  const v1::FileReport& cafe = run.reports[0];
  EXPECT_EQ(cafe.file().path(), tree_.root() + "/caf\\xE9.bin");
  EXPECT_EQ(cafe.file().raw_path(), tree_.root() + "/caf\xE9.bin");
  EXPECT_TRUE(cafe.valid());
  EXPECT_EQ(cafe.image().path(), tree_.root() + "/caf\\xE9.jpg");
  EXPECT_EQ(cafe.image().raw_path(), tree_.root() + "/caf\xE9.jpg");
  EXPECT_EQ(run.reports[1].file().path(), P("zeta.bin"));
  EXPECT_EQ(run.reports[1].file().raw_path(), P("zeta.bin"));
  const v1::FileReport& odd = run.reports[2];
  EXPECT_EQ(odd.file().path(), tree_.root() + "/\\xFF\\xFE.bin");
  EXPECT_EQ(odd.file().raw_path(), tree_.root() + "/\xFF\xFE.bin");
  EXPECT_TRUE(odd.orphan());
  EXPECT_EQ(run.summary.total_files(), 3);
  EXPECT_EQ(run.summary.orphans(), 1);

  v1::StatsResponse stats;
  const grpc::Status stats_status = Stats(tree_.root(), stats);
  ASSERT_TRUE(stats_status.ok()) << stats_status.error_message();
  EXPECT_EQ(stats.total_images(), 2);
  EXPECT_EQ(stats.total_sidecars(), 3);
  EXPECT_DOUBLE_EQ(stats.coverage_percentage(), 100.0);

  const CleanupRun cleanup = Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE);
  ASSERT_TRUE(cleanup.status.ok()) << cleanup.status.error_message();
  ASSERT_EQ(cleanup.results.size(), 1u);
  EXPECT_EQ(cleanup.results[0].file().path(), tree_.root() + "/\\xFF\\xFE.bin");
  EXPECT_EQ(cleanup.results[0].file().raw_path(), tree_.root() + "/\xFF\xFE.bin");
  EXPECT_EQ(cleanup.results[0].action(), v1::CLEANUP_ACTION_DELETED);
  EXPECT_FALSE(tree_.Exists("\xFF\xFE.bin"));
  EXPECT_TRUE(tree_.Exists("caf\xE9.bin"));
}

TEST_F(ValidateTest, UnreadableSidecarIsReportedInvalidAndTheRestContinues) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.SetMode("a.bin", 0);
  tree_.WriteFile("b.jpg", "jpeg");
  tree_.WriteBin("b.bin", kYoloDoc);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_THAT(ReportPaths(run), ElementsAre(P("a.bin"), P("b.bin")));
  EXPECT_FALSE(run.reports[0].valid());
  EXPECT_THAT(run.reports[0].error(), HasSubstr("Permission denied"));
  EXPECT_EQ(run.reports[0].image().path(), P("a.jpg"));
  EXPECT_TRUE(run.reports[1].valid());
  EXPECT_EQ(run.summary.total_files(), 2);
  EXPECT_EQ(run.summary.valid_files(), 1);
  EXPECT_EQ(run.summary.invalid_files(), 1);
}

TEST_F(ValidateTest, UnreadableFolderIsReportedAndTheRestContinues) {
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteBin("locked/x.bin", kFaceDoc);
  tree_.WriteBin("z.bin", kFaceDoc);
  tree_.SetMode("locked", 0);

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("a.bin"), P("z.bin")));
  EXPECT_EQ(run.summary.unreadable_directories(), 1);
  ASSERT_EQ(run.summary.directory_errors_size(), 1);
  EXPECT_THAT(run.summary.directory_errors(0),
              AllOf(HasSubstr(P("locked")), HasSubstr("Permission denied")));
}

TEST_F(ValidateTest, DirectorySymlinksAreNotFollowed) {
  testing::TempTree outside;
  outside.WriteBin("o.bin", kFaceDoc);
  ShareWithDaemon(outside.root());
  tree_.WriteBin("in.bin", kFaceDoc);
  tree_.Symlink("escape", outside.root());
  tree_.MakeDir("real");
  tree_.WriteBin("real/r.bin", kFaceDoc);
  tree_.Symlink("loop", "real");

  const ValidateRun run = Validate(tree_.root());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_THAT(ReportPaths(run), ElementsAre(P("in.bin"), P("real/r.bin")));
}

}  // namespace
}  // namespace sidecard::testing
