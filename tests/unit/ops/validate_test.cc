#include "server/engine/ops/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ValidateTest : public EngineHarness {};

TEST_F(ValidateTest, ReportsEveryFormatWithFactsInSortedPathOrder) {
  tree_.WriteFile("b/IMG_2.jpg", "");
  tree_.WriteFile("b/IMG_2.json", MergedDocument(2, 1));
  tree_.WriteFile("a.jpg", "");
  tree_.WriteBin("a.bin", MergedDocument(1, 3));
  tree_.WriteFile("a_b.jpg", "");
  tree_.WriteBin("a_b.rkyv", MergedDocument(0, 0));
  tree_.WriteFile("a/x.jpg", "");
  tree_.WriteBin("a/x.bin", MergedDocument());

  const ValidateRun run = Validate();
  // Bytewise order of full paths: "a.bin" < "a/x.bin" < "a_b.rkyv" < "b/...".
  EXPECT_THAT(run.paths, ElementsAre("a.bin", "a/x.bin", "a_b.rkyv", "b/IMG_2.json"));
  const ValidatedFile& a = Report(run, "a.bin");
  EXPECT_TRUE(a.inspection->valid());
  EXPECT_EQ(a.inspection->format, SidecarFormat::kBin);
  EXPECT_EQ(a.inspection->facts.detection_count(), 4);
  EXPECT_THAT(a.inspection->facts.operations, ElementsAre("face_detection", "yolov8"));
  EXPECT_THAT(a.inspection->facts.tool_names, ElementsAre("insightface", "yolov8n.pt"));
  EXPECT_EQ(a.image_path, tree_.Path("a.jpg"));
  EXPECT_EQ(Report(run, "a_b.rkyv").inspection->format, SidecarFormat::kRkyv);
  EXPECT_EQ(Report(run, "b/IMG_2.json").inspection->facts.detection_count(), 3);
  EXPECT_EQ(run.summary.total_files, 4);
  EXPECT_EQ(run.summary.valid_files, 4);
  EXPECT_EQ(run.summary.invalid_files, 0);
  EXPECT_EQ(run.summary.by_format,
            (std::map<std::string, int64_t>{{"bin", 2}, {"json", 1}, {"rkyv", 1}}));
  EXPECT_EQ(run.summary.by_operation.at("yolov8"), 4);
}

TEST_F(ValidateTest, CorruptFilesAreReportedWithTheProblemAndTheRestGoesOn) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteBin("a.bin", R"({"face_detection":{"success":true,)");  // cut short
  tree_.WriteFile("b.jpg", "");
  tree_.WriteFile("b.bin", std::string("\x40\x00\x00", 3));  // shorter than the header
  tree_.WriteFile("c.jpg", "");
  tree_.WriteFile("c.json", "{\"yolov8\": {\"success\": true}");
  tree_.WriteFile("d.jpg", "");
  tree_.WriteFile("d.json", MergedDocument());

  const ValidateRun run = Validate();
  ASSERT_EQ(run.paths.size(), 4u);
  EXPECT_THAT(Report(run, "a.bin").inspection->FirstError(),
              HasSubstr("invalid JSON at byte offset"));
  EXPECT_THAT(Report(run, "b.bin").inspection->FirstError(), HasSubstr("too short"));
  EXPECT_THAT(Report(run, "c.json").inspection->FirstError(), HasSubstr("invalid JSON"));
  EXPECT_TRUE(Report(run, "d.json").inspection->valid());
  EXPECT_EQ(run.summary.invalid_files, 3);
  EXPECT_EQ(run.summary.valid_files, 1);
}

// docs/CONTRACT.md §5: "Validate ... accepted a bare number or list as valid".
TEST_F(ValidateTest, Regression_BareNumberOrListIsInvalid) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", "42");
  tree_.WriteFile("b.jpg", "");
  tree_.WriteBin("b.bin", "[1,2,3]");
  const ValidateRun run = Validate();
  ASSERT_EQ(run.paths.size(), 2u);
  EXPECT_FALSE(Report(run, "a.json").inspection->valid());
  EXPECT_FALSE(Report(run, "b.bin").inspection->valid());
  EXPECT_THAT(Report(run, "b.bin").inspection->FirstError(), HasSubstr("array, not a JSON object"));
}

