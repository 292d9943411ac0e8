#include "server/engine/formats/json_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "server/engine/formats/shortest_double.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;

// Canonical form of `json`, or the parse error's message.
std::string Canonical(std::string_view json) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json);
  if (!document.ok()) return std::string(document.status().message());
  return CanonicalJson(*document);
}

std::string ErrorOf(std::string_view json, size_t offset_base = 0) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json, offset_base);
  if (document.ok()) return "parsed: " + CanonicalJson(*document);
  EXPECT_EQ(document.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(document.status().message());
}

// ---------------------------------------------------------------------------
// Canonical writing
// ---------------------------------------------------------------------------

TEST(JsonCanonicalTest, SortsKeysAtEveryLevel) {
  EXPECT_EQ(Canonical(R"({"b":{"z":1,"a":[{"y":true,"x":null},{"d":{"q":[],"p":{}}}]},"a":false})"),
            R"({"a":false,"b":{"a":[{"x":null,"y":true},{"d":{"p":{},"q":[]}}],"z":1}})");
}

TEST(JsonCanonicalTest, SortsKeysBytewise) {
  // Upper case before '_' before lower case; a prefix first; UTF-8 after ASCII.
  EXPECT_EQ(Canonical(R"({"é":1,"aa":2,"a":3,"_":4,"B":5,"":6,"~":7})"),
            R"({"":6,"B":5,"_":4,"a":3,"aa":2,"~":7,"é":1})");
}

TEST(JsonCanonicalTest, SortsKeysWithEmbeddedNul) {
  EXPECT_EQ(Canonical(R"({"ab":1,"a\u0000b":2,"a":3})"), R"({"a":3,"a\u0000b":2,"ab":1})");
}

TEST(JsonCanonicalTest, RepeatedKeyKeepsLastValue) {
  EXPECT_EQ(Canonical(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(Canonical(R"({"x":{"k":"first","k":"second"},"x":{"k":"third","j":0,"k":"fourth"}})"),
            R"({"x":{"j":0,"k":"fourth"}})");
}

TEST(JsonCanonicalTest, NoWhitespace) {
  EXPECT_EQ(Canonical(" {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } }\n "), R"({"a":[1,2],"b":{}})");
}

TEST(JsonCanonicalTest, NonAsciiWrittenRaw) {
  EXPECT_EQ(Canonical("{\"name\":\"é日本😀\"}"), "{\"name\":\"é日本😀\"}");
  // Escaped input comes out raw too, surrogate pairs included.
  EXPECT_EQ(Canonical(R"(["\u00e9\u65e5\u672c\ud83d\ude00"])"), "[\"é日本😀\"]");
}

TEST(JsonCanonicalTest, EscapesLikeSerdeJson) {
  EXPECT_EQ(Canonical(R"(["q\"b\\n\nt\tc\u0001\u001fd\u007fs/\/e\b\f\r"])"),
            "[\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001fd\x7fs//e\\b\\f\\r\"]");
}

TEST(JsonCanonicalTest, EveryControlCharacter) {
  std::string raw;
  for (int c = 0; c < 0x20; ++c) raw += static_cast<char>(c);
  rapidjson::Document document;
  document.SetString(raw.data(), static_cast<rapidjson::SizeType>(raw.size()),
                     document.GetAllocator());
  EXPECT_EQ(CanonicalJson(document),
            R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f)"
            R"(\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c)"
            R"(\u001d\u001e\u001f")");
}

TEST(JsonCanonicalTest, Literals) {
  EXPECT_EQ(Canonical("[true,false,null]"), "[true,false,null]");
}

TEST(JsonCanonicalTest, IntegersStayIntegers) {
  EXPECT_EQ(Canonical("[0,-1,42,18446744073709551615,-9223372036854775808,9223372036854775807]"),
            "[0,-1,42,18446744073709551615,-9223372036854775808,9223372036854775807]");
}

TEST(JsonCanonicalTest, IntegersBeyond64BitsBecomeDoubles) {
  EXPECT_EQ(Canonical("[18446744073709551616,-9223372036854775809,1" + std::string(30, '0') + "]"),
            "[1.8446744073709552e19,-9.223372036854776e18,1e30]");
}

