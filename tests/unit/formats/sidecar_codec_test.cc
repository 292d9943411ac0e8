#include "server/engine/formats/sidecar_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "server/engine/formats/json_text.h"

namespace sidecard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kFaceBody =
    R"({"faces":[],"sidecar_info":{"operation_type":"face_detection"}})";

// An 8-byte little-endian length header followed by `tail`.
std::string WithHeader(uint64_t length, std::string_view tail) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xFF);
  out += tail;
  return out;
}

// A well-formed .bin file for `body`.
std::string BinFile(std::string_view body) { return WithHeader(body.size(), body); }

rapidjson::Document Parse(std::string_view json) {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json);
  EXPECT_TRUE(document.ok()) << document.status();
  return document.ok() ? std::move(*document) : rapidjson::Document();
}

std::string DecodeError(SidecarFormat format, std::string_view bytes) {
  absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(format, bytes);
  if (decoded.ok()) return "decoded: " + CanonicalJson(decoded->document);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(decoded.status().message());
}

// ---------------------------------------------------------------------------
// Format names
// ---------------------------------------------------------------------------

TEST(CodecFormatTest, NamesRoundTrip) {
  for (SidecarFormat format : {SidecarFormat::kBin, SidecarFormat::kRkyv, SidecarFormat::kJson}) {
    EXPECT_EQ(FormatFromName(FormatName(format)), format);
  }
  EXPECT_EQ(FormatName(SidecarFormat::kBin), "bin");
  EXPECT_EQ(FormatName(SidecarFormat::kRkyv), "rkyv");
  EXPECT_EQ(FormatName(SidecarFormat::kJson), "json");
}

TEST(CodecFormatTest, FromNameIsCaseInsensitive) {
  EXPECT_EQ(FormatFromName("BIN"), SidecarFormat::kBin);
  EXPECT_EQ(FormatFromName("Rkyv"), SidecarFormat::kRkyv);
  EXPECT_EQ(FormatFromName("jSoN"), SidecarFormat::kJson);
  EXPECT_EQ(FormatFromName(".bin"), std::nullopt);
  EXPECT_EQ(FormatFromName("txt"), std::nullopt);
  EXPECT_EQ(FormatFromName(""), std::nullopt);
}

TEST(CodecFormatTest, ReadPriorityPrefersBinThenRkyvThenJson) {
  EXPECT_EQ(ReadPriority(SidecarFormat::kBin), 0);
  EXPECT_EQ(ReadPriority(SidecarFormat::kRkyv), 1);
  EXPECT_EQ(ReadPriority(SidecarFormat::kJson), 2);
}

// ---------------------------------------------------------------------------
// The known 71-byte file (docs/CONTRACT.md §2)
// ---------------------------------------------------------------------------

TEST(CodecBinTest, KnownFaceDetectionFile) {
  const std::string file = std::string("\x3f\0\0\0\0\0\0\0", 8) + std::string(kFaceBody);
  ASSERT_EQ(file.size(), 71u);

  absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(SidecarFormat::kBin, file);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(decoded->warnings, IsEmpty());
  ASSERT_TRUE(decoded->document.IsObject());
  EXPECT_STREQ(decoded->document["sidecar_info"]["operation_type"].GetString(), "face_detection");
  EXPECT_TRUE(decoded->document["faces"].IsArray());

  // Keys given out of order are written sorted, giving the same bytes.
  const rapidjson::Document unsorted =
      Parse(R"({"sidecar_info":{"operation_type":"face_detection"},"faces":[]})");
  const std::string encoded = EncodeSidecar(SidecarFormat::kBin, unsorted);
  EXPECT_EQ(encoded.size(), 71u);
  EXPECT_EQ(encoded, file);
  EXPECT_EQ(EncodeSidecar(SidecarFormat::kBin, decoded->document), file);
}

// ---------------------------------------------------------------------------
// Byte-exact .bin bodies
// ---------------------------------------------------------------------------

