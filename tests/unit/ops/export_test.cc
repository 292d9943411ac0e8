#include "server/engine/ops/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "server/engine/formats/json_text.h"
#include "unit/engine_harness.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Splits RFC 4180 text (CRLF rows, quoted fields with doubled quotes).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field.push_back(c);
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::exchange(field, {}));
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(std::exchange(field, {}));
      rows.push_back(std::exchange(row, {}));
      ++i;
    } else {
      field.push_back(c);
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "last row not terminated";
  return rows;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string_view::npos; start = end + 1) {
    lines.emplace_back(text.substr(start, end - start));
  }
  EXPECT_EQ(start, text.size()) << "text does not end with a newline";
  return lines;
}

std::string Canonical(std::string_view json) {
  auto document = ParseJson(json);
  EXPECT_TRUE(document.ok()) << document.status();
  return document.ok() ? CanonicalJson(*document) : std::string();
}

std::string String(const rapidjson::Value& value) {
  return value.IsString() ? std::string(value.GetString(), value.GetStringLength()) : "<not text>";
}

class ExportTest : public EngineHarness {
 protected:
  struct ExportRun {
    std::string text;
    ExportSummary summary;
    std::vector<size_t> chunk_sizes;
  };

  ExportRun Export(const ExportOptions& options) {
    ExportRun run;
    auto summary =
        ExportTree(tree_.root(), options, Context(), Cancellation(), [&](std::string_view chunk) {
          EXPECT_LE(chunk.size(), kExportChunkBytes);
          EXPECT_FALSE(chunk.empty());
          run.text.append(chunk);
          run.chunk_sizes.push_back(chunk.size());
          return true;
        });
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (summary.ok()) run.summary = *summary;
    return run;
  }

  ExportOptions Options(ExportFormat format, ExportContent content) {
    ExportOptions options;
    options.format = format;
    options.content = content;
    return options;
  }

  // a: .bin + .json merged; b: .json; orphan; sub/c: .bin; foreign files.
  void WriteLibrary() {
    tree_.WriteFile("a.jpg", "");
    tree_.WriteBin("a.bin", kABin);
    tree_.WriteFile("a.json", kAJson);
    tree_.WriteFile("b.JPG", "");
    tree_.WriteFile("b.json", R"({"yolov8": {"yolov8": {"success": true, "objects": [{}, {}]}}})");
    tree_.WriteFile("orphan.json", R"({"sidecar_info": {"operation_type": "face_detection"}})");
    tree_.WriteFile("package.json", R"({"name": "x"})");
    tree_.WriteFile("config.json", R"({"a": 1})");
    tree_.WriteFile("sub/c.jpg", "");
    tree_.WriteBin("sub/c.bin", R"({"face_detection":{"success":true,"faces":[{},{}]}})");
  }

  static constexpr const char* kABin =
      R"({"face_detection":{"insightface":{"faces":[{}],"success":true}}})";
  static constexpr const char* kAJson =
      R"({"ball_detection": {"success": false, "detections": [{}]},
          "face_detection": {"old": {"success": false}}})";
  static constexpr const char* kAMerged =
      R"({"ball_detection":{"detections":[{}],"success":false},)"
      R"("face_detection":{"insightface":{"faces":[{}],"success":true},"old":{"success":false}}})";
};