TEST(JsonCanonicalTest, MinusZeroIsADouble) {
  // serde_json reads the integer literal -0 as the double -0.0.
  EXPECT_EQ(Canonical("[-0,0,-0.0,0.0]"), "[-0.0,0,-0.0,0.0]");
}

TEST(JsonCanonicalTest, FloatsInShortestForm) {
  EXPECT_EQ(Canonical("[0.5,1.0,1e-7,1E2,2.50,1.5e300,0.1e1,12.5e-1,0.30000000000000004]"),
            "[0.5,1.0,1e-7,100.0,2.5,1.5e300,1.0,1.25,0.30000000000000004]");
}

TEST(JsonCanonicalTest, FloatsRoundCorrectly) {
  // More digits than a double holds: the nearest double, printed shortest.
  EXPECT_EQ(Canonical("[0.1000000000000000055511151231257827,3.14159265358979323846264338]"),
            "[0.1,3.141592653589793]");
  EXPECT_EQ(Canonical("[2.2250738585072011e-308]"), "[2.225073858507201e-308]");
}

TEST(JsonCanonicalTest, UnderflowBecomesZero) {
  EXPECT_EQ(Canonical("[1e-400,-1e-400,2e-324,3e-324,0.000001e-320]"), "[0.0,-0.0,0.0,5e-324,0.0]");
}

TEST(JsonCanonicalTest, ListOf512Floats) {
  std::string input = "[";
  for (int i = 0; i < 512; ++i) {
    if (i > 0) input += ',';
    AppendShortestDouble((i - 256) / 7.0 + i * 1e-9, input);
  }
  input += ']';
  EXPECT_EQ(Canonical(input), input);
  EXPECT_EQ(Canonical("[0.25,0.5,0.75]"), "[0.25,0.5,0.75]");
}

TEST(JsonCanonicalTest, ProgrammaticValues) {
  rapidjson::Document document(rapidjson::kObjectType);
  auto& allocator = document.GetAllocator();
  document.AddMember("whole", rapidjson::Value(3.0), allocator);
  document.AddMember("int", rapidjson::Value(3), allocator);
  document.AddMember("nan", rapidjson::Value(std::numeric_limits<double>::quiet_NaN()), allocator);
  document.AddMember("big", rapidjson::Value(uint64_t{1} << 63), allocator);
  EXPECT_EQ(CanonicalJson(document),
            R"({"big":9223372036854775808,"int":3,"nan":null,"whole":3.0})");
}

TEST(JsonCanonicalTest, AppendKeepsExistingContent) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(R"({"b":1,"a":2})");
  ASSERT_TRUE(document.ok());
  std::string out = "prefix:";
  AppendCanonicalJson(*document, out);
  EXPECT_EQ(out, R"(prefix:{"a":2,"b":1})");
}

TEST(JsonCanonicalTest, IsIdempotent) {
  const std::string once = Canonical(R"({"z":[1,2.50,{"b":"\u00e9","a":"\/"}],"a":-0.0})");
  EXPECT_EQ(Canonical(once), once);
}

// ---------------------------------------------------------------------------
// Pretty writing
// ---------------------------------------------------------------------------

TEST(JsonPrettyTest, IndentsByTwoWithSortedKeys) {
  absl::StatusOr<rapidjson::Document> document =
      ParseJson(R"({"b":[1,2],"a":1,"e":{"y":"z","x":[{}]},"c":{},"d":[]})");
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(PrettyJson(*document),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    1,\n"
            "    2\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": [],\n"
            "  \"e\": {\n"
            "    \"x\": [\n"
            "      {}\n"
            "    ],\n"
            "    \"y\": \"z\"\n"
            "  }\n"
            "}");
}