struct CanonicalCase {
  const char* name;
  std::string input;
  std::string body;
};

std::vector<CanonicalCase> CanonicalCases() {
  std::string floats_in = "[";
  std::string floats_out = "[";
  for (int i = 0; i < 512; ++i) {
    const char* sep = i > 0 ? "," : "";
    // i/4 is exact: .0, .25, .5, .75, written with a mandatory fraction.
    static constexpr const char* kQuarters[] = {".0", ".25", ".5", ".75"};
    floats_in += sep + std::to_string(i / 4) + kQuarters[i % 4] + "0";
    floats_out += sep + std::to_string(i / 4) + kQuarters[i % 4];
  }
  floats_in += "]";
  floats_out += "]";
  return {
      {"unicode", "{\"t\":\"caf\\u00e9 日本 😀\",\"a\":\"é\"}",
       "{\"a\":\"é\",\"t\":\"café 日本 😀\"}"},
      {"escapes", R"({"s":"\"\\\n\t\u0001\u001f\u007f\/x"})",
       "{\"s\":\"\\\"\\\\\\n\\t\\u0001\\u001f\x7f/x\"}"},
      {"nested",
       R"({"z":{"y":[{"b":1,"a":{"d":[],"c":{}}}],"x":null},"a":[[{"k":true,"j":false}]]})",
       R"({"a":[[{"j":false,"k":true}]],"z":{"x":null,"y":[{"a":{"c":{},"d":[]},"b":1}]}})"},
      {"duplicates", R"({"a":1,"a":{"x":1,"x":2},"b":[{"c":0,"c":"last"}]})",
       R"({"a":{"x":2},"b":[{"c":"last"}]})"},
      {"integers", R"({"n":[0,-1,18446744073709551615,-9223372036854775808]})",
       R"({"n":[0,-1,18446744073709551615,-9223372036854775808]})"},
      {"floats", R"({"f":[0.5,1.0,1e-7,1.0E-7,100.0,-2.50]})",
       R"({"f":[0.5,1.0,1e-7,1e-7,100.0,-2.5]})"},
      {"512 floats", floats_in, floats_out},
      {"big integer", R"({"big":123456789012345678901234567890})",
       R"({"big":1.2345678901234568e29})"},
      {"face", R"({"sidecar_info":{"operation_type":"face_detection"},"faces":[]})",
       std::string(kFaceBody)},
  };
}

TEST(CodecBinTest, CanonicalBodies) {
  for (const CanonicalCase& c : CanonicalCases()) {
    SCOPED_TRACE(c.name);
    const std::string encoded = EncodeSidecar(SidecarFormat::kBin, Parse(c.input));
    EXPECT_EQ(encoded, BinFile(c.body));
    // Canonical bytes decode and re-encode to themselves.
    absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(SidecarFormat::kBin, encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(EncodeSidecar(SidecarFormat::kBin, decoded->document), encoded);
  }
}

TEST(CodecBinTest, RkyvIsEncodedLikeBin) {
  for (const CanonicalCase& c : CanonicalCases()) {
    SCOPED_TRACE(c.name);
    const rapidjson::Document document = Parse(c.input);
    EXPECT_EQ(EncodeSidecar(SidecarFormat::kRkyv, document),
              EncodeSidecar(SidecarFormat::kBin, document));
  }
}

// ---------------------------------------------------------------------------
// Corrupt .bin / .rkyv files
// ---------------------------------------------------------------------------

TEST(CodecBinTest, TooShortForTheHeader) {
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, ""),
            "too short: 0 bytes, a .bin file needs an 8-byte length header");
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, "\x01"),
            "too short: 1 byte, a .bin file needs an 8-byte length header");
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, std::string_view("\x05\0\0\0\0", 5)),
            "too short: 5 bytes, a .bin file needs an 8-byte length header");
  EXPECT_EQ(DecodeError(SidecarFormat::kRkyv, "abcdefg"),
            "too short: 7 bytes, a .rkyv file needs an 8-byte length header");
}