TEST_F(ExportTest, JsonIsOneArrayOfMergedDocumentsInGroupOrder) {
  WriteLibrary();
  const ExportRun run = Export(ExportOptions{});
  EXPECT_EQ(run.summary.exported, 4);
  EXPECT_EQ(run.summary.unreadable, 0);
  EXPECT_EQ(run.summary.output_bytes, static_cast<int64_t>(run.text.size()));
  EXPECT_EQ(run.summary.root, tree_.root());
  // "[\n" + items joined by ",\n" + "\n]\n".
  const std::vector<std::string> lines = Lines(run.text);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines.front(), "[");
  EXPECT_EQ(lines.back(), "]");
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(lines[i].back(), ',');

  rapidjson::Document array;
  array.Parse(run.text.data(), run.text.size());
  ASSERT_FALSE(array.HasParseError());
  ASSERT_TRUE(array.IsArray());
  ASSERT_EQ(array.Size(), 4u);

  const rapidjson::Value& a = array[0];
  EXPECT_EQ(String(a["image"]), tree_.Path("a.jpg"));
  EXPECT_EQ(String(a["sidecar"]), tree_.Path("a.bin"));
  EXPECT_EQ(String(a["format"]), "bin");
  ASSERT_EQ(a["files"].Size(), 2u);
  EXPECT_EQ(String(a["files"][0]), tree_.Path("a.bin"));
  EXPECT_EQ(String(a["files"][1]), tree_.Path("a.json"));
  EXPECT_EQ(a["unreadable"].Size(), 0u);
  EXPECT_EQ(CanonicalJson(a["document"]), Canonical(kAMerged));

  const rapidjson::Value& b = array[1];
  EXPECT_EQ(String(b["image"]), tree_.Path("b.JPG"));
  EXPECT_EQ(String(b["format"]), "json");
  EXPECT_EQ(CanonicalJson(b["document"]),
            R"({"yolov8":{"yolov8":{"objects":[{},{}],"success":true}}})");

  const rapidjson::Value& orphan = array[2];
  EXPECT_TRUE(orphan["image"].IsNull());
  EXPECT_EQ(String(orphan["sidecar"]), tree_.Path("orphan.json"));

  // A directory's own images come before its subdirectories'.
  EXPECT_EQ(String(array[3]["image"]), tree_.Path("sub/c.jpg"));
  EXPECT_EQ(String(array[3]["sidecar"]), tree_.Path("sub/c.bin"));
}

TEST_F(ExportTest, EachItemIsCanonicalJsonWithTheDocumentedKeys) {
  tree_.WriteFile("x.jpg", "");
  tree_.WriteBin("x.bin", R"({"yolov8":{"success":true}})");
  const ExportRun run = Export(ExportOptions{});
  EXPECT_EQ(run.text, "[\n{\"document\":{\"yolov8\":{\"success\":true}},\"files\":[\"" +
                          tree_.Path("x.bin") + "\"],\"format\":\"bin\",\"image\":\"" +
                          tree_.Path("x.jpg") + "\",\"sidecar\":\"" + tree_.Path("x.bin") +
                          "\",\"unreadable\":[]}\n]\n");
}

TEST_F(ExportTest, EmptyTreeIsAnEmptyArray) {
  tree_.WriteFile("package.json", "{}");
  EXPECT_EQ(Export(ExportOptions{}).text, "[\n]\n");
  EXPECT_EQ(Export(Options(ExportFormat::kJsonLines, ExportContent::kDocuments)).text, "");
  EXPECT_EQ(Export(Options(ExportFormat::kCsv, ExportContent::kTable)).text,
            "image,sidecar,format,valid,operations,faces,objects,detections,success\r\n");
}

TEST_F(ExportTest, JsonLinesHasOneDocumentPerLine) {
  WriteLibrary();
  const ExportRun run = Export(Options(ExportFormat::kJsonLines, ExportContent::kDocuments));
  const std::vector<std::string> lines = Lines(run.text);
  ASSERT_EQ(lines.size(), 4u);
  std::vector<std::string> sidecars;
  for (const std::string& line : lines) {
    rapidjson::Document item;
    item.Parse(line.data(), line.size());
    ASSERT_FALSE(item.HasParseError()) << line;
    sidecars.push_back(String(item["sidecar"]));
  }
  EXPECT_THAT(sidecars, ElementsAre(tree_.Path("a.bin"), tree_.Path("b.json"),
                                    tree_.Path("orphan.json"), tree_.Path("sub/c.bin")));
  EXPECT_EQ(run.summary.exported, 4);
}

