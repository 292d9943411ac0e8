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

// The byte-at-a-time definition, to check the 16-bytes-at-a-time scan
// against: every byte value at every position of texts longer than a block.
std::string EscapedOneByOne(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += c;
    } else if (byte == '\b' || byte == '\f' || byte == '\n' || byte == '\r' || byte == '\t') {
      out += '\\';
      out += "bfnrt"[std::string_view("\b\f\n\r\t").find(c)];
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(JsonEscapeTest, EveryByteAtEveryPositionOfLongTexts) {
  for (size_t length : {15u, 16u, 17u, 33u, 40u}) {
    for (size_t at = 0; at < length; ++at) {
      for (int value = 0; value < 256; ++value) {
        std::string text(length, 'a');
        text[at] = static_cast<char>(value);
        ASSERT_EQ(Escaped(text), EscapedOneByOne(text)) << "byte " << value << " at " << at;
      }
    }
  }
  const std::string mixed = std::string(20, 'x') + "\"\x01" + std::string(30, '/') + "\\\n";
  EXPECT_EQ(Escaped(mixed), EscapedOneByOne(mixed));
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
