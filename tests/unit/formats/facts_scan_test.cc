// The quick analysis parse (NumberPrecision::kFactsOnly, facts_scan.h) must
// give every text the verdict, the error message and the document facts the
// exact parse gives it. Checked on hand-picked edge cases, on thousands of
// generated sidecar-like documents (compact and indented) and on broken
// variants of them.
#include "server/engine/formats/facts_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "server/engine/documents/document_facts.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/formats/shortest_double.h"

namespace sidecard::engine {
namespace {

std::string FactsText(const DocumentFacts& facts) {
  std::string out = "layout " + std::to_string(static_cast<int>(facts.layout)) + " info " +
                    std::to_string(facts.has_sidecar_info) + "\n";
  for (const auto& operation : facts.operations) out += "op " + operation + "\n";
  for (const PayloadFacts& payload : facts.payloads) {
    char time[64] = "none";
    if (payload.processing_time_seconds) {
      std::snprintf(time, sizeof time, "%.17g", *payload.processing_time_seconds);
    }
    out += "payload " + payload.operation + "/" + payload.backend + " success " +
           (payload.success ? std::to_string(*payload.success) : "unset") + " faces " +
           std::to_string(payload.faces) + " objects " + std::to_string(payload.objects) +
           " other " + std::to_string(payload.other_detections) + " time " + time + "\n";
    for (const auto& [name, count] : payload.object_classes) {
      out += "  class " + name + " " + std::to_string(count) + "\n";
    }
  }
  for (const auto& problem : facts.problems) out += "problem " + problem + "\n";
  for (const auto& warning : facts.warnings) out += "warning " + warning + "\n";
  for (const auto& tool : facts.tool_names) out += "tool " + tool + "\n";
  return out;
}

// The verdict and, for an accepted text, the facts.
std::string Outcome(std::string_view text, NumberPrecision precision) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(text, 8, precision);
  if (!document.ok()) return "error: " + std::string(document.status().message());
  return FactsText(AnalyzeDocument(*document));
}

struct Tally {
  int texts = 0;
  int accepted_by_scan = 0;
  int valid = 0;
};

void ExpectSameOutcome(const std::string& text, Tally& tally) {
  const std::string exact = Outcome(text, NumberPrecision::kExact);
  EXPECT_EQ(Outcome(text, NumberPrecision::kFactsOnly), exact) << "text: " << text;
  rapidjson::Document scanned;
  const bool accepted = ScanForFacts(text, scanned);
  EXPECT_FALSE(accepted && exact.starts_with("error: ")) << "scan accepted: " << text;
  ++tally.texts;
  tally.accepted_by_scan += accepted;
  tally.valid += !exact.starts_with("error: ");
}

void Print(const char* what, const Tally& tally) {
  std::printf("%s: %d texts, %d valid JSON, %d taken by the quick scan (the rest parsed again)\n",
              what, tally.texts, tally.valid, tally.accepted_by_scan);
}

TEST(FactsScanTest, EdgeCasesGetTheExactVerdictAndFacts) {
  const std::string huge_integer = "1" + std::string(400, '0');
  const std::string inputs[] = {
      "0",
      "-0",
      "[-0]",
      R"({"a":-0,"b":[-0,0,-0.0]})",
      "0e400",
      "[0e99999999999]",
      "1e309",
      "[1e309]",
      "[0, 100e307]",
      "[0.001e309]",
      "0.001e309",
      "1.7976931348623157e308",
      "[1.7976931348623159e308]",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "[1e-400, -1e-400, 5e-324]",
      "1e-400",
      "1e-99999999999999999999",
      huge_integer,
      "[" + huge_integer + "]",
      "[1,]",
      "01",
      "[01]",
      "[1.]",
      "-",
      "[-]",
      "[1e]",
      "[1e+]",
      ".5",
      "[+1]",
      R"({"a":1,})",
      "\xEF\xBB\xBF{}",
      "",
      "  ",
      std::string("{}\0", 3),
      std::string("[1,2\0]", 6),
      "\"\xff\"",
      R"("\udc00")",
      R"(["\ud800"])",
      R"({"\udc00":1})",
      R"(["\ud83d\ude00"])",
      R"({"yolov8":{"objects":[{"class_name":"\uD83D\uDE00"}]},"\ud83d\udfff":1})",
      R"(["\ud83d\u0041"])",
      R"(["\ud83d"])",
      R"(["\ud83d\"])",
      R"(["\ud83d\ud83d"])",
      R"(["\ud83d\udc0"])",
      "\"\\ud83d\\udc00",
      "[\"a\x01\"]",
      "[\"a\\x\"]",
      "[\"\\u00e9\\u0000\\u12G4\"]",
      R"({"a\u0000b":"\u0000","yolov8":{"objects":[{"class_name":"\u00e9\u20ac\u0041"}]}})",
      "[\"\xF5\x80\x80\x80\"]",
      "[\"\xEF\xBF\xBF\xF4\x8F\xBF\xBF\xE0\xA0\x80\xC2\x80\"]",
      "[\"\xE0\x9F\xBF\"]",
      "{\"yolov8\":{\"objects\":[{\"class_name\":\"\xC2\"}]}}",
      "[\"\\u00e9\"]",
      "\"\\u",
      std::string(127, '[') + std::string(127, ']'),
      std::string(128, '[') + std::string(128, ']'),
      std::string(200, '{'),
      "[1 2]",
      "nul",
      "nulll",
      "[tru]",
      "[true,false,null,\"x\",{}]",
      "1 2",
      "[1.5]  x",
      "{\"a\" 1}",
      "{\"a\":}",
      "{1:2}",
      "[\"\xC0\x80\"]",
      "[\"\xED\xA0\x80\"]",
      "[\"\xF4\x90\x80\x80\"]",
      "[\"\xF0\x9F\x98\x80\"]",
      "[\"\xE2\x82\"]",
      "\"\xC3\xA9\"",
      R"({"face\u005fdetection":{"success":true,"faces":[1,2]}})",
      R"({"face_detection":{"a":{"success":1,"objects":[{"class\u005fname":"p"},{"class_name":"p\u00e9"},[],3]}}})",
      R"({"sidecar_info":{"operation_type":"Face_detector"},"data":{"faces":[[1e400]]}})",
      R"({"sidecar_info":{"operation_type":"yolov8"},"data":{"objects":[{"class_name":"a","bbox":[1,2]}]},"x":1})",
      R"({"yolov8":{"metadata":{"objects_found":-1,"processing_time":"1"},"objects":null}})",
      R"({"yolov8":{"metadata":{"objects_found":18446744073709551615,"processing_time":1e-400}}})",
      R"({"face_detection":{"faces":{},"metadata":{"faces_found":3.0,"detection_time":-0}}})"};
  Tally tally;
  for (const std::string& input : inputs) ExpectSameOutcome(input, tally);
  Print("edge cases", tally);
}

// Writes random sidecar-like JSON text: real keys and shapes mixed with wrong
// types, odd number spellings, escapes, non-ASCII and duplicate keys.
class DocumentGenerator {
 public:
  explicit DocumentGenerator(uint64_t seed) : state_(seed) {}

