// Engine results → sidecar.v1 messages: every field lands where the proto
// says, paths travel as display text plus exact bytes, and text from file
// content (operations, tool names, problems) is made valid UTF-8.
#include "server/service/proto_mapping.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// A name that is not valid UTF-8 (Latin-1 "ä"), and how it is shown.
constexpr char kRawName[] = "/p/Pokal\xE4nderung.bin";
constexpr char kShownName[] = "/p/Pokal\\xE4nderung.bin";

template <typename ProtoMap>
std::map<std::string, typename ProtoMap::mapped_type> Sorted(const ProtoMap& map) {
  return {map.begin(), map.end()};
}

TEST(FillPath, DisplayTextAndExactBytes) {
  v1::FilePath path;
  FillPath(kRawName, path);
  EXPECT_EQ(path.path(), kShownName);
  EXPECT_EQ(path.raw_path(), kRawName);
  FillPath("/p/Pokalübergabe.bin", path);
  EXPECT_EQ(path.path(), "/p/Pokalübergabe.bin");
  EXPECT_EQ(path.raw_path(), "/p/Pokalübergabe.bin");
}

engine::ValidatedFile ValidFile() {
  auto inspection = std::make_shared<engine::SidecarInspection>();
  inspection->format = engine::SidecarFormat::kBin;
  inspection->stamp.size = 321;
  inspection->decoded = true;
  inspection->decode_warnings = {"trailing bytes"};
  inspection->facts.layout = engine::DocumentLayout::kMerged;
  inspection->facts.operations = {"face_detection", "yolov8"};
  inspection->facts.tool_names = {"insightface", "yolo\xFF"};
  inspection->facts.warnings = {"unknown key x"};
  engine::PayloadFacts faces;
  faces.operation = "face_detection";
  faces.faces = 2;
  engine::PayloadFacts objects;
  objects.operation = "yolov8";
  objects.objects = 3;
  objects.other_detections = 4;
  inspection->facts.payloads = {faces, objects};
  return engine::ValidatedFile{kRawName, "/p/Pokal\xE4nderung.jpg", inspection, {}, 0};
}

TEST(FillFileReport, AValidPairedSidecar) {
  v1::FileReport report;
  FillFileReport(ValidFile(), report);
  EXPECT_EQ(report.file().path(), kShownName);
  EXPECT_EQ(report.file().raw_path(), kRawName);
  EXPECT_EQ(report.image().path(), "/p/Pokal\\xE4nderung.jpg");
  EXPECT_EQ(report.image().raw_path(), "/p/Pokal\xE4nderung.jpg");
  EXPECT_FALSE(report.orphan());
  EXPECT_EQ(report.format(), v1::SIDECAR_FORMAT_BIN);
  EXPECT_TRUE(report.valid());
  EXPECT_EQ(report.error(), "");
  EXPECT_THAT(report.problems(), ElementsAre());
  EXPECT_THAT(report.warnings(), ElementsAre("trailing bytes", "unknown key x"));
  EXPECT_EQ(report.size_bytes(), 321);
  EXPECT_THAT(report.operations(), ElementsAre("face_detection", "yolov8"));
  EXPECT_THAT(report.tool_names(), ElementsAre("insightface", "yolo\\xFF"));
  EXPECT_EQ(report.face_count(), 2);
  EXPECT_EQ(report.object_count(), 3);
  EXPECT_EQ(report.detection_count(), 9);
  EXPECT_EQ(report.layout(), v1::DOCUMENT_LAYOUT_MERGED);
}

TEST(FillFileReport, AnInvalidOrphan) {
  engine::ValidatedFile file = ValidFile();
  file.image_path.reset();
  auto inspection = std::make_shared<engine::SidecarInspection>(*file.inspection);
  inspection->format = engine::SidecarFormat::kJson;
  inspection->facts.layout = engine::DocumentLayout::kLegacyScript;
  inspection->facts.problems = {"face_detection.success: not a boolean", "bad \xC0 byte"};
  file.inspection = inspection;
  v1::FileReport report;
  FillFileReport(file, report);
  EXPECT_TRUE(report.orphan());
  EXPECT_FALSE(report.has_image());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_EQ(report.error(), "face_detection.success: not a boolean");
  EXPECT_THAT(report.problems(),
              ElementsAre("face_detection.success: not a boolean", "bad \\xC0 byte"));
  EXPECT_EQ(report.layout(), v1::DOCUMENT_LAYOUT_LEGACY_SCRIPT);
}

