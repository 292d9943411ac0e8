#include "server/engine/documents/document_merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/engine/formats/json_text.h"

namespace sidecard::engine {
namespace {

rapidjson::Document Normalized(std::string_view json) {
  auto document = ParseJson(json);
  EXPECT_TRUE(document.ok()) << document.status();
  NormalizeLayout(*document);
  return std::move(*document);
}

TEST(DocumentMergeTest, NormalizingKeepsTheLastOfARepeatedKeyAtEveryLevel) {
  const rapidjson::Document document =
      Normalized(R"({"a": 1, "b": [{"c": 1, "c": 2}], "a": {"d": 1, "d": 3}})");
  EXPECT_EQ(document.MemberCount(), 2u);
  EXPECT_EQ(CanonicalJson(document), R"({"a":{"d":3},"b":[{"c":2}]})");
}

TEST(DocumentMergeTest, Regression_IdenticalDocumentsWithARepeatedKeyDoNotConflict) {
  // Found by the document_merge fuzzer: RapidJSON's == looks up the first of
  // a repeated key, so a document compared unequal to its own copy and the
  // merge reported content only the lower file had, where there was none.
  const std::string json =
      R"({"face_detection": {"success": true, "faces": [], "success": false}})";
  rapidjson::Document merged = Normalized(json);
  const rapidjson::Document lower = Normalized(json);
  EXPECT_THAT(MergeLowerPriority(merged, lower), ::testing::IsEmpty());
}

}  // namespace
}  // namespace sidecard::engine