TEST(CodecBinTest, LengthBeyondTheFile) {
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, WithHeader(1000, kFaceBody)),
            "length header says 1000 bytes but only 63 follow");
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, WithHeader(UINT64_MAX, "{}")),
            "length header says 18446744073709551615 bytes but only 2 follow");
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, WithHeader(1, "")),
            "length header says 1 byte but only 0 follow");
}

TEST(CodecBinTest, EmptyBody) {
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, WithHeader(0, "")),
            "invalid JSON at byte offset 8: the document is empty");
}

TEST(CodecBinTest, InvalidUtf8InBodyNamesTheFileOffset) {
  // The 0xff is at body offset 6, file offset 14.
  const std::string error = DecodeError(SidecarFormat::kBin, BinFile("{\"a\":\"\xff\"}"));
  EXPECT_THAT(error, ::testing::HasSubstr("invalid UTF-8"));
  EXPECT_EQ(error, "invalid UTF-8 at byte offset 14");
}

TEST(CodecBinTest, BadJsonNamesTheFileOffset) {
  // The missing comma is noticed at body offset 7, file offset 15.
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, BinFile(R"({"a":1 "b":2})")),
            "invalid JSON at byte offset 15: missing a comma or '}' after an object member");
  EXPECT_EQ(DecodeError(SidecarFormat::kRkyv, BinFile(R"({"a":1 "b":2})")),
            "invalid JSON at byte offset 15: missing a comma or '}' after an object member");
}

TEST(CodecBinTest, GarbageInsideTheBodyIsAnError) {
  // The length covers the garbage, so it is part of the JSON text.
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, BinFile("{} xx")),
            "invalid JSON at byte offset 11: the document root must not be followed by other "
            "values");
}

TEST(CodecBinTest, TrailingBytesAreAWarning) {
  const std::string file = BinFile(kFaceBody) + "junk\n";
  absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(SidecarFormat::kBin, file);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(decoded->warnings, ElementsAre("5 trailing bytes after the 63-byte body"));
  EXPECT_EQ(CanonicalJson(decoded->document), kFaceBody);

  decoded = DecodeSidecar(SidecarFormat::kBin, BinFile("[]") + std::string(1, '\0'));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(decoded->warnings, ElementsAre("1 trailing byte after the 2-byte body"));
}

TEST(CodecBinTest, RkyvDecodesLikeBin) {
  const std::string file = BinFile(kFaceBody);
  absl::StatusOr<DecodedSidecar> bin = DecodeSidecar(SidecarFormat::kBin, file);
  absl::StatusOr<DecodedSidecar> rkyv = DecodeSidecar(SidecarFormat::kRkyv, file);
  ASSERT_TRUE(bin.ok());
  ASSERT_TRUE(rkyv.ok());
  EXPECT_EQ(rkyv->document, bin->document);
  EXPECT_THAT(rkyv->warnings, IsEmpty());
  EXPECT_EQ(DecodeError(SidecarFormat::kRkyv, WithHeader(9, "{}")),
            "length header says 9 bytes but only 2 follow");
}

TEST(CodecBinTest, NonObjectBodiesDecode) {
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, BinFile("42")), "decoded: 42");
  EXPECT_EQ(DecodeError(SidecarFormat::kBin, BinFile("[1,2.5]")), "decoded: [1,2.5]");
  EXPECT_EQ(DecodeError(SidecarFormat::kRkyv, BinFile("\"s\"")), "decoded: \"s\"");
}

TEST(CodecBinTest, ToleratesWhitespaceInBody) {
  // Not what the Rust writer produces, but valid JSON the old reader accepted.
  absl::StatusOr<DecodedSidecar> decoded =
      DecodeSidecar(SidecarFormat::kBin, BinFile(" {\n  \"b\": 1, \"a\": 2\n}\n"));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(EncodeSidecar(SidecarFormat::kBin, decoded->document), BinFile(R"({"a":2,"b":1})"));
}

