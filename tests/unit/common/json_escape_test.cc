#include "common/json_escape.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sidecard {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

TEST(JsonEscapeTest, QuotesAndBackslashes) {
  EXPECT_EQ(Escaped(""), R"("")");
  EXPECT_EQ(Escaped(R"(a"b\c)"), R"("a\"b\\c")");
}

TEST(JsonEscapeTest, ShortEscapesForTheirControlCharacters) {
  EXPECT_EQ(Escaped("\b\f\n\r\t"), R"("\b\f\n\r\t")");
}

TEST(JsonEscapeTest, OtherControlCharactersAsLowercaseUnicodeEscapes) {
  EXPECT_EQ(Escaped(std::string(1, '\0')), R"("\u0000")");
  EXPECT_EQ(Escaped("\x01\x0b\x0e\x1a\x1f"), R"("\u0001\u000b\u000e\u001a\u001f")");
}

// Like serde_json: no `\/`, DEL and non-ASCII as they are, and bytes that are
// not UTF-8 passed through (the callers guarantee UTF-8 where it matters).
TEST(JsonEscapeTest, EverythingElseAsIs) {
  EXPECT_EQ(Escaped("/\x7f"), "\"/\x7f\"");
  EXPECT_EQ(Escaped("é日本😀"), "\"é日本😀\"");
  EXPECT_EQ(Escaped("\xff\xc3("), "\"\xff\xc3(\"");
}

TEST(JsonEscapeTest, Appends) {
  std::string out = "[";
  AppendJsonString("a", out);
  out += ',';
  AppendJsonString("b", out);
  out += ']';
  EXPECT_EQ(out, R"(["a","b"])");
}

}  // namespace
}  // namespace sidecard
