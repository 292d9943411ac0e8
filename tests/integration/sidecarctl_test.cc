// sidecarctl as a subprocess against the real daemon: output, JSON and exit codes.
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr double kTolerance = 1e-9;

class SidecarctlTest : public DaemonTest {
 protected:
  void BuildSmallTree() {
    tree_.WriteFile("a.jpg", "jpeg");
    tree_.WriteBin("a.bin", kFaceDoc);
    tree_.WriteFile("b.jpg", "jpeg");
    tree_.WriteFile("b.json", kYoloDoc);
    tree_.WriteBin("gone.bin", kFaceDoc);  // the orphan
    tree_.WriteFile("sub/c.jpg", "jpeg");
    tree_.WriteBin("sub/c.bin", kBothDoc);
    tree_.WriteFile("d.jpg", "jpeg");
    tree_.WriteFile("package.json", R"({"name":"x"})");
    tree_.Symlink("links/a.jpg", "../a.jpg");
    tree_.Symlink("links/x.jpg", "../nope.jpg");
  }

  // Parses `text` as one JSON document; fails the test if it is not.
  static rapidjson::Document ParseJson(const std::string& text) {
    rapidjson::Document document;
    document.Parse(text.c_str(), text.size());
    EXPECT_FALSE(document.HasParseError())
        << "not JSON (error at offset " << document.GetErrorOffset() << "):\n"
        << text;
    return document;
  }

  // Parses each line of `text` (which must end with a newline) as one compact
  // JSON document; fails the test on a line that is not.
  static std::vector<rapidjson::Document> ParseJsonLines(const std::string& text) {
    std::vector<rapidjson::Document> lines;
    EXPECT_TRUE(text.empty() || text.back() == '\n') << text;
    size_t begin = 0;
    for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
      lines.push_back(ParseJson(text.substr(begin, end - begin)));
    }
    return lines;
  }

  static std::vector<std::string> ResultPaths(const rapidjson::Value& document) {
    std::vector<std::string> paths;
    if (!document.IsObject() || !document.HasMember("results")) return paths;
    for (const rapidjson::Value& result : document["results"].GetArray()) {
      paths.emplace_back(result["file"]["path"].GetString());
    }
    return paths;
  }
};