TEST(JsonPrettyTest, ScalarsAndEmptyContainers) {
  for (const char* json : {"{}", "[]", "1.5", "\"a\\n\"", "null"}) {
    absl::StatusOr<rapidjson::Document> document = ParseJson(json);
    ASSERT_TRUE(document.ok()) << json;
    EXPECT_EQ(PrettyJson(*document), json);
  }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

TEST(JsonParseTest, KeepsIntegersApartFromFloats) {
  absl::StatusOr<rapidjson::Document> document = ParseJson("[1,-5,1.0,1e2,18446744073709551615]");
  ASSERT_TRUE(document.ok());
  const rapidjson::Value& array = *document;
  EXPECT_TRUE(array[0].IsUint64());
  EXPECT_TRUE(array[1].IsInt64());
  EXPECT_FALSE(array[1].IsUint64());
  EXPECT_TRUE(array[2].IsDouble());
  EXPECT_TRUE(array[3].IsDouble());
  EXPECT_EQ(array[4].GetUint64(), 18446744073709551615u);
}

TEST(JsonParseTest, AnyRootValue) {
  EXPECT_EQ(Canonical(" 42 "), "42");
  EXPECT_EQ(Canonical("\"s\""), "\"s\"");
  EXPECT_EQ(Canonical("[]"), "[]");
  EXPECT_EQ(Canonical("null"), "null");
}

TEST(JsonParseTest, DoesNotNeedNulTermination) {
  const std::string_view text = std::string_view(R"({"a":1}{"b":2})").substr(0, 7);
  EXPECT_EQ(Canonical(text), R"({"a":1})");
}

TEST(JsonParseTest, SyntaxErrorsNameTheOffset) {
  EXPECT_EQ(ErrorOf(R"({"a":1 "b":2})"),
            "invalid JSON at byte offset 7: missing a comma or '}' after an object member");
  EXPECT_EQ(ErrorOf("[1 2]"),
            "invalid JSON at byte offset 3: missing a comma or ']' after an array element");
  EXPECT_EQ(ErrorOf(R"({"a" 1})"),
            "invalid JSON at byte offset 5: missing a colon after a name of object member");
  EXPECT_EQ(ErrorOf("{1:2}"), "invalid JSON at byte offset 1: missing a name for object member");
  EXPECT_EQ(ErrorOf("[tru]"), "invalid JSON at byte offset 4: invalid value");
  EXPECT_EQ(ErrorOf("[1.]"), "invalid JSON at byte offset 3: missing fraction part in number");
  EXPECT_EQ(ErrorOf("[1e]"), "invalid JSON at byte offset 3: missing exponent in number");
  EXPECT_EQ(ErrorOf(R"(["a\x"])"),
            "invalid JSON at byte offset 3: invalid escape character in string");
  EXPECT_EQ(ErrorOf(R"(["abc)"),
            "invalid JSON at byte offset 5: missing a closing quotation mark in string");
  EXPECT_EQ(ErrorOf(R"(["\u12g4"])"),
            "invalid JSON at byte offset 2: incorrect hex digit after \\u escape in string");
}

TEST(JsonParseTest, OffsetBaseIsAdded) {
  EXPECT_EQ(ErrorOf(R"({"a":1 "b":2})", 8),
            "invalid JSON at byte offset 15: missing a comma or '}' after an object member");
}

TEST(JsonParseTest, EmptyAndBlankText) {
  EXPECT_EQ(ErrorOf(""), "invalid JSON at byte offset 0: the document is empty");
  EXPECT_EQ(ErrorOf("  \n"), "invalid JSON at byte offset 3: the document is empty");
}

TEST(JsonParseTest, TrailingContentIsAnError) {
  EXPECT_EQ(
      ErrorOf("{} x"),
      "invalid JSON at byte offset 3: the document root must not be followed by other values");
  EXPECT_EQ(
      ErrorOf("{}{}"),
      "invalid JSON at byte offset 2: the document root must not be followed by other values");
}

TEST(JsonParseTest, NulBytesAreNotTheEnd) {
  using std::string_literals::operator""s;
  EXPECT_EQ(
      ErrorOf("{} \0junk"s),
      "invalid JSON at byte offset 3: the document root must not be followed by other values");
  EXPECT_EQ(ErrorOf("\0{}"s), "invalid JSON at byte offset 0: invalid value");
  EXPECT_EQ(ErrorOf("[\"a\0b\"]"s),
            "invalid JSON at byte offset 3: unescaped control character in string");
}

TEST(JsonParseTest, RawControlCharacterInString) {
  EXPECT_EQ(ErrorOf("[\"a\tb\"]"),
            "invalid JSON at byte offset 3: unescaped control character in string");
}

TEST(JsonParseTest, InvalidUtf8) {
  EXPECT_EQ(ErrorOf("[\"ab\xff\"]"), "invalid UTF-8 at byte offset 4");
  EXPECT_EQ(ErrorOf("{\"k\xc3\":1}"), "invalid UTF-8 at byte offset 3");       // truncated sequence
  EXPECT_EQ(ErrorOf("[\"\xc0\x80\"]"), "invalid UTF-8 at byte offset 2");      // overlong NUL
  EXPECT_EQ(ErrorOf("[\"\xed\xa0\x80\"]"), "invalid UTF-8 at byte offset 2");  // surrogate
  EXPECT_EQ(ErrorOf("[\"\xf4\x90\x80\x80\"]"), "invalid UTF-8 at byte offset 2");  // > U+10FFFF
  EXPECT_EQ(ErrorOf("[\"ok\"]", 8), "parsed: [\"ok\"]");
  EXPECT_EQ(ErrorOf("[\"ab\xff\"]", 8), "invalid UTF-8 at byte offset 12");
}

TEST(JsonParseTest, UnpairedSurrogateEscapes) {
  EXPECT_EQ(ErrorOf(R"(["ab\udc00"])"),
            "invalid JSON at byte offset 4: unpaired surrogate in \\u escape in string");
  EXPECT_EQ(ErrorOf(R"({"k":"\"\\\ud83d\ude00\u00e9\uDFFF"})"),
            "invalid JSON at byte offset 28: unpaired surrogate in \\u escape in string");
  EXPECT_EQ(ErrorOf(R"({"\udc00":1})"),
            "invalid JSON at byte offset 2: unpaired surrogate in \\u escape in string");
  EXPECT_THAT(ErrorOf(R"(["\ud800x"])"), HasSubstr("invalid JSON at byte offset 2: "));
}

