// Export and Convert requests → engine options (with their defaults and the
// enum values they refuse), and their results → messages.
#include "server/service/bulk_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

TEST(ExportOptionsFrom, DefaultsToJsonDocumentsRecursively) {
  v1::ExportRequest request;
  request.set_operation_filter("yolov8");
  const auto options = ExportOptionsFrom(request);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->format, engine::ExportFormat::kJson);
  EXPECT_EQ(options->content, engine::ExportContent::kDocuments);
  EXPECT_TRUE(options->recursive);
  EXPECT_EQ(options->operation_filter, "yolov8");
}

TEST(ExportOptionsFrom, EachFormatWithItsDefaultContent) {
  v1::ExportRequest request;
  request.set_non_recursive(true);
  request.set_format(v1::EXPORT_FORMAT_JSONL);
  auto options = ExportOptionsFrom(request);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->format, engine::ExportFormat::kJsonLines);
  EXPECT_EQ(options->content, engine::ExportContent::kDocuments);
  EXPECT_FALSE(options->recursive);

  request.set_format(v1::EXPORT_FORMAT_CSV);
  options = ExportOptionsFrom(request);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->format, engine::ExportFormat::kCsv);
  EXPECT_EQ(options->content, engine::ExportContent::kTable);

  request.set_format(v1::EXPORT_FORMAT_JSON);
  request.set_content(v1::EXPORT_CONTENT_TABLE);
  options = ExportOptionsFrom(request);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->format, engine::ExportFormat::kJson);
  EXPECT_EQ(options->content, engine::ExportContent::kTable);
}

TEST(ExportOptionsFrom, RefusesDocumentsAsCsvAndUnknownValues) {
  v1::ExportRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  request.set_content(v1::EXPORT_CONTENT_DOCUMENTS);
  auto options = ExportOptionsFrom(request);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(),
            "content: DOCUMENTS cannot be written as CSV (use TABLE, or format JSON or JSONL)");

  request.set_format(static_cast<v1::ExportFormat>(42));
  options = ExportOptionsFrom(request);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(), "format: unknown value");

  request.set_format(v1::EXPORT_FORMAT_JSON);
  request.set_content(static_cast<v1::ExportContent>(42));
  options = ExportOptionsFrom(request);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(), "content: unknown value");
}

TEST(ConvertOptionsFrom, TakesTargetApplyAndRecursion) {
  v1::ConvertRequest request;
  request.set_target_format(v1::SIDECAR_FORMAT_JSON);
  request.set_apply(true);
  request.set_non_recursive(true);
  const auto options = ConvertOptionsFrom(request);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->target, engine::SidecarFormat::kJson);
  EXPECT_TRUE(options->apply);
  EXPECT_FALSE(options->recursive);
}

TEST(ConvertOptionsFrom, TheTargetIsRequiredAndKnown) {
  v1::ConvertRequest request;
  auto options = ConvertOptionsFrom(request);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(), "target_format: required (BIN, RKYV or JSON)");
  request.set_target_format(static_cast<v1::SidecarFormat>(9));
  options = ConvertOptionsFrom(request);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(), "target_format: unknown value");
}

TEST(FillExportSummary, EveryFigure) {
  engine::ExportSummary summary;
  summary.root = "/p\xFF";
  summary.exported = 5;
  summary.unreadable = 1;
  summary.output_bytes = 2048;
  summary.duration_seconds = 0.25;
  summary.unreadable_directories = 2;
  v1::ExportSummary out;
  FillExportSummary(summary, out);
  EXPECT_EQ(out.root(), "/p\\xFF");
  EXPECT_EQ(out.exported(), 5);
  EXPECT_EQ(out.unreadable(), 1);
  EXPECT_EQ(out.output_bytes(), 2048);
  EXPECT_EQ(out.duration_seconds(), 0.25);
  EXPECT_EQ(out.unreadable_directories(), 2);
}

TEST(FillConvertResult, SourcesTargetAndAction) {
  engine::ConvertResult result;
  result.sources = {"/p/IMG_\xE4.bin", "/p/IMG_\xE4.json"};
  result.target = "/p/IMG_\xE4.rkyv";
  result.action = engine::ConvertAction::kSkippedConflict;
  result.error = "both differ";
  v1::ConvertResult out;
  FillConvertResult(result, out);
  ASSERT_EQ(out.sources_size(), 2);
  EXPECT_EQ(out.sources(0).raw_path(), "/p/IMG_\xE4.bin");
  EXPECT_EQ(out.sources(0).path(), "/p/IMG_\\xE4.bin");
  EXPECT_EQ(out.sources(1).raw_path(), "/p/IMG_\xE4.json");
  EXPECT_EQ(out.target().raw_path(), "/p/IMG_\xE4.rkyv");
  EXPECT_EQ(out.action(), v1::CONVERT_ACTION_SKIPPED_CONFLICT);
  EXPECT_EQ(out.error(), "both differ");

  const std::pair<engine::ConvertAction, v1::ConvertAction> kActions[] = {
      {engine::ConvertAction::kWouldConvert, v1::CONVERT_ACTION_WOULD_CONVERT},
      {engine::ConvertAction::kConverted, v1::CONVERT_ACTION_CONVERTED},
      {engine::ConvertAction::kAlreadyTarget, v1::CONVERT_ACTION_ALREADY_TARGET},
      {engine::ConvertAction::kSkippedUnreadable, v1::CONVERT_ACTION_SKIPPED_UNREADABLE},
      {engine::ConvertAction::kSkippedTargetNewer, v1::CONVERT_ACTION_SKIPPED_TARGET_NEWER},
      {engine::ConvertAction::kSkippedConflict, v1::CONVERT_ACTION_SKIPPED_CONFLICT},
      {engine::ConvertAction::kFailed, v1::CONVERT_ACTION_FAILED},
  };
  for (const auto& [action, expected] : kActions) {
    result.action = action;
    v1::ConvertResult each;
    FillConvertResult(result, each);
    EXPECT_EQ(each.action(), expected) << v1::ConvertAction_Name(expected);
  }
}

TEST(FillConvertSummary, EveryFigure) {
  engine::ConvertSummary summary;
  summary.root = "/p";
  summary.target = engine::SidecarFormat::kRkyv;
  summary.applied = true;
  summary.converted = 4;
  summary.already_target = 3;
  summary.skipped = 2;
  summary.failed = 1;
  summary.duration_seconds = 1.5;
  summary.unreadable_directories = 1;
  v1::ConvertSummary out;
  FillConvertSummary(summary, out);
  EXPECT_EQ(out.root(), "/p");
  EXPECT_EQ(out.target_format(), v1::SIDECAR_FORMAT_RKYV);
  EXPECT_TRUE(out.applied());
  EXPECT_EQ(out.converted(), 4);
  EXPECT_EQ(out.already_target(), 3);
  EXPECT_EQ(out.skipped(), 2);
  EXPECT_EQ(out.failed(), 1);
  EXPECT_EQ(out.duration_seconds(), 1.5);
  EXPECT_EQ(out.unreadable_directories(), 1);
}

}  // namespace
}  // namespace sidecard::service