TEST(FillFileReport, AFileThatDoesNotDecode) {
  auto inspection = std::make_shared<engine::SidecarInspection>();
  inspection->format = engine::SidecarFormat::kRkyv;
  inspection->error = "cannot open: Permission denied";
  v1::FileReport report;
  FillFileReport(engine::ValidatedFile{"/p/a.rkyv", std::nullopt, inspection, {}, 0}, report);
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.format(), v1::SIDECAR_FORMAT_RKYV);
  EXPECT_EQ(report.error(), "cannot open: Permission denied");
  EXPECT_EQ(report.layout(), v1::DOCUMENT_LAYOUT_UNSPECIFIED);
  EXPECT_THAT(report.warnings(), ElementsAre());
}

TEST(FillValidateSummary, CountsMapsAndAtMostAHundredDirectoryErrors) {
  engine::ValidateSummary summary;
  summary.root = "/p\xFF";
  summary.total_files = 10;
  summary.valid_files = 7;
  summary.invalid_files = 3;
  summary.by_format = {{"bin", 6}, {"json", 4}};
  summary.by_operation = {{"face_detection", 5}, {"op\xFF", 1}};
  summary.foreign_files = 2;
  summary.filtered_out = 1;
  summary.orphans = 4;
  summary.duration_seconds = 1.25;
  summary.filter_applied = "face_detection";
  summary.working_files = 3;
  summary.stray_working_files = 1;
  for (int i = 0; i < 150; ++i) {
    summary.directory_errors.push_back({"/p/d" + std::to_string(i), "Permission denied"});
  }
  v1::ValidateSummary out;
  FillValidateSummary(summary, out);
  EXPECT_EQ(out.root(), "/p\\xFF");
  EXPECT_EQ(out.total_files(), 10);
  EXPECT_EQ(out.valid_files(), 7);
  EXPECT_EQ(out.invalid_files(), 3);
  EXPECT_THAT(Sorted(out.by_format()), ElementsAre(Pair("bin", 6), Pair("json", 4)));
  EXPECT_THAT(Sorted(out.by_operation()),
              ElementsAre(Pair("face_detection", 5), Pair("op\\xFF", 1)));
  EXPECT_EQ(out.foreign_files(), 2);
  EXPECT_EQ(out.filtered_out(), 1);
  EXPECT_EQ(out.orphans(), 4);
  EXPECT_EQ(out.duration_seconds(), 1.25);
  EXPECT_EQ(out.filter_applied(), "face_detection");
  EXPECT_EQ(out.working_files(), 3);
  EXPECT_EQ(out.stray_working_files(), 1);
  // All are counted; the first hundred are listed.
  EXPECT_EQ(out.unreadable_directories(), 150);
  ASSERT_EQ(out.directory_errors_size(), 100);
  EXPECT_EQ(out.directory_errors(0), "/p/d0: Permission denied");
  EXPECT_EQ(out.directory_errors(99), "/p/d99: Permission denied");
}