TEST(JsonParseTest, ByteOrderMarkIsNotJson) {
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF{}"), "invalid JSON at byte offset 0: invalid value");
}

TEST(JsonParseTest, NumberTooBig) {
  EXPECT_EQ(ErrorOf("[1e400]"),
            "invalid JSON at byte offset 1: number too big to be stored in double");
  // Within RapidJSON's own exponent check, but still beyond the double range.
  EXPECT_EQ(ErrorOf("[0, 100e307]"),
            "invalid JSON at byte offset 4: number too big to be stored in double");
  EXPECT_EQ(ErrorOf("[-1" + std::string(400, '0') + "]"),
            "invalid JSON at byte offset 1: number too big to be stored in double");
}

TEST(JsonParseTest, Regression_ExponentsAtTheEndsOfInt64) {
  // The exponent was added to the digits' position without a bound: a signed
  // overflow (UBSan), after which this tiny number was "too big".
  EXPECT_EQ(ErrorOf("[1e9223372036854775807]"),
            "invalid JSON at byte offset 1: number too big to be stored in double");
  EXPECT_EQ(ErrorOf("[10e9223372036854775806]"),
            "invalid JSON at byte offset 1: number too big to be stored in double");
  EXPECT_EQ(Canonical("[0.01e-9223372036854775808]"), "[0.0]");
  EXPECT_EQ(Canonical("[-0.01e-9223372036854775808]"), "[-0.0]");
}

TEST(JsonParseTest, NestingLimit) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_EQ(Canonical(nested(127)), nested(127));
  EXPECT_EQ(ErrorOf(nested(128)),
            "invalid JSON at byte offset 127: nesting deeper than 127 levels");
  EXPECT_THAT(ErrorOf(std::string(100000, '[')), HasSubstr("nesting deeper than 127 levels"));
  EXPECT_THAT(ErrorOf(std::string(200, '{')), HasSubstr("invalid JSON at byte offset 1: "));
}

// ---------------------------------------------------------------------------
// Fast parsing (NumberPrecision::kFast, for analysis)
// ---------------------------------------------------------------------------