  std::string Document(bool pretty) {
    pretty_ = pretty;
    std::string out;
    Object(out, 0, /*top=*/true);
    return out;
  }

  uint64_t Next() {
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    return state_ >> 33;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  void NewLine(std::string& out, int depth) {
    if (!pretty_) return;
    out += '\n';
    out.append(2 * static_cast<size_t>(depth), ' ');
  }

  void Object(std::string& out, int depth, bool top) {
    static const char* const kKeys[] = {"face_detection",
                                        "yolov8",
                                        "object_detection",
                                        "Face_detector",
                                        "Ball_detector",
                                        "sidecar_info",
                                        "data",
                                        "operation_type",
                                        "success",
                                        "faces",
                                        "objects",
                                        "detections",
                                        "metadata",
                                        "class_name",
                                        "faces_found",
                                        "objects_found",
                                        "processing_time",
                                        "detection_time",
                                        "detector",
                                        "model_name",
                                        "model_path",
                                        "error",
                                        "created_at",
                                        "symlink_info",
                                        "insightface",
                                        "encoding",
                                        "bbox",
                                        "x",
                                        "face\\u005fdetection",
                                        "class\\u005Fname",
                                        "caf\\u00e9",
                                        "\xC3\xA9t\xC3\xA9",
                                        "unknown",
                                        ""};
    out += '{';
    const size_t members = top ? 1 + Below(4) : Below(depth > 4 ? 2 : 6);
    for (size_t i = 0; i < members; ++i) {
      if (i > 0) out += ',';
      NewLine(out, depth + 1);
      out += '"';
      out += kKeys[Below(std::size(kKeys))];
      out += pretty_ ? "\": " : "\":";
      Value(out, depth + 1);
    }
    if (members > 0) NewLine(out, depth);
    out += '}';
  }

  void Array(std::string& out, int depth) {
    out += '[';
    const size_t elements = Below(10) == 0 ? 40 + Below(600) : Below(5);
    const bool floats = Below(2) == 0;
    for (size_t i = 0; i < elements; ++i) {
      if (i > 0) out += ',';
      NewLine(out, depth + 1);
      if (floats) {
        Float(out);
      } else {
        Value(out, depth + 1);
      }
    }
    if (elements > 0) NewLine(out, depth);
    out += ']';
  }

  void Float(std::string& out) {
    const double value = (static_cast<double>(Next()) / static_cast<double>(1u << 31) - 0.5) /
                         static_cast<double>(1 + Below(1000));
    AppendShortestDouble(value, out);
  }

  void Value(std::string& out, int depth) {
    static const char* const kNumbers[] = {"0",
                                           "-0",
                                           "1",
                                           "42",
                                           "-7",
                                           "0.5",
                                           "1e2",
                                           "1E+2",
                                           "-1.5e-3",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "-9223372036854775809",
                                           "1e250",
                                           "1e-400",
                                           "0.001e305",
                                           "123456789012345678901234567890",
                                           "0.1234567890123456789",
                                           "1.7976931348623157e308",
                                           "2.5",
                                           "3",
                                           "0.0001",
                                           "1.2e-05"};
    static const char* const kStrings[] = {"person",
                                           "sports ball",
                                           "face_detection",
                                           "yolov8n.pt",
                                           "",
                                           "caf\\u00e9",
                                           "\\u00e9t\\u00e9",
                                           "Zo\xC3\xAB",
                                           "a\\\"b\\\\",
                                           "tab\\t\\n\\/",
                                           "\\ud83d\\ude00",
                                           "\xE6\x97\xA5\xE6\x9C\xAC",
                                           "insightface",
                                           "Face_detector"};
    const size_t kind = depth > 6 ? 4 + Below(5) : Below(10);
    switch (kind) {
      case 0:
      case 1:
      case 2:
        Object(out, depth, false);
        break;
      case 3:
        Array(out, depth);
        break;
      case 4:
      case 5:
        out += '"';
        out += kStrings[Below(std::size(kStrings))];
        out += '"';
        break;
      case 6:
        out += kNumbers[Below(std::size(kNumbers))];
        break;
      case 7:
        Float(out);
        break;
      default:
        static const char* const kLiterals[] = {"true", "false", "null"};
        out += kLiterals[Below(3)];
    }
  }

  uint64_t state_;
  bool pretty_ = false;
};

TEST(FactsScanTest, GeneratedDocumentsGetTheExactFacts) {
  DocumentGenerator generator(20261125);
  Tally tally;
  for (int i = 0; i < 3000; ++i) ExpectSameOutcome(generator.Document(i % 2 == 1), tally);
  Print("generated documents", tally);
  EXPECT_GT(tally.accepted_by_scan, tally.texts / 2);
}

TEST(FactsScanTest, BrokenVariantsGetTheExactVerdictAndMessage) {
  DocumentGenerator generator(7);
  static const char kBytes[] = {'\0', '\x01', '\xff', '\xc3', '\xed', '"', '\\', '}', ']',
                                ',',  ':',    'x',    '9',    'e',    '-', '.',  ' ', '\n'};
  Tally tally;
  for (int i = 0; i < 3000; ++i) {
    std::string text = generator.Document(i % 2 == 1);
    const size_t at = generator.Below(text.size());
    switch (i % 3) {
      case 0:
        text.resize(at);
        break;
      case 1:
        text[at] = kBytes[generator.Below(sizeof kBytes)];
        break;
      default:
        text.insert(text.begin() + static_cast<ptrdiff_t>(at),
                    kBytes[generator.Below(sizeof kBytes)]);
    }
    ExpectSameOutcome(text, tally);
  }
  Print("broken variants", tally);
}

// What the pipeline writes: faces with 512-float encodings, landmarks and
// boxes, objects with classes; compact (.bin) and indented (.json).
TEST(FactsScanTest, PipelineDocumentsGetTheExactFacts) {
  DocumentGenerator random(99);
  Tally tally;
  for (int i = 0; i < 40; ++i) {
    std::string faces;
    const size_t face_count = random.Below(4);
    for (size_t f = 0; f < face_count; ++f) {
      faces += f ? "," : "";
      faces += R"({"face_id":)" + std::to_string(f) +
               R"(,"bbox":{"x":1,"y":2,"width":3,"height":4},"confidence":0.93,)"
               R"("landmarks":[[0.4,0.1],[0.5,0.2]],"encoding":[)";
      for (int k = 0; k < 512; ++k) {
        if (k) faces += ',';
        AppendShortestDouble((static_cast<double>(random.Next()) / 2147483648.0 - 0.5) / 7, faces);
      }
      faces += "]}";
    }
    std::string objects;
    const size_t object_count = random.Below(6);
    for (size_t o = 0; o < object_count; ++o) {
      objects += o ? "," : "";
      objects += R"({"class_name":")" + std::string(o % 2 ? "person" : "sports ball") +
                 R"(","confidence":0.5,"bbox":[1.5,2,3,4]})";
    }
    const std::string json =
        R"({"face_detection":{"insightface":{"success":true,"faces":[)" + faces +
        R"(],"metadata":{"faces_found":)" + std::to_string(face_count) +
        R"(,"processing_time":0.)" + std::to_string(random.Next()) +
        R"(,"detector":"insightface"}}},"yolov8":{"yolov8":{"success":true,"objects":[)" + objects +
        R"(],"metadata":{"objects_found":)" + std::to_string(object_count) +
        R"(,"detection_time":1.25,"model_path":"yolov8n.pt"}}},)"
        R"("sidecar_info":{"operation_type":"yolov8","created_at":"2025-05-03T10:00:00"}})";
    auto document = ParseJson(json);
    ASSERT_TRUE(document.ok()) << document.status();
    ExpectSameOutcome(CanonicalJson(*document), tally);
    ExpectSameOutcome(PrettyJson(*document) + "\n", tally);
  }
  Print("pipeline documents", tally);
  EXPECT_EQ(tally.accepted_by_scan, tally.texts);
}

}  // namespace
}  // namespace sidecard::engine