TEST(FillStats, EveryFigure) {
  engine::TreeStats stats;
  stats.directory = "/photos";
  stats.total_images = 100;
  stats.symlink_count = 3;
  stats.broken_symlinks = 1;
  stats.total_sidecars = 80;
  stats.coverage_percentage = 80.0;
  stats.operation_counts = {{"face_detection", 70}, {"yolov8", 40}};
  stats.avg_processing_times = {{"face_detection", 1.5}};
  stats.success_rate_percentages = {{"face_detection", 97.5}};
  stats.avg_data_sizes = {{"yolov8", 512.0}};
  stats.filter_applied = "";
  stats.files_by_format = {{"bin", 60}, {"json", 25}};
  stats.total_sidecar_files = 85;
  stats.invalid_sidecars = 2;
  stats.orphaned_sidecars = 5;
  stats.foreign_files = 7;
  stats.faces_found = 140;
  stats.objects_found = 90;
  stats.object_classes = {{"person", 60}, {"sports ball", 30}};
  stats.images_without_sidecars = 20;
  stats.unreadable_directories = 1;
  stats.symlinks_outside_roots = 2;
  stats.directory_symlinks_skipped = 4;
  stats.working_files = 6;
  stats.stray_working_files = 2;
  stats.duration_seconds = 0.5;
  v1::StatsResponse out;
  FillStats(stats, out);
  EXPECT_EQ(out.directory(), "/photos");
  EXPECT_EQ(out.total_images(), 100);
  EXPECT_EQ(out.symlink_count(), 3);
  EXPECT_EQ(out.broken_symlinks(), 1);
  EXPECT_EQ(out.total_sidecars(), 80);
  EXPECT_EQ(out.coverage_percentage(), 80.0);
  EXPECT_THAT(Sorted(out.operation_counts()),
              ElementsAre(Pair("face_detection", 70), Pair("yolov8", 40)));
  EXPECT_THAT(Sorted(out.avg_processing_times()), ElementsAre(Pair("face_detection", 1.5)));
  EXPECT_THAT(Sorted(out.success_rate_percentages()), ElementsAre(Pair("face_detection", 97.5)));
  EXPECT_THAT(Sorted(out.avg_data_sizes()), ElementsAre(Pair("yolov8", 512.0)));
  EXPECT_EQ(out.filter_applied(), "");
  EXPECT_THAT(Sorted(out.files_by_format()), ElementsAre(Pair("bin", 60), Pair("json", 25)));
  EXPECT_EQ(out.total_sidecar_files(), 85);
  EXPECT_EQ(out.invalid_sidecars(), 2);
  EXPECT_EQ(out.orphaned_sidecars(), 5);
  EXPECT_EQ(out.foreign_files(), 7);
  EXPECT_EQ(out.faces_found(), 140);
  EXPECT_EQ(out.objects_found(), 90);
  EXPECT_THAT(Sorted(out.object_classes()),
              UnorderedElementsAre(Pair("person", 60), Pair("sports ball", 30)));
  EXPECT_EQ(out.images_without_sidecars(), 20);
  EXPECT_EQ(out.unreadable_directories(), 1);
  EXPECT_EQ(out.symlinks_outside_roots(), 2);
  EXPECT_EQ(out.directory_symlinks_skipped(), 4);
  EXPECT_EQ(out.working_files(), 6);
  EXPECT_EQ(out.stray_working_files(), 2);
  EXPECT_EQ(out.duration_seconds(), 0.5);
}

TEST(FillCleanupResult, PathsActionAndError) {
  engine::CleanupResult result;
  result.path = kRawName;
  result.action = engine::CleanupAction::kQuarantined;
  result.destination = "/p/.quarantine/Pokal\xE4nderung.bin";
  result.error = "";
  result.size_bytes = 42;
  result.working_file = true;
  v1::CleanupResult out;
  FillCleanupResult(result, out);
  EXPECT_EQ(out.file().path(), kShownName);
  EXPECT_EQ(out.file().raw_path(), kRawName);
  EXPECT_EQ(out.action(), v1::CLEANUP_ACTION_QUARANTINED);
  EXPECT_EQ(out.destination().raw_path(), "/p/.quarantine/Pokal\xE4nderung.bin");
  EXPECT_EQ(out.destination().path(), "/p/.quarantine/Pokal\\xE4nderung.bin");
  EXPECT_EQ(out.size_bytes(), 42);
  EXPECT_TRUE(out.working_file());

  result.destination.clear();
  result.action = engine::CleanupAction::kFailed;
  result.error = "unlink: Permission denied";
  v1::CleanupResult failed;
  FillCleanupResult(result, failed);
  EXPECT_FALSE(failed.has_destination());
  EXPECT_EQ(failed.action(), v1::CLEANUP_ACTION_FAILED);
  EXPECT_EQ(failed.error(), "unlink: Permission denied");
}