TEST_F(ExportTest, CsvIsTheTableWithAHeaderRow) {
  WriteLibrary();
  const ExportRun run = Export(Options(ExportFormat::kCsv, ExportContent::kTable));
  const auto rows = ParseCsv(run.text);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_THAT(rows[0], ElementsAre("image", "sidecar", "format", "valid", "operations", "faces",
                                   "objects", "detections", "success"));
  EXPECT_THAT(rows[1], ElementsAre(tree_.Path("a.jpg"), tree_.Path("a.bin"), "bin", "true",
                                   "ball_detection;face_detection", "1", "0", "2",
                                   "ball_detection=false;face_detection=false"));
  EXPECT_THAT(rows[2], ElementsAre(tree_.Path("b.JPG"), tree_.Path("b.json"), "json", "true",
                                   "yolov8", "0", "2", "2", "yolov8=true"));
  EXPECT_THAT(rows[3],
              ElementsAre("", tree_.Path("orphan.json"), "json", "true", "", "0", "0", "0", ""));
  EXPECT_THAT(rows[4], ElementsAre(tree_.Path("sub/c.jpg"), tree_.Path("sub/c.bin"), "bin", "true",
                                   "face_detection", "2", "0", "2", "face_detection=true"));
  EXPECT_EQ(run.summary.exported, 4);
}

TEST_F(ExportTest, CsvQuotesFieldsWithCommasAndQuotes) {
  tree_.WriteFile("we,ird \"dir\"/x.jpg", "");
  tree_.WriteFile("we,ird \"dir\"/x.json", R"({"yolov8": {"success": true}})");
  const ExportRun run = Export(Options(ExportFormat::kCsv, ExportContent::kTable));
  EXPECT_THAT(run.text, HasSubstr("\"" + tree_.root() + "/we,ird \"\"dir\"\"/x.jpg\","));
  const auto rows = ParseCsv(run.text);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[1].size(), 9u);
  EXPECT_EQ(rows[1][0], tree_.Path("we,ird \"dir\"/x.jpg"));
  EXPECT_EQ(rows[1][1], tree_.Path("we,ird \"dir\"/x.json"));
}

TEST_F(ExportTest, TableAsJsonLinesHasTypedFlatRows) {
  WriteLibrary();
  const ExportRun run = Export(Options(ExportFormat::kJsonLines, ExportContent::kTable));
  const std::vector<std::string> lines = Lines(run.text);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2],
            "{\"detections\":0,\"faces\":0,\"format\":\"json\",\"image\":null,"
            "\"objects\":0,\"operations\":[],\"sidecar\":\"" +
                tree_.Path("orphan.json") + "\",\"success\":{},\"valid\":true}");
  rapidjson::Document a;
  a.Parse(lines[0].data(), lines[0].size());
  ASSERT_FALSE(a.HasParseError());
  // List-valued columns are real JSON (CSV joins them with ';').
  ASSERT_TRUE(a["operations"].IsArray());
  ASSERT_EQ(a["operations"].Size(), 2u);
  EXPECT_EQ(String(a["operations"][0]), "ball_detection");
  EXPECT_EQ(String(a["operations"][1]), "face_detection");
  ASSERT_TRUE(a["success"].IsObject());
  EXPECT_FALSE(a["success"]["ball_detection"].GetBool());
  EXPECT_FALSE(a["success"]["face_detection"].GetBool());
  EXPECT_EQ(a["faces"].GetInt64(), 1);
  EXPECT_EQ(a["detections"].GetInt64(), 2);
  EXPECT_TRUE(a["valid"].GetBool());
}

TEST_F(ExportTest, OperationFilterKeepsOnlyMatchingImages) {
  WriteLibrary();
  ExportOptions options = Options(ExportFormat::kJsonLines, ExportContent::kDocuments);
  options.operation_filter = "face_detection";
  const ExportRun run = Export(options);
  const std::vector<std::string> lines = Lines(run.text);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"sidecar\":\"" + tree_.Path("a.bin") + "\""));
  EXPECT_THAT(lines[1], HasSubstr("\"sidecar\":\"" + tree_.Path("sub/c.bin") + "\""));
  EXPECT_EQ(run.summary.exported, 2);
  EXPECT_EQ(run.summary.filtered_out, 2);

  options.operation_filter = "ball_detection";  // only in a.json, beside a.bin
  EXPECT_EQ(Export(options).summary.exported, 1);
}

