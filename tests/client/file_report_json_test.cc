// AppendFileReportJson (client/cpp/file_report_json.h) writes exactly what
// the reflective writer (proto_json.h) writes for the same FileReport:
// every field set and unset, text that needs escaping, enum numbers the
// descriptor does not know, extreme integers.
#include "client/cpp/file_report_json.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "client/cpp/proto_json.h"
#include "gtest/gtest.h"

namespace sidecard {
namespace {

using sidecar::v1::FileReport;

std::string Reflective(const FileReport& report) {
  return MessageToJson(report, JsonLayout::kCompact);
}

std::string FieldByField(const FileReport& report) {
  std::string out;
  AppendFileReportJson(report, out);
  return out;
}

TEST(FileReportJsonTest, TheWriterKnowsEveryField) {
  // A field added to FileReport must be added to the writer too.
  EXPECT_EQ(FileReport::descriptor()->field_count(), 15);
}

TEST(FileReportJsonTest, AnEmptyReportPrintsEveryKey) {
  const FileReport empty;
  EXPECT_EQ(FieldByField(empty), Reflective(empty));
  EXPECT_EQ(
      FieldByField(empty),
      R"({"file":null,"format":"unspecified","valid":false,"error":"","problems":[],)"
      R"("warnings":[],"size_bytes":0,"operations":[],"detection_count":0,"tool_names":[],)"
      R"("image":null,"orphan":false,"layout":"unspecified","face_count":0,"object_count":0})");
}

TEST(FileReportJsonTest, AFullReportWithTextToEscape) {
  FileReport report;
  report.mutable_file()->set_path("/photos/2025/g\"1\"/IMG_\\1\t.bin");
  report.mutable_file()->set_raw_path("/photos/2025/g\"1\"/IMG_\\1\t.bin");
  report.set_format(sidecar::v1::SIDECAR_FORMAT_RKYV);
  report.set_valid(true);
  report.set_error("byte 12: \x01 unexpected\n");
  report.add_problems("face_detection: \"faces\" is not an array");
  report.add_problems("é ü 日本");
  report.add_warnings("unknown key \x7f");
  report.set_size_bytes(std::numeric_limits<int64_t>::max());
  report.add_operations("face_detection");
  report.add_operations("yolov8");
  report.set_detection_count(std::numeric_limits<int64_t>::min());
  report.add_tool_names("insightface");
  report.mutable_image()->set_path("/photos/2025/IMG_1.jpg");
  report.set_orphan(true);
  report.set_layout(sidecar::v1::DOCUMENT_LAYOUT_LEGACY_SCRIPT);
  report.set_face_count(-3);
  report.set_object_count(7);
  EXPECT_EQ(FieldByField(report), Reflective(report));

  report.mutable_image()->Clear();  // set but empty: an object, not null
  EXPECT_EQ(FieldByField(report), Reflective(report));
}

TEST(FileReportJsonTest, EnumNumbersTheDescriptorDoesNotKnowPrintAsNumbers) {
  FileReport report;
  // As a newer daemon could send them; proto3 keeps unknown enum values.
  report.set_format(static_cast<sidecar::v1::SidecarFormat>(42));
  report.set_layout(static_cast<sidecar::v1::DocumentLayout>(-7));
  EXPECT_EQ(FieldByField(report), Reflective(report));
  EXPECT_NE(FieldByField(report).find("\"format\":42"), std::string::npos);
  EXPECT_NE(FieldByField(report).find("\"layout\":-7"), std::string::npos);
}

TEST(FileReportJsonTest, RandomReportsPrintTheSame) {
  std::mt19937_64 random(20261205);
  const auto text = [&random] {
    std::string out(random() % 12, ' ');
    for (char& c : out) c = static_cast<char>(random() % 128);  // controls, quotes, DEL
    return out;
  };
  for (int round = 0; round < 2000; ++round) {
    FileReport report;
    if (random() % 3 != 0) report.mutable_file()->set_path(text());
    report.set_format(static_cast<sidecar::v1::SidecarFormat>(random() % 6));
    report.set_valid(random() % 2 == 0);
    report.set_error(text());
    for (int i = static_cast<int>(random() % 3); i > 0; --i) report.add_problems(text());
    for (int i = static_cast<int>(random() % 3); i > 0; --i) report.add_warnings(text());
    report.set_size_bytes(static_cast<int64_t>(random()));
    for (int i = static_cast<int>(random() % 3); i > 0; --i) report.add_operations(text());
    report.set_detection_count(static_cast<int64_t>(random() % 1000));
    for (int i = static_cast<int>(random() % 3); i > 0; --i) report.add_tool_names(text());
    if (random() % 2 == 0) report.mutable_image()->set_path(text());
    report.set_orphan(random() % 2 == 0);
    report.set_layout(static_cast<sidecar::v1::DocumentLayout>(random() % 6));
    report.set_face_count(static_cast<int64_t>(random() % 50));
    report.set_object_count(static_cast<int64_t>(random()) >> (random() % 64));
    ASSERT_EQ(FieldByField(report), Reflective(report)) << report.ShortDebugString();
  }
}

}  // namespace
}  // namespace sidecard