TEST(FillCleanupResult, EveryActionHasItsOwnValue) {
  const std::pair<engine::CleanupAction, v1::CleanupAction> kActions[] = {
      {engine::CleanupAction::kWouldRemove, v1::CLEANUP_ACTION_WOULD_REMOVE},
      {engine::CleanupAction::kDeleted, v1::CLEANUP_ACTION_DELETED},
      {engine::CleanupAction::kQuarantined, v1::CLEANUP_ACTION_QUARANTINED},
      {engine::CleanupAction::kSkippedTooRecent, v1::CLEANUP_ACTION_SKIPPED_TOO_RECENT},
      {engine::CleanupAction::kFailed, v1::CLEANUP_ACTION_FAILED},
      {engine::CleanupAction::kSkippedChanged, v1::CLEANUP_ACTION_SKIPPED_CHANGED},
      {engine::CleanupAction::kWouldRestore, v1::CLEANUP_ACTION_WOULD_RESTORE},
      {engine::CleanupAction::kRestored, v1::CLEANUP_ACTION_RESTORED},
      {engine::CleanupAction::kWouldKeepAsConflict, v1::CLEANUP_ACTION_WOULD_KEEP_AS_CONFLICT},
      {engine::CleanupAction::kKeptAsConflict, v1::CLEANUP_ACTION_KEPT_AS_CONFLICT},
  };
  for (const auto& [action, expected] : kActions) {
    engine::CleanupResult result;
    result.path = "/p/a.bin";
    result.action = action;
    v1::CleanupResult out;
    FillCleanupResult(result, out);
    EXPECT_EQ(out.action(), expected) << v1::CleanupAction_Name(expected);
  }
}

TEST(FillCleanupSummary, EveryFigureAndTheMode) {
  engine::CleanupSummary summary;
  summary.root = "/p";
  summary.mode = engine::CleanupMode::kQuarantine;
  summary.orphans_found = 9;
  summary.removed = 6;
  summary.skipped = 1;
  summary.foreign_files = 3;
  summary.failed = 1;
  summary.bytes = 4096;
  summary.quarantine_dir = "/p/.sidecar-quarantine/2025";
  summary.sidecars_examined = 50;
  summary.unreadable_directories = 2;
  summary.duration_seconds = 0.75;
  summary.working_files = 5;
  summary.stray_working_files = 4;
  summary.working_files_removed = 1;
  summary.working_files_restored = 2;
  summary.working_files_kept_as_conflict = 1;
  v1::CleanupSummary out;
  FillCleanupSummary(summary, out);
  EXPECT_EQ(out.root(), "/p");
  EXPECT_EQ(out.mode(), v1::CLEANUP_MODE_QUARANTINE);
  EXPECT_EQ(out.orphans_found(), 9);
  EXPECT_EQ(out.removed(), 6);
  EXPECT_EQ(out.skipped(), 1);
  EXPECT_EQ(out.foreign_files(), 3);
  EXPECT_EQ(out.kept_unreadable(), 0);  // no longer sent
  EXPECT_EQ(out.failed(), 1);
  EXPECT_EQ(out.bytes(), 4096);
  EXPECT_EQ(out.quarantine_dir(), "/p/.sidecar-quarantine/2025");
  EXPECT_EQ(out.sidecars_examined(), 50);
  EXPECT_EQ(out.unreadable_directories(), 2);
  EXPECT_EQ(out.duration_seconds(), 0.75);
  EXPECT_EQ(out.working_files(), 5);
  EXPECT_EQ(out.stray_working_files(), 4);
  EXPECT_EQ(out.working_files_removed(), 1);
  EXPECT_EQ(out.working_files_restored(), 2);
  EXPECT_EQ(out.working_files_kept_as_conflict(), 1);

  summary.mode = engine::CleanupMode::kDryRun;
  FillCleanupSummary(summary, out);
  EXPECT_EQ(out.mode(), v1::CLEANUP_MODE_DRY_RUN);
  summary.mode = engine::CleanupMode::kDelete;
  FillCleanupSummary(summary, out);
  EXPECT_EQ(out.mode(), v1::CLEANUP_MODE_DELETE);
}