TEST_F(ExportTest, UnreadableFilesAreLeftOutAndCounted) {
  tree_.WriteFile("bad.jpg", "");
  tree_.WriteFile("bad.bin", "xx");  // too short
  tree_.WriteFile("half.jpg", "");
  tree_.WriteBin("half.bin", "{not json");
  tree_.WriteFile("half.json", R"({"yolov8": {"success": true}})");
  tree_.WriteFile("list.jpg", "");
  tree_.WriteFile("list.json", "[1, 2]");  // decodes, but not a document
  tree_.WriteFile("stray.bin", "junk");    // no image, does not decode: not a sidecar
  const ExportRun run = Export(ExportOptions{});
  EXPECT_EQ(run.summary.exported, 1);
  EXPECT_EQ(run.summary.unreadable, 3);  // bad.bin, half.bin, list.json
  rapidjson::Document array;
  array.Parse(run.text.data(), run.text.size());
  ASSERT_FALSE(array.HasParseError());
  ASSERT_EQ(array.Size(), 1u);
  EXPECT_EQ(String(array[0]["sidecar"]), tree_.Path("half.json"));
  ASSERT_EQ(array[0]["files"].Size(), 1u);
  ASSERT_EQ(array[0]["unreadable"].Size(), 1u);
  EXPECT_EQ(String(array[0]["unreadable"][0]), tree_.Path("half.bin"));

  const auto rows = ParseCsv(Export(Options(ExportFormat::kCsv, ExportContent::kTable)).text);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][3], "false");  // valid: not every file of the image is
}

TEST_F(ExportTest, LargeOutputArrivesInBoundedChunks) {
  std::string faces;
  for (int i = 0; i < 4000; ++i) faces += (i ? "," : "") + std::string(R"({"confidence":0.5})");
  for (const char* name : {"a", "b", "c"}) {
    tree_.WriteFile(std::string(name) + ".jpg", "");
    tree_.WriteFile(std::string(name) + ".json",
                    R"({"face_detection": {"success": true, "faces": [)" + faces + "]}}");
  }
  const ExportRun run = Export(ExportOptions{});
  EXPECT_GT(run.text.size(), 3 * kExportChunkBytes);
  // Full chunks, then the rest.
  ASSERT_EQ(run.chunk_sizes.size(), run.text.size() / kExportChunkBytes + 1);
  for (size_t i = 0; i + 1 < run.chunk_sizes.size(); ++i) {
    EXPECT_EQ(run.chunk_sizes[i], kExportChunkBytes);
  }
  rapidjson::Document array;
  array.Parse(run.text.data(), run.text.size());
  ASSERT_FALSE(array.HasParseError());
  EXPECT_EQ(array.Size(), 3u);
  EXPECT_EQ(array[2]["document"]["face_detection"]["faces"].Size(), 4000u);
}

TEST_F(ExportTest, DocumentsCannotBeCsv) {
  auto summary = ExportTree(tree_.root(), Options(ExportFormat::kCsv, ExportContent::kDocuments),
                            Context(), Cancellation(), [](std::string_view) { return true; });
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ExportTest, StoppedSinkCancels) {
  WriteLibrary();
  std::string faces;
  for (int i = 0; i < 5000; ++i) faces += (i ? "," : "") + std::string(R"({"confidence":0.5})");
  tree_.WriteFile("big.jpg", "");
  tree_.WriteFile("big.json", R"({"face_detection": {"success": true, "faces": [)" + faces + "]}}");
  auto summary = ExportTree(tree_.root(), ExportOptions{}, Context(), Cancellation(),
                            [](std::string_view) { return false; });
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace sidecard::engine
