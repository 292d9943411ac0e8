#include "server/engine/cache/packed_record.h"

#include <gtest/gtest.h>

#include <sstream>

namespace sidecard::engine {
namespace {

// Every field of an inspection, as text.
std::string Describe(const SidecarInspection& inspection) {
  std::ostringstream out;
  const DocumentFacts& facts = inspection.facts;
  out << FormatName(inspection.format) << " decoded=" << inspection.decoded
      << " error=" << inspection.error << " size=" << inspection.stamp.size
      << " ino=" << inspection.stamp.inode << " layout=" << static_cast<int>(facts.layout)
      << " info=" << facts.has_sidecar_info;
  const auto list = [&out](std::string_view label, const std::vector<std::string>& items) {
    out << " " << label << "=[";
    for (const std::string& item : items) out << item << "|";
    out << "]";
  };
  list("decode_warnings", inspection.decode_warnings);
  list("operations", facts.operations);
  list("problems", facts.problems);
  list("warnings", facts.warnings);
  list("tools", facts.tool_names);
  for (const PayloadFacts& payload : facts.payloads) {
    out << " payload(" << payload.operation << "," << payload.backend << ","
        << (payload.success ? (*payload.success ? "true" : "false") : "unset") << ","
        << payload.faces << "," << payload.objects << "," << payload.other_detections << ",";
    if (payload.processing_time_seconds) {
      out.precision(17);
      out << *payload.processing_time_seconds;
    } else {
      out << "no time";
    }
    for (const auto& [name, count] : payload.object_classes) out << "," << name << "=" << count;
    out << ")";
  }
  return out.str();
}

SidecarInspection RoundTrip(const SidecarInspection& inspection, NameTable& names) {
  return UnpackInspection(PackInspection(inspection, names), inspection.stamp, names);
}

TEST(PackedInspectionTest, UndecodedFileKeepsItsError) {
  NameTable names;
  SidecarInspection inspection;
  inspection.format = SidecarFormat::kRkyv;
  inspection.stamp = FileStamp{1, 2, 3, 4, 5};
  inspection.error =
      "invalid JSON at byte offset 40: missing a comma or '}' after an object member";
  EXPECT_EQ(Describe(RoundTrip(inspection, names)), Describe(inspection));
}

TEST(PackedInspectionTest, EveryFactSurvives) {
  NameTable names;
  SidecarInspection inspection;
  inspection.format = SidecarFormat::kBin;
  inspection.stamp = FileStamp{7, 8, 18000, 1'700'000'000'123'456'789, 1'700'000'001'000'000'000};
  inspection.decoded = true;
  inspection.decode_warnings = {"12 trailing bytes after the 63-byte body"};
  DocumentFacts& facts = inspection.facts;
  facts.layout = DocumentLayout::kLegacyScript;
  facts.has_sidecar_info = true;
  facts.operations = {"face_detection", "object_detection", std::string(100, 'o')};
  facts.problems = {"face_detection.success is a string, expected a boolean"};
  facts.warnings = {"unknown top-level key 'x' kept", ""};
  facts.tool_names = {"buffalo_l", "insightface", "/models/" + std::string(80, 'm') + ".pt"};
  PayloadFacts face{"face_detection", "insightface", true, 4, 0, 0, 1.9259524679780196, {}};
  PayloadFacts objects{"object_detection",
                       "",
                       false,
                       0,
                       9,
                       2,
                       std::nullopt,
                       {{"person", 7}, {"sports ball", 1}, {std::string(70, 'c'), 1}}};
  PayloadFacts odd{"x", "y", std::nullopt, INT64_MAX, -1, INT64_MIN, -0.0, {}};
  facts.payloads = {face, objects, odd};
  EXPECT_EQ(Describe(RoundTrip(inspection, names)), Describe(inspection));
  // Again, now that the names are numbered.
  EXPECT_EQ(Describe(RoundTrip(inspection, names)), Describe(inspection));
}

TEST(PackedInspectionTest, NameTableIsBounded) {
  NameTable names;
  SidecarInspection inspection;
  inspection.decoded = true;
  inspection.facts.layout = DocumentLayout::kMerged;
  size_t largest = 0;
  for (size_t i = 0; i < NameTable::kMaxNames + 100; ++i) {
    inspection.facts.warnings = {"unknown top-level key '" + std::to_string(i) + "' kept"};
    const std::string packed = PackInspection(inspection, names);
    EXPECT_EQ(Describe(UnpackInspection(packed, inspection.stamp, names)), Describe(inspection));
    largest = std::max(largest, packed.size());
  }
  EXPECT_FALSE(names.Find("a name never seen").has_value());
  // Past the bound, names are stored in full.
  EXPECT_GT(largest, 30u);
  std::printf("name table: %zu bytes for %zu names\n", names.bytes(), NameTable::kMaxNames);
}

}  // namespace
}  // namespace sidecard::engine