// ---------------------------------------------------------------------------
// .json files
// ---------------------------------------------------------------------------

TEST(CodecJsonTest, EncodesPrettyWithNewline) {
  EXPECT_EQ(EncodeSidecar(SidecarFormat::kJson, Parse(kFaceBody)),
            "{\n"
            "  \"faces\": [],\n"
            "  \"sidecar_info\": {\n"
            "    \"operation_type\": \"face_detection\"\n"
            "  }\n"
            "}\n");
}

TEST(CodecJsonTest, DecodesAnyLayout) {
  absl::StatusOr<DecodedSidecar> decoded =
      DecodeSidecar(SidecarFormat::kJson, "{\n    \"b\": [1, 2],\n    \"a\": 0.5\n}\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(decoded->warnings, IsEmpty());
  EXPECT_EQ(CanonicalJson(decoded->document), R"({"a":0.5,"b":[1,2]})");
}

TEST(CodecJsonTest, TrailingGarbageIsAnError) {
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, "{\"a\": 1}\n}"),
            "invalid JSON at byte offset 9: the document root must not be followed by other "
            "values");
}

TEST(CodecJsonTest, ErrorsUseFileOffsets) {
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, "{\"a\": \"\xc3(\"}"),
            "invalid UTF-8 at byte offset 7");
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, ""),
            "invalid JSON at byte offset 0: the document is empty");
}

TEST(CodecJsonTest, ByteOrderMarkIsSkippedWithAWarning) {
  absl::StatusOr<DecodedSidecar> decoded =
      DecodeSidecar(SidecarFormat::kJson, "\xEF\xBB\xBF{\"a\": 1}\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(CanonicalJson(decoded->document), R"({"a":1})");
  EXPECT_THAT(decoded->warnings,
              ElementsAre("skipped a UTF-8 byte order mark at the start of the file"));
  // Offsets still count the mark.
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, "\xEF\xBB\xBF{\"a\" 1}"),
            "invalid JSON at byte offset 8: missing a colon after a name of object member");
}

TEST(CodecJsonTest, NonObjectDecodes) {
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, "[1, 2]\n"), "decoded: [1,2]");
  EXPECT_EQ(DecodeError(SidecarFormat::kJson, "3.25"), "decoded: 3.25");
}

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

TEST(CodecRoundTripTest, DecodeOfEncodeIsTheDocument) {
  for (SidecarFormat format : {SidecarFormat::kBin, SidecarFormat::kRkyv, SidecarFormat::kJson}) {
    for (const CanonicalCase& c : CanonicalCases()) {
      SCOPED_TRACE(std::string(FormatName(format)) + " " + c.name);
      // Without repeated keys, so that the document compares equal to itself.
      const rapidjson::Document document = Parse(c.body);
      absl::StatusOr<DecodedSidecar> decoded =
          DecodeSidecar(format, EncodeSidecar(format, document));
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_THAT(decoded->warnings, IsEmpty());
      EXPECT_EQ(decoded->document, document);
      EXPECT_EQ(CanonicalJson(decoded->document), c.body);
    }
  }
}

TEST(CodecRoundTripTest, EncodeOfDecodeIsTheBytes) {
  for (const CanonicalCase& c : CanonicalCases()) {
    SCOPED_TRACE(c.name);
    for (SidecarFormat format : {SidecarFormat::kBin, SidecarFormat::kRkyv}) {
      const std::string file = BinFile(c.body);
      absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(format, file);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_EQ(EncodeSidecar(format, decoded->document), file);
    }
    const std::string pretty = PrettyJson(Parse(c.body)) + "\n";
    absl::StatusOr<DecodedSidecar> decoded = DecodeSidecar(SidecarFormat::kJson, pretty);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(EncodeSidecar(SidecarFormat::kJson, decoded->document), pretty);
  }
}

}  // namespace
}  // namespace sidecard::engine