TEST_F(SidecarctlTest, ValidateJsonParsesWithTheRightTotals) {
  BuildSmallTree();
  const RunResult run = Ctl({"--json", "validate", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  EXPECT_THAT(ResultPaths(json),
              ElementsAre(P("a.bin"), P("b.json"), P("gone.bin"), P("sub/c.bin")));
  for (const rapidjson::Value& result : json["results"].GetArray()) {
    EXPECT_TRUE(result["valid"].GetBool());
  }
  EXPECT_EQ(json["results"][0]["format"].GetString(), std::string("bin"));
  EXPECT_EQ(json["results"][0]["detection_count"].GetInt64(), 2);
  EXPECT_TRUE(json["results"][2]["orphan"].GetBool());
  const rapidjson::Value& summary = json["summary"];
  EXPECT_EQ(summary["root"].GetString(), tree_.root());
  EXPECT_EQ(summary["total_files"].GetInt64(), 4);
  EXPECT_EQ(summary["valid_files"].GetInt64(), 4);
  EXPECT_EQ(summary["invalid_files"].GetInt64(), 0);
  EXPECT_EQ(summary["orphans"].GetInt64(), 1);
  EXPECT_EQ(summary["foreign_files"].GetInt64(), 1);
  EXPECT_EQ(summary["by_format"]["bin"].GetInt64(), 3);
  EXPECT_EQ(summary["by_format"]["json"].GetInt64(), 1);
}

TEST_F(SidecarctlTest, ValidateExitsOneWhenASidecarIsInvalid) {
  BuildSmallTree();
  tree_.WriteFile("bad.jpg", "jpeg");
  tree_.WriteFile("bad.json", "[1]");
  const RunResult run = Ctl({"validate", "--json", tree_.root()});
  ASSERT_EQ(run.exit_code, 1) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  EXPECT_EQ(json["summary"]["total_files"].GetInt64(), 5);
  EXPECT_EQ(json["summary"]["invalid_files"].GetInt64(), 1);
  // Bytewise order: "b.json" < "bad.json" ('.' < 'a').
  EXPECT_THAT(ResultPaths(json),
              ElementsAre(P("a.bin"), P("b.json"), P("bad.json"), P("gone.bin"), P("sub/c.bin")));
  EXPECT_FALSE(json["results"][2]["valid"].GetBool());
  EXPECT_TRUE(json["results"][1]["valid"].GetBool());

  const RunResult text = Ctl({"validate", tree_.root()});
  EXPECT_EQ(text.exit_code, 1) << text;
  EXPECT_THAT(text.out, HasSubstr("INVALID"));
  EXPECT_THAT(text.out, HasSubstr(P("bad.json")));
}

TEST_F(SidecarctlTest, ValidateOperationFilter) {
  BuildSmallTree();
  const RunResult run = Ctl({"--json", "validate", "--operation", "yolov8", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  EXPECT_THAT(ResultPaths(json), ElementsAre(P("b.json"), P("sub/c.bin")));
  EXPECT_EQ(json["summary"]["filter_applied"].GetString(), std::string("yolov8"));
  EXPECT_EQ(json["summary"]["filtered_out"].GetInt64(), 2);
}

TEST_F(SidecarctlTest, StatsJsonHasTheRustToolKeysWithTheRightValues) {
  BuildSmallTree();
  const RunResult run = Ctl({"stats", "--json", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;

  const std::vector<std::string> rust_keys = {
      "directory",        "total_images",         "symlink_count",
      "broken_symlinks",  "total_sidecars",       "coverage_percentage",
      "operation_counts", "avg_processing_times", "success_rate_percentages",
      "avg_data_sizes",   "filter_applied"};
  std::vector<std::string> first_keys;
  for (auto it = json.MemberBegin(); it != json.MemberEnd() && first_keys.size() < 11; ++it) {
    first_keys.emplace_back(it->name.GetString());
  }
  EXPECT_EQ(first_keys, rust_keys);

  EXPECT_EQ(json["directory"].GetString(), tree_.root());
  EXPECT_EQ(json["total_images"].GetInt64(), 5);
  EXPECT_EQ(json["symlink_count"].GetInt64(), 1);
  EXPECT_EQ(json["broken_symlinks"].GetInt64(), 1);
  EXPECT_EQ(json["total_sidecars"].GetInt64(), 4);
  EXPECT_NEAR(json["coverage_percentage"].GetDouble(), 80.0, kTolerance);
  EXPECT_EQ(json["operation_counts"].MemberCount(), 2u);
  EXPECT_EQ(json["operation_counts"]["face_detection"].GetInt64(), 3);
  EXPECT_EQ(json["operation_counts"]["yolov8"].GetInt64(), 2);
  EXPECT_NEAR(json["avg_processing_times"]["face_detection"].GetDouble(), (1.5 + 1.5 + 0.5) / 3,
              kTolerance);
  EXPECT_NEAR(json["avg_processing_times"]["yolov8"].GetDouble(), 0.5, kTolerance);
  EXPECT_NEAR(json["success_rate_percentages"]["face_detection"].GetDouble(), 100.0, kTolerance);
  EXPECT_NEAR(json["success_rate_percentages"]["yolov8"].GetDouble(), 100.0, kTolerance);
  EXPECT_NEAR(json["avg_data_sizes"]["face_detection"].GetDouble(),
              static_cast<double>(2 * BinSize(kFaceDoc) + BinSize(kBothDoc)) / 3, kTolerance);
  EXPECT_NEAR(json["avg_data_sizes"]["yolov8"].GetDouble(),
              static_cast<double>(static_cast<int64_t>(kYoloDoc.size()) + BinSize(kBothDoc)) / 2,
              kTolerance);
  EXPECT_EQ(json["filter_applied"].GetString(), std::string(""));

  const RunResult filtered = Ctl({"--json", "stats", "--operation", "yolov8", tree_.root()});
  ASSERT_EQ(filtered.exit_code, 0) << filtered;
  const rapidjson::Document yolo = ParseJson(filtered.out);
  ASSERT_TRUE(yolo.IsObject()) << filtered;
  EXPECT_EQ(yolo["filter_applied"].GetString(), std::string("yolov8"));
  EXPECT_EQ(yolo["total_sidecars"].GetInt64(), 2);
  EXPECT_EQ(yolo["operation_counts"].MemberCount(), 1u);
}

TEST_F(SidecarctlTest, StatsText) {
  BuildSmallTree();
  const RunResult run = Ctl({"stats", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr(tree_.root()));
  EXPECT_THAT(run.out, HasSubstr("face_detection"));
}

TEST_F(SidecarctlTest, CleanupDefaultsToADryRun) {
  BuildSmallTree();
  Share();
  const TreeListing before = ListTree(tree_.root());
  const RunResult run = Ctl({"cleanup", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(ListTree(tree_.root()), before);
  EXPECT_THAT(run.out, HasSubstr("WOULD REMOVE"));
  EXPECT_THAT(run.out, HasSubstr(P("gone.bin")));
  EXPECT_THAT(run.out, HasSubstr("Would remove 1 orphaned sidecar file"));
  EXPECT_THAT(run.out, HasSubstr("Dry run: nothing was changed"));

  const RunResult explicit_dry = Ctl({"cleanup", "--dry-run", tree_.root()});
  ASSERT_EQ(explicit_dry.exit_code, 0) << explicit_dry;
  EXPECT_EQ(ListTree(tree_.root()), before);
}

TEST_F(SidecarctlTest, CleanupDeleteRemovesExactlyTheOrphans) {
  BuildSmallTree();
  Share();
  TreeListing expected = ListTree(tree_.root());
  ASSERT_EQ(expected.erase("gone.bin"), 1u);
  const RunResult run = Ctl({"cleanup", "--delete", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(ListTree(tree_.root()), expected);
  // Callers of the old tool parse `Removed (\d+)`.
  std::smatch match;
  ASSERT_TRUE(std::regex_search(run.out, match, std::regex(R"(Removed (\d+))"))) << run;
  EXPECT_EQ(match[1].str(), "1");
}

TEST_F(SidecarctlTest, CleanupDeleteJson) {
  BuildSmallTree();
  const RunResult run = Ctl({"--json", "cleanup", "--delete", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  EXPECT_THAT(ResultPaths(json), ElementsAre(P("gone.bin")));
  EXPECT_EQ(json["results"][0]["action"].GetString(), std::string("deleted"));
  EXPECT_EQ(json["summary"]["mode"].GetString(), std::string("delete"));
  EXPECT_EQ(json["summary"]["removed"].GetInt64(), 1);
  EXPECT_EQ(json["summary"]["orphans_found"].GetInt64(), 1);
  EXPECT_FALSE(tree_.Exists("gone.bin"));
}

TEST_F(SidecarctlTest, CleanupQuarantine) {
  BuildSmallTree();
  const RunResult run = Ctl({"cleanup", "--quarantine", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("Quarantined 1 orphaned sidecar file"));
  EXPECT_FALSE(tree_.Exists("gone.bin"));
  std::smatch match;
  const std::regex batch(R"(\.sidecard-quarantine/(\d{8}T\d{6}Z))");
  ASSERT_TRUE(std::regex_search(run.out, match, batch)) << run;
  EXPECT_EQ(tree_.ReadFile(".sidecard-quarantine/" + match[1].str() + "/gone.bin"),
            BinBytes(kFaceDoc));
  EXPECT_TRUE(tree_.Exists("a.bin"));
}

TEST_F(SidecarctlTest, CleanupExitsOneWhenARemovalFails) {
  tree_.WriteBin("a.bin", kFaceDoc);
  tree_.WriteBin("locked/b.bin", kFaceDoc);
  tree_.SetMode("locked", 0555);
  const RunResult run = Ctl({"cleanup", "--delete", tree_.root()});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.out, HasSubstr("FAILED"));
  EXPECT_FALSE(tree_.Exists("a.bin"));
  EXPECT_TRUE(tree_.Exists("locked/b.bin"));
}

TEST_F(SidecarctlTest, HealthExitsZeroWhileServing) {
  const RunResult run = Ctl({"health"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "SERVING\n");
  const RunResult service = Ctl({"health", "--service", "sidecar.v1.SidecarService"});
  EXPECT_EQ(service.exit_code, 0) << service;
  const RunResult unknown = Ctl({"health", "--service", "no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown;
  EXPECT_EQ(unknown.out, "SERVICE_UNKNOWN\n");
}

TEST_F(SidecarctlTest, InfoJsonDescribesTheDaemon) {
  const RunResult run = Ctl({"--json", "info"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  EXPECT_EQ(json["pid"].GetInt64(), daemon_.pid());
  EXPECT_EQ(json["workers"].GetInt(), 2);
  ASSERT_EQ(json["allowed_roots"].Size(), 1u);
  EXPECT_EQ(json["allowed_roots"][0].GetString(), tree_.root());
}

TEST_F(SidecarctlTest, HealthJsonSpellsTheStatusAsTheTextDoes) {
  const RunResult run = Ctl({"--json", "health"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "{\n  \"status\": \"SERVING\"\n}\n");
  EXPECT_EQ(ParseJson(run.out)["status"].GetString(), Ctl({"health"}).out.substr(0, 7));
  const RunResult unknown = Ctl({"--json", "health", "--service", "no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown;
  EXPECT_EQ(ParseJson(unknown.out)["status"].GetString(), std::string("SERVICE_UNKNOWN"));
}

TEST_F(SidecarctlTest, InfoJsonRoundsItsFigures) {
  BuildSmallTree();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Ctl({"stats", tree_.root()}).exit_code, 0);
  const RunResult run = Ctl({"--json", "info"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const rapidjson::Document json = ParseJson(run.out);
  ASSERT_TRUE(json.IsObject()) << run;
  ASSERT_TRUE(json["methods"].IsArray()) << run;
  EXPECT_GT(json["methods"].Size(), 0u) << run;
  // Latency percentiles are histogram bounds (10^(k/10) × 0.1 ms) and the
  // uptime a clock reading: unrounded they print 17 digits.
  EXPECT_FALSE(std::regex_search(run.out, std::regex(R"([0-9]\.[0-9]{4,})"))) << run.out;
  EXPECT_GT(json["uptime_seconds"].GetDouble(), 0) << run.out;
}

TEST_F(SidecarctlTest, SaveSaysWhenItWroteTheBinInsteadOfTheFormatAskedFor) {
  tree_.WriteFile("a.jpg", "jpeg");
  tree_.WriteBin("a.bin", kFaceDoc);
  const std::vector<std::string> save = {
      "save", P("a.jpg"), "yolov8", "--data", R"({"success": true})", "--format", "json"};
  const RunResult run = Ctl(save);
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("saved " + P("a.bin") + " (bin, updated)\n")) << run;
  EXPECT_THAT(run.out,
              HasSubstr("note: asked for json, wrote the existing .bin instead: " + P("a.bin") +
                        " is read before a .json file, so a .json would "
                        "stay hidden behind it."))
      << run;
  EXPECT_FALSE(tree_.Exists("a.json"));

  // With --json the note goes to stderr; stdout stays one JSON document.
  std::vector<std::string> json_save = save;
  json_save.insert(json_save.begin(), "--json");
  const RunResult json = Ctl(json_save);
  ASSERT_EQ(json.exit_code, 0) << json;
  EXPECT_EQ(std::string(ParseJson(json.out)["format"].GetString()), "bin");
  EXPECT_THAT(json.err, HasSubstr("note: asked for json, wrote the existing .bin instead")) << json;

  // Asked for what it wrote: no note.
  tree_.WriteFile("b.jpg", "jpeg");
  const RunResult plain =
      Ctl({"save", P("b.jpg"), "yolov8", "--data", R"({"success": true})", "--format", "json"});
  ASSERT_EQ(plain.exit_code, 0) << plain;
  EXPECT_THAT(plain.out, Not(HasSubstr("note:"))) << plain;
  EXPECT_TRUE(tree_.Exists("b.json"));
}

TEST_F(SidecarctlTest, ConvertNamesAnUnreadableFileOnce) {
  tree_.WriteFile("IMG_0034.jpg", "jpeg");
  tree_.WriteFile("IMG_0034.json", "{\"face_detection\": tru");
  tree_.WriteFile("IMG_0035.jpg", "jpeg");
  tree_.WriteFile("IMG_0035.json", "{\"face_detection\": tru");
  tree_.WriteBin("IMG_0035.bin", kFaceDoc);
  const RunResult run = Ctl({"convert", tree_.root(), "--to", "bin"});
  std::smatch line;
  ASSERT_TRUE(std::regex_search(run.out, line, std::regex("SKIPPED unreadable +.*IMG_0034.*")))
      << run;
  EXPECT_THAT(line.str(), StartsWith("SKIPPED unreadable   " + P("IMG_0034.json") +
                                     ": invalid JSON at byte offset"));
  EXPECT_EQ(line.str().find("IMG_0034.json", line.str().find("IMG_0034.json") + 1),
            std::string::npos)
      << line.str();
  // Of several files, the message says which one cannot be read.
  ASSERT_TRUE(std::regex_search(run.out, line, std::regex("SKIPPED unreadable +.*IMG_0035.*")))
      << run;
  EXPECT_THAT(line.str(), HasSubstr(": IMG_0035.json: invalid JSON")) << line.str();
}

TEST_F(SidecarctlTest, ValidateJsonLinesPrintsOneResultPerLineThenTheSummary) {
  BuildSmallTree();
  const RunResult run = Ctl({"validate", "--jsonl", tree_.root()});
  ASSERT_EQ(run.exit_code, 0) << run;
  const std::vector<rapidjson::Document> lines = ParseJsonLines(run.out);
  ASSERT_EQ(lines.size(), 5u) << run;
  std::vector<std::string> paths;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    ASSERT_TRUE(lines[i].IsObject() && lines[i].HasMember("file")) << run;
    paths.emplace_back(lines[i]["file"]["path"].GetString());
  }
  EXPECT_THAT(paths, ElementsAre(P("a.bin"), P("b.json"), P("gone.bin"), P("sub/c.bin")));
  EXPECT_TRUE(lines[2]["orphan"].GetBool());
  const rapidjson::Document& last = lines.back();
  ASSERT_TRUE(last.IsObject() && last.HasMember("summary")) << run;
  EXPECT_EQ(last.MemberCount(), 1u);
  EXPECT_EQ(last["summary"]["total_files"].GetInt64(), 4);
  EXPECT_EQ(last["summary"]["orphans"].GetInt64(), 1);

  // --jsonl outranks the global --json; the exit status is validate's.
  tree_.WriteFile("bad.jpg", "jpeg");
  tree_.WriteFile("bad.json", "[1]");
  const RunResult invalid = Ctl({"--json", "validate", "--jsonl", "--invalid-only", tree_.root()});
  EXPECT_EQ(invalid.exit_code, 1) << invalid;
  const std::vector<rapidjson::Document> invalid_lines = ParseJsonLines(invalid.out);
  ASSERT_EQ(invalid_lines.size(), 2u) << invalid;
  EXPECT_EQ(invalid_lines[0]["file"]["path"].GetString(), P("bad.json"));
  EXPECT_EQ(invalid_lines[1]["summary"]["invalid_files"].GetInt64(), 1);
}

TEST_F(SidecarctlTest, CleanupAndConvertJsonLines) {
  BuildSmallTree();
  const RunResult cleanup = Ctl({"cleanup", "--delete", "--jsonl", tree_.root()});
  ASSERT_EQ(cleanup.exit_code, 0) << cleanup;
  const std::vector<rapidjson::Document> cleanup_lines = ParseJsonLines(cleanup.out);
  ASSERT_EQ(cleanup_lines.size(), 2u) << cleanup;
  EXPECT_EQ(cleanup_lines[0]["file"]["path"].GetString(), P("gone.bin"));
  EXPECT_EQ(cleanup_lines[0]["action"].GetString(), std::string("deleted"));
  EXPECT_EQ(cleanup_lines[1]["summary"]["removed"].GetInt64(), 1);
  EXPECT_FALSE(tree_.Exists("gone.bin"));

  const RunResult convert = Ctl({"convert", tree_.root(), "--to", "bin", "--jsonl"});
  ASSERT_EQ(convert.exit_code, 0) << convert;
  const std::vector<rapidjson::Document> convert_lines = ParseJsonLines(convert.out);
  ASSERT_GE(convert_lines.size(), 2u) << convert;
  for (size_t i = 0; i + 1 < convert_lines.size(); ++i) {
    EXPECT_TRUE(convert_lines[i].IsObject() && !convert_lines[i].HasMember("summary")) << convert;
  }
  ASSERT_TRUE(convert_lines.back().HasMember("summary")) << convert;
  EXPECT_TRUE(convert_lines.back()["summary"].IsObject());
}

TEST_F(SidecarctlTest, QuarantineListJsonLines) {
  BuildSmallTree();
  ASSERT_EQ(Ctl({"cleanup", "--quarantine", tree_.root()}).exit_code, 0);
  const RunResult run = Ctl({"quarantine", "list", tree_.root(), "--jsonl"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const std::vector<rapidjson::Document> lines = ParseJsonLines(run.out);
  ASSERT_EQ(lines.size(), 2u) << run;
  EXPECT_FALSE(lines[0].HasMember("summary")) << run;
  EXPECT_TRUE(lines[1].HasMember("summary")) << run;
}

TEST_F(SidecarctlTest, ExportTableJsonLinesHasArraysAndCsvStaysJoined) {
  BuildSmallTree();
  const RunResult run =
      Ctl({"export", tree_.root(), "--format", "jsonl", "--content", "table", "--output", "-"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const std::vector<rapidjson::Document> rows = ParseJsonLines(run.out);
  ASSERT_EQ(rows.size(), 4u) << run;
  bool saw_both = false;
  for (const rapidjson::Document& row : rows) {
    ASSERT_TRUE(row["operations"].IsArray()) << run;
    ASSERT_TRUE(row["success"].IsObject()) << run;
    if (row["sidecar"].GetString() != P("sub/c.bin")) continue;
    saw_both = true;
    ASSERT_EQ(row["operations"].Size(), 2u) << run;
    EXPECT_EQ(row["operations"][0].GetString(), std::string("face_detection"));
    EXPECT_EQ(row["operations"][1].GetString(), std::string("yolov8"));
    EXPECT_TRUE(row["success"]["face_detection"].GetBool());
    EXPECT_TRUE(row["success"]["yolov8"].GetBool());
    EXPECT_EQ(row["success"].MemberCount(), 2u);
  }
  EXPECT_TRUE(saw_both) << run;

  const RunResult csv = Ctl({"export", tree_.root(), "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv;
  EXPECT_THAT(csv.out, HasSubstr(",face_detection;yolov8,")) << csv;
  EXPECT_THAT(csv.out, HasSubstr(",face_detection=true;yolov8=true\r\n")) << csv;
}

TEST_F(SidecarctlTest, ExportNamesTheUnreadableFilesItLeftOut) {
  BuildSmallTree();
  tree_.WriteFile("bad.jpg", "jpeg");
  tree_.WriteFile("bad.json", "{\"face_detection\": tru");
  const RunResult run = Ctl({"export", tree_.root(), "--format", "jsonl"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, Not(HasSubstr(P("bad.json"))));
  EXPECT_THAT(run.err, HasSubstr("(1 unreadable left out)")) << run;
  EXPECT_THAT(run.err, HasSubstr("unreadable: " + P("bad.json") + ": invalid JSON")) << run;

  const std::string output = tree_.Path("out.jsonl");
  const RunResult json = Ctl({"--json", "export", tree_.root(), "--output", output});
  ASSERT_EQ(json.exit_code, 0) << json;
  const rapidjson::Document summary = ParseJson(json.out);
  ASSERT_TRUE(summary.IsObject()) << json;
  EXPECT_EQ(summary["unreadable"].GetInt64(), 1);
  ASSERT_TRUE(summary["unreadable_files"].IsArray()) << json;
  ASSERT_EQ(summary["unreadable_files"].Size(), 1u) << json;
  EXPECT_EQ(summary["unreadable_files"][0]["file"]["path"].GetString(), P("bad.json"));
  EXPECT_THAT(summary["unreadable_files"][0]["error"].GetString(), HasSubstr("invalid JSON"));
}

TEST_F(SidecarctlTest, UnreachableDaemonExitsThree) {
  const std::string nowhere = "unix:" + daemon_.run_dir().Path("nothing-listens.sock");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"health"}, {"info"}, {"validate", tree_.root()}}) {
    std::vector<std::string> argv = {SIDECARCTL_BINARY, "--address", nowhere, "--timeout", "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult run = RunProcess(argv);
    EXPECT_EQ(run.exit_code, 3) << args[0] << ": " << run;
    EXPECT_THAT(run.err, HasSubstr("cannot reach the daemon")) << run;
  }

  // A socket file that exists but where nobody listens.
  const std::string path = daemon_.run_dir().Path("bound.sock");
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  for (const char* command : {"health", "info"}) {
    const RunResult run =
        RunProcess({SIDECARCTL_BINARY, "--address", "unix:" + path, "--timeout", "5", command});
    EXPECT_EQ(run.exit_code, 3) << command << ": " << run;
  }
  close(fd);
}

TEST_F(SidecarctlTest, RefusedRequestsExitFour) {
  const RunResult missing = Ctl({"validate", P("does-not-exist")});
  EXPECT_EQ(missing.exit_code, 4) << missing;
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(missing.err, HasSubstr(P("does-not-exist")));

  const RunResult stats = Ctl({"stats", P("does-not-exist")});
  EXPECT_EQ(stats.exit_code, 4) << stats;
  EXPECT_THAT(stats.err, HasSubstr("NOT_FOUND"));

  const RunResult outside = Ctl({"cleanup", "--delete", "/etc"});
  EXPECT_EQ(outside.exit_code, 4) << outside;
  EXPECT_THAT(outside.err, HasSubstr("PERMISSION_DENIED"));

  const RunResult filter = Ctl({"validate", "--operation", "Bad-Name", tree_.root()});
  EXPECT_EQ(filter.exit_code, 4) << filter;
  EXPECT_THAT(filter.err, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(SidecarctlTest, UsageErrorsExitTwo) {
  tree_.WriteBin("gone.bin", kFaceDoc);
  const std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"frobnicate"},
      {"validate"},
      {"validate", tree_.root(), "--bogus"},
      {"validate", tree_.root(), tree_.root()},
      {"cleanup", tree_.root(), "--delete", "--quarantine"},
      {"cleanup", tree_.root(), "--delete", "--min-age", "-5"},
      {"cleanup", tree_.root(), "--delete", "--min-age", "soon"},
      {"--timeout", "abc", "health"},
      {"health", "extra"},
  };
  for (const std::vector<std::string>& args : usage_errors) {
    const RunResult run = Ctl(args);
    EXPECT_EQ(run.exit_code, 2) << ::testing::PrintToString(args) << ": " << run;
    EXPECT_THAT(run.err, StartsWith("sidecarctl: ")) << ::testing::PrintToString(args);
  }
  EXPECT_TRUE(tree_.Exists("gone.bin"));

  const RunResult help = Ctl({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help;
  EXPECT_THAT(help.out, HasSubstr("Exit status"));
}

TEST_F(SidecarctlTest, RelativeDirectoryIsMadeAbsolute) {
  BuildSmallTree();
  const RunResult here = Ctl({"--json", "validate", "."}, tree_.root());
  ASSERT_EQ(here.exit_code, 0) << here;
  const rapidjson::Document all = ParseJson(here.out);
  ASSERT_TRUE(all.IsObject()) << here;
  EXPECT_EQ(all["summary"]["root"].GetString(), tree_.root());
  EXPECT_EQ(all["summary"]["total_files"].GetInt64(), 4);

  const RunResult sub = Ctl({"--json", "validate", "sub"}, tree_.root());
  ASSERT_EQ(sub.exit_code, 0) << sub;
  const rapidjson::Document only_sub = ParseJson(sub.out);
  ASSERT_TRUE(only_sub.IsObject()) << sub;
  EXPECT_THAT(ResultPaths(only_sub), ElementsAre(P("sub/c.bin")));
}

}  // namespace
}  // namespace sidecard::testing