TEST(FillCacheFigures, EveryFigure) {
  engine::CacheFigures figures;
  figures.enabled = true;
  figures.entries = 1;
  figures.bytes = 2;
  figures.max_bytes = 3;
  figures.hits = 4;
  figures.misses = 5;
  figures.evictions = 6;
  figures.directories = 7;
  figures.watches = 8;
  figures.directory_tallies = 9;
  figures.directory_tally_hits = 10;
  v1::CacheFigures out;
  FillCacheFigures(figures, out);
  EXPECT_TRUE(out.enabled());
  EXPECT_EQ(out.entries(), 1);
  EXPECT_EQ(out.bytes(), 2);
  EXPECT_EQ(out.max_bytes(), 3);
  EXPECT_EQ(out.hits(), 4);
  EXPECT_EQ(out.misses(), 5);
  EXPECT_EQ(out.evictions(), 6);
  EXPECT_EQ(out.directories(), 7);
  EXPECT_EQ(out.watches(), 8);
  EXPECT_EQ(out.directory_tallies(), 9);
  EXPECT_EQ(out.directory_tally_hits(), 10);
}

TEST(FillSweepFigures, EveryFigure) {
  engine::SweepFigures figures;
  figures.started = true;
  figures.finished = false;
  figures.dry_run = true;
  figures.directories = 1;
  figures.working_files = 2;
  figures.strays = 3;
  figures.removed = 4;
  figures.restored = 5;
  figures.kept_as_conflict = 6;
  figures.failed = 7;
  figures.unreadable_directories = 8;
  figures.duration_seconds = 9.5;
  v1::StartupSweepFigures out;
  FillSweepFigures(figures, out);
  EXPECT_TRUE(out.started());
  EXPECT_FALSE(out.finished());
  EXPECT_TRUE(out.dry_run());
  EXPECT_EQ(out.directories(), 1);
  EXPECT_EQ(out.working_files(), 2);
  EXPECT_EQ(out.strays(), 3);
  EXPECT_EQ(out.removed(), 4);
  EXPECT_EQ(out.restored(), 5);
  EXPECT_EQ(out.kept_as_conflict(), 6);
  EXPECT_EQ(out.failed(), 7);
  EXPECT_EQ(out.unreadable_directories(), 8);
  EXPECT_EQ(out.duration_seconds(), 9.5);
}

TEST(SidecarFormat, ToProtoAndBack) {
  for (const auto format :
       {engine::SidecarFormat::kBin, engine::SidecarFormat::kRkyv, engine::SidecarFormat::kJson}) {
    EXPECT_EQ(FromProto(ToProto(format)), format);
  }
  EXPECT_EQ(ToProto(engine::SidecarFormat::kRkyv), v1::SIDECAR_FORMAT_RKYV);
  EXPECT_EQ(FromProto(v1::SIDECAR_FORMAT_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(FromProto(static_cast<v1::SidecarFormat>(77)), std::nullopt);
}

TEST(CleanupMode, FromProtoDefaultsToADryRun) {
  EXPECT_EQ(FromProto(v1::CLEANUP_MODE_DELETE), engine::CleanupMode::kDelete);
  EXPECT_EQ(FromProto(v1::CLEANUP_MODE_QUARANTINE), engine::CleanupMode::kQuarantine);
  EXPECT_EQ(FromProto(v1::CLEANUP_MODE_DRY_RUN), engine::CleanupMode::kDryRun);
  EXPECT_EQ(FromProto(v1::CLEANUP_MODE_UNSPECIFIED), engine::CleanupMode::kDryRun);
}

}  // namespace
}  // namespace sidecard::service