// docs/CONTRACT.md §5: "Validate ignored ... --operation-type".
TEST_F(ValidateTest, Regression_OperationFilterRestrictsTheReport) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", R"({"face_detection": {"success": true, "faces": []}})");
  tree_.WriteFile("b.jpg", "");
  tree_.WriteFile("b.json", R"({"yolov8": {"yolov8": {"success": true, "objects": []}}})");
  ValidateOptions options;
  options.counting.operation_filter = "yolov8";
  const ValidateRun run = Validate(options);
  EXPECT_THAT(run.paths, ElementsAre("b.json"));
  EXPECT_EQ(run.summary.total_files, 1);
  EXPECT_EQ(run.summary.filtered_out, 1);
  EXPECT_EQ(run.summary.filter_applied, "yolov8");
}

TEST_F(ValidateTest, ForeignFilesAreNeverValidated) {
  tree_.WriteFile("package.json", R"({"name": "x"})");
  tree_.WriteFile("game_detection.json", R"({"games": []})");
  tree_.WriteFile("g1_summary.json", R"({"total": 1})");
  tree_.WriteFile("model.bin", std::string(100, '\x7f'));
  tree_.WriteFile("config.json", R"({"threshold": 0.5})");
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  const ValidateRun run = Validate();
  EXPECT_THAT(run.paths, ElementsAre("a.json"));
  EXPECT_EQ(run.summary.foreign_files, 5);
}

TEST_F(ValidateTest, OrphansAreReportedWithoutImage) {
  tree_.WriteFile("gone.json", MergedDocument());
  const ValidateRun run = Validate();
  ASSERT_THAT(run.paths, ElementsAre("gone.json"));
  EXPECT_TRUE(run.files[0].orphan());
  EXPECT_EQ(run.summary.orphans, 1);
}

TEST_F(ValidateTest, NonRecursiveStaysInTheTopDirectory) {
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  tree_.WriteFile("sub/b.jpg", "");
  tree_.WriteFile("sub/b.json", MergedDocument());
  ValidateOptions options;
  options.recursive = false;
  EXPECT_THAT(Validate(options).paths, ElementsAre("a.json"));
  EXPECT_THAT(Validate().paths, ElementsAre("a.json", "sub/b.json"));
}

TEST_F(ValidateTest, TrailingBytesAfterBinBodyAreAWarning) {
  tree_.WriteFile("a.jpg", "");
  const std::string body = R"({"sidecar_info":{}})";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(body.size());
  tree_.WriteFile("a.bin", bytes + body + "junk");
  const ValidateRun run = Validate();
  ASSERT_EQ(run.files.size(), 1u);
  EXPECT_TRUE(run.files[0].inspection->valid());
  EXPECT_THAT(run.files[0].warnings(), ::testing::Contains(HasSubstr("trailing bytes")));
}

TEST_F(ValidateTest, NonUtf8NamesAreHandled) {
  tree_.WriteFile("caf\xE9.jpg", "");
  tree_.WriteFile("caf\xE9.bin", "");
  tree_.WriteBin("caf\xE9.bin", MergedDocument());
  const ValidateRun run = Validate();
  ASSERT_THAT(run.paths, ElementsAre("caf\xE9.bin"));
  EXPECT_TRUE(run.files[0].inspection->valid());
}

TEST_F(ValidateTest, QuarantineFolderIsNotScanned) {
  tree_.WriteFile(".sidecard-quarantine/20250101T000000Z/x.json", MergedDocument());
  tree_.WriteFile("a.jpg", "");
  tree_.WriteFile("a.json", MergedDocument());
  EXPECT_THAT(Validate().paths, ElementsAre("a.json"));
}

TEST_F(ValidateTest, DirectorySymlinksAreNotFollowedOutOfTheRoot) {
  sidecard::testing::TempTree outside;
  outside.WriteFile("x.jpg", "");
  outside.WriteFile("x.json", MergedDocument());
  tree_.Symlink("escape", outside.root());
  tree_.Symlink("escape-relative", "../" + outside.root().substr(outside.root().rfind('/') + 1));
  EXPECT_TRUE(Validate().paths.empty());
}

TEST_F(ValidateTest, CancellationStopsTheRun) {
  for (int i = 0; i < 600; ++i)
    tree_.WriteFile("f" + std::to_string(i) + ".json", R"({"sidecar_info":{}})");
  int batches = 0;
  std::atomic<bool> cancelled{false};
  auto summary =
      ValidateTree(tree_.root(), {}, Context(), Cancellation([&] { return cancelled.load(); }),
                   [&](std::span<const ValidatedFile>) {
                     ++batches;
                     cancelled = true;
                     // Cancellation is polled at most once per millisecond.
                     absl::SleepFor(absl::Milliseconds(2));
                     return true;
                   });
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(batches, 1);
}

}  // namespace
}  // namespace sidecard::engine