// Every value's type as the document holds it (integer flags included), and
// each float: exactly when it is not an array element, else rounded to 14
// significant digits (the fast parse may differ in the last bits there).
void Shape(const rapidjson::Value& value, bool in_array, std::string& out) {
  if (value.IsObject()) {
    out += '{';
    for (const auto& member : value.GetObject()) {
      out.append(member.name.GetString(), member.name.GetStringLength());
      out += ':';
      Shape(member.value, false, out);
      out += ',';
    }
    out += '}';
  } else if (value.IsArray()) {
    out += '[';
    for (const rapidjson::Value& element : value.GetArray()) {
      Shape(element, true, out);
      out += ',';
    }
    out += ']';
  } else if (value.IsDouble()) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, in_array ? "d%.13e" : "d%.17e", value.GetDouble());
    out += buffer;
  } else if (value.IsNumber()) {
    out += value.IsUint64() ? "u" : "";
    out += value.IsInt64() ? "i" : "";
    out += value.IsUint() ? "u32" : "";
    out += value.IsInt() ? "i32" : "";
    out += value.IsUint64() ? std::to_string(value.GetUint64()) : std::to_string(value.GetInt64());
  } else {
    out += std::to_string(static_cast<int>(value.GetType()));
    if (value.IsString()) out.append(value.GetString(), value.GetStringLength());
  }
}

std::string FastVersusExact(std::string_view json, NumberPrecision precision) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json, 8, precision);
  if (!document.ok()) return std::string(document.status().message());
  std::string out;
  Shape(*document, false, out);
  return out;
}

TEST(JsonFastParseTest, SameVerdictTypesAndMemberValuesAsExact) {
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
      "[1e400]",
      "[0, 100e307]",
      "1.7976931348623157e308",
      "[1.7976931348623157e308]",
      "1.7976931348623159e308",
      "[1.7976931348623159e308]",
      "[-1.7976931348623158e308]",
      "18446744073709551615",
      "18446744073709551616",
      "[18446744073709551616]",
      "-9223372036854775808",
      "-9223372036854775809",
      "[-9223372036854775809]",
      "4294967295",
      "4294967296",
      "-2147483648",
      "-2147483649",
      "[1e-400, -1e-400, 5e-324, 2.5e-308]",
      "1e-400",
      huge_integer,
      "[" + huge_integer + "]",
      "[-" + huge_integer + "]",
      "123456789012345678901234567890",
      "[123456789012345678901234567890.5e-3]",
      R"({"processing_time":0.12345678901234568,"x":[0.12345678901234568,-0.04409823939204216]})",
      R"({"e":[1E+2,-1.0e-2,3e0,0.1,0.2,0.30000000000000004,2.2250738585072011e-308]})",
      "[1,]",
      "01",
      "[1.]",
      "-",
      "[1e]",
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
      "[\"a\x01\"]",
      std::string(127, '[') + std::string(127, ']'),
      std::string(128, '[') + std::string(128, ']'),
      std::string(200, '{'),
      "[1 2]",
      "nul",
      "[true,false,null,\"x\",{}]",
      "1 2",
      "[1.5]  x"};
  for (const std::string& input : inputs) {
    EXPECT_EQ(FastVersusExact(input, NumberPrecision::kFast),
              FastVersusExact(input, NumberPrecision::kExact))
        << "input: " << input;
  }
}

TEST(JsonFastParseTest, ArrayFloatsAreCloseToExact) {
  // Floats as Python prints them in face encodings.
  std::string json = "[";
  double exact_values[1000];
  uint64_t state = 12345;
  for (int i = 0; i < 1000; ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    exact_values[i] = (static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5) / 3.0;
    if (i > 0) json += ',';
    AppendShortestDouble(exact_values[i], json);
  }
  json += ']';
  auto fast = ParseJson(json, 0, NumberPrecision::kFast);
  ASSERT_TRUE(fast.ok()) << fast.status();
  int differing = 0;
  for (int i = 0; i < 1000; ++i) {
    const double value = (*fast)[static_cast<rapidjson::SizeType>(i)].GetDouble();
    EXPECT_NEAR(value, exact_values[i], std::fabs(exact_values[i]) * 1e-15);
    differing += value != exact_values[i];
  }
  std::printf("fast parse: %d of 1000 array floats differ from the exact value in the last bits\n",
              differing);
}

}  // namespace
}  // namespace sidecard::engine
