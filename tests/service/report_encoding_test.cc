// Validate's reports in wire form: a report built from its remembered body
// plus paths and size parses to exactly the message FillFileReport fills, in
// the order added, for UTF-8 and non-UTF-8 paths, orphans and sizes of 0.
#include "server/service/report_encoding.h"

#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/service/proto_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;
using google::protobuf::util::MessageDifferencer;

std::shared_ptr<engine::SidecarInspection> Inspection(int64_t size, bool decoded) {
  auto inspection = std::make_shared<engine::SidecarInspection>();
  inspection->format = engine::SidecarFormat::kJson;
  inspection->stamp.size = size;
  inspection->decoded = decoded;
  if (!decoded) inspection->error = "not JSON at byte 3";
  inspection->facts.layout = engine::DocumentLayout::kMerged;
  inspection->facts.operations = {"face_detection"};
  inspection->facts.tool_names = {"insightface"};
  engine::PayloadFacts faces;
  faces.operation = "face_detection";
  faces.faces = 3;
  inspection->facts.payloads = {faces};
  return inspection;
}

// The file as the engine gives it for a fresh inspection: with its memo.
engine::ValidatedFile Fresh(std::string path, std::optional<std::string> image,
                            std::shared_ptr<engine::SidecarInspection> inspection,
                            std::string& memo) {
  engine::ValidatedFile file;
  file.path = std::move(path);
  file.image_path = std::move(image);
  file.inspection = std::move(inspection);
  memo = EncodeReportBody(file);
  file.report_memo = memo;
  file.size_bytes = file.inspection->stamp.size;
  return file;
}

TEST(ReportEncoding, ParsesToWhatFillFileReportFills) {
  std::vector<std::string> memos(4);
  const std::vector<engine::ValidatedFile> files = {
      Fresh("/p/a.json", "/p/a.jpg", Inspection(1234, true), memos[0]),
      Fresh("/p/Pokal\xE4nderung.json", "/p/Pokal\xE4nderung.CR2", Inspection(5, true), memos[1]),
      Fresh("/p/orphan.json", std::nullopt, Inspection(0, false), memos[2]),
      Fresh("/p/big.json", "/p/big.jpg", Inspection(int64_t{1} << 40, true), memos[3]),
  };
  v1::ValidateResponse encoded;
  for (const auto& file : files) AddEncodedReport(file, encoded);

  v1::ValidateResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(encoded.SerializeAsString()));
  ASSERT_EQ(parsed.reports_size(), 4);
  for (int i = 0; i < 4; ++i) {
    v1::FileReport expected;
    FillFileReport(files[static_cast<size_t>(i)], expected);
    EXPECT_TRUE(MessageDifferencer::Equals(parsed.reports(i), expected))
        << "report " << i << ":\n"
        << parsed.reports(i).DebugString() << "\nexpected:\n"
        << expected.DebugString();
  }
  EXPECT_EQ(parsed.reports(1).file().path(), "/p/Pokal\\xE4nderung.json");
  EXPECT_EQ(parsed.reports(1).file().raw_path(), "/p/Pokal\xE4nderung.json");
  EXPECT_FALSE(parsed.reports(2).has_image());
  EXPECT_TRUE(parsed.reports(2).orphan());
}

TEST(ReportEncoding, ARememberedBodyNeedsNoInspection) {
  std::string memo;
  const engine::ValidatedFile fresh = Fresh("/p/a.json", "/p/a.jpg", Inspection(77, true), memo);
  engine::ValidatedFile remembered;  // as a later full report gives it
  remembered.path = fresh.path;
  remembered.image_path = fresh.image_path;
  remembered.report_memo = memo;
  remembered.size_bytes = 77;
  v1::ValidateResponse a;
  v1::ValidateResponse b;
  AddEncodedReport(fresh, a);
  AddEncodedReport(remembered, b);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
}

}  // namespace
}  // namespace sidecard::service
