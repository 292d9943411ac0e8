#include "server/engine/formats/json_text.h"

#include <rapidjson/error/error.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "common/json_escape.h"
#include "server/engine/formats/facts_scan.h"
#include "server/engine/formats/shortest_double.h"

namespace sidecard::engine {
namespace {

using rapidjson::SizeType;

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

// Numbers arrive as text (kParseNumbersAsStringsFlag) so that DocumentBuilder
// can type them exactly as serde_json does; see ParseNumber.
constexpr unsigned kExactParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;
// RapidJSON converts numbers itself (fast, floats not always correctly
// rounded); DocumentBuilder fixes the types where they differ from serde_json
// and converts again from the text where exactness is promised.
constexpr unsigned kFastParseFlags = rapidjson::kParseValidateEncodingFlag;

// Beyond this a fast float might be a correctly rounded overflow, which the
// exact parse refuses: the fast parse gives up and the exact one decides.
constexpr double kLargestFastDouble = 1.7e308;

// serde_json refuses to nest deeper than this, and the Rust tool read every
// existing sidecar with serde_json. The limit also keeps the recursive
// parser and writer far from the end of the stack on hostile input.
constexpr int kMaxDepth = 127;

struct ParseFailure {
  size_t offset;  // within the parsed text
  std::string message;
  bool invalid_utf8 = false;  // reported as such, without `message`
};

std::string_view DescribeParseError(rapidjson::ParseErrorCode code) {
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty:
      return "the document is empty";
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "the document root must not be followed by other values";
    case rapidjson::kParseErrorValueInvalid:
      return "invalid value";
    case rapidjson::kParseErrorObjectMissName:
      return "missing a name for object member";
    case rapidjson::kParseErrorObjectMissColon:
      return "missing a colon after a name of object member";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket:
      return "missing a comma or '}' after an object member";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket:
      return "missing a comma or ']' after an array element";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex:
      return "incorrect hex digit after \\u escape in string";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return "the surrogate pair in string is invalid";
    case rapidjson::kParseErrorStringEscapeInvalid:
      return "invalid escape character in string";
    case rapidjson::kParseErrorStringMissQuotationMark:
      return "missing a closing quotation mark in string";
    case rapidjson::kParseErrorNumberTooBig:
      return "number too big to be stored in double";
    case rapidjson::kParseErrorNumberMissFraction:
      return "missing fraction part in number";
    case rapidjson::kParseErrorNumberMissExponent:
      return "missing exponent in number";
    default:
      return "syntax error";
  }
}

// RapidJSON's message for a few errors is misleading when the culprit is a
// raw control byte: MemoryStream reports a NUL byte as the end of the text,
// and an unescaped control character inside a string as a bad escape.
std::string_view DescribeParseError(rapidjson::ParseErrorCode code, std::string_view text,
                                    size_t offset) {
  if (offset < text.size()) {
    const auto byte = static_cast<unsigned char>(text[offset]);
    const bool in_string = code == rapidjson::kParseErrorStringEscapeInvalid ||
                           code == rapidjson::kParseErrorStringMissQuotationMark;
    if (in_string && byte < 0x20) return "unescaped control character in string";
    if (code == rapidjson::kParseErrorDocumentEmpty) return "invalid value";
  }
  return DescribeParseError(code);
}

// From std::from_chars, "out of range" means either overflow or underflow.
// Returns whether `number` (valid JSON number syntax) is huge rather than tiny:
// whether its first significant digit lies left of the decimal point once the
// exponent is applied. Only called for numbers with a nonzero digit.
bool IsHuge(std::string_view number) {
  const size_t e = number.find_first_of("eE");
  std::string_view mantissa = number.substr(0, e);
  if (mantissa.front() == '-') mantissa.remove_prefix(1);
  const size_t point = std::min(mantissa.find('.'), mantissa.size());
  const size_t first = mantissa.find_first_not_of("0.");
  // The value is 0.d... × 10^position before the exponent.
  int64_t position = first < point ? static_cast<int64_t>(point - first)
                                   : -static_cast<int64_t>(first - point - 1);

  if (e != std::string_view::npos) {
    std::string_view exponent = number.substr(e + 1);
    if (exponent.front() == '+') exponent.remove_prefix(1);
    int64_t value = 0;
    const auto result = std::from_chars(exponent.data(), exponent.data() + exponent.size(), value);
    // An exponent this far out dwarfs any mantissa (the position is at most
    // the text's length): only its sign matters. Clamping it keeps the sum
    // below from overflowing (UBSan: `0.01e-9223372036854775808` did).
    constexpr int64_t kFarOut = INT64_MAX / 2;
    if (result.ec == std::errc::result_out_of_range) {
      value = exponent.front() == '-' ? -kFarOut : kFarOut;
    }
    position += std::clamp(value, -kFarOut, kFarOut);
  }
  return position > 0;
}

// Receives RapidJSON's parse events and builds the document through the
// Document's own handler, adding what RapidJSON does not do by itself:
// serde_json's number typing, rejection of unpaired surrogate escapes (which
// RapidJSON would store as invalid UTF-8) and the nesting limit.
class DocumentBuilder {
 public:
  DocumentBuilder(rapidjson::Document& document, const rapidjson::MemoryStream& stream,
                  std::string_view text)
      : document_(document), stream_(stream), text_(text) {}

  const std::optional<ParseFailure>& failure() const { return failure_; }

  bool Null() { return document_.Null(); }
  bool Bool(bool b) { return document_.Bool(b); }
  // With kParseNumbersAsStringsFlag (exact) every number arrives through
  // RawNumber; the fast parse delivers RapidJSON's own conversions here.
  // RapidJSON types integers as serde_json does except `-0`, the only
  // number that arrives as Int(0) (non-negative ones come through Uint).
  bool Int(int i) { return i == 0 ? Double(-0.0) : document_.Int(i); }
  bool Uint(unsigned u) { return document_.Uint(u); }
  bool Int64(int64_t i) { return document_.Int64(i); }
  bool Uint64(uint64_t u) { return document_.Uint64(u); }
  bool Double(double d) {
    if (!(std::fabs(d) <= kLargestFastDouble)) return Fail(stream_.Tell(), "number near overflow");
    if (in_array_[depth_]) return document_.Double(d);
    return ParseNumber(NumberEndingAt(stream_.Tell()));
  }

  bool RawNumber(const char* text, SizeType length, bool /*copy*/) {
    return ParseNumber(std::string_view(text, length));
  }
  bool String(const char* text, SizeType length, bool copy) {
    return CheckSurrogates(text, length) && document_.String(text, length, copy);
  }
  bool Key(const char* text, SizeType length, bool copy) {
    return CheckSurrogates(text, length) && document_.Key(text, length, copy);
  }

  bool StartObject() {
    if (!Enter()) return false;
    in_array_[depth_] = false;
    return document_.StartObject();
  }
  bool EndObject(SizeType member_count) {
    --depth_;
    return document_.EndObject(member_count);
  }
  bool StartArray() {
    if (!Enter()) return false;
    in_array_[depth_] = true;
    return document_.StartArray();
  }
  bool EndArray(SizeType element_count) {
    --depth_;
    return document_.EndArray(element_count);
  }

 private:
  bool Fail(size_t offset, std::string message) {
    failure_ = ParseFailure{offset, std::move(message)};
    return false;
  }

  // Called just after the opening '{' or '['.
  bool Enter() {
    if (++depth_ <= kMaxDepth) return true;
    return Fail(stream_.Tell() - 1, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  // The text of the number that ends at `end` (numbers are ASCII and always
  // follow a character that cannot be part of one).
  std::string_view NumberEndingAt(size_t end) const {
    size_t begin = end;
    while (begin > 0 &&
           std::string_view("0123456789+-.eE").find(text_[begin - 1]) != std::string_view::npos) {
      --begin;
    }
    return text_.substr(begin, end - begin);
  }

  // serde_json keeps an integer literal an integer when it fits u64 (i64 when
  // negative); "-0", bigger integers, fractions and exponents become doubles.
  // Doubles are rounded correctly; one too big for a double is an error and
  // one too small becomes zero, as in serde_json and RapidJSON.
  bool ParseNumber(std::string_view number) {
    const char* first = number.data();
    const char* last = first + number.size();
    if (number.find_first_of(".eE") == std::string_view::npos) {
      if (number.front() != '-') {
        uint64_t u = 0;
        if (std::from_chars(first, last, u).ec == std::errc()) return document_.Uint64(u);
      } else {
        int64_t i = 0;
        if (std::from_chars(first, last, i).ec == std::errc() && i != 0) {
          return document_.Int64(i);
        }
      }
    }
    double d = 0;
    if (std::from_chars(first, last, d).ec == std::errc::result_out_of_range) {
      if (IsHuge(number)) {
        // The number has just been read, so it ends at the stream position.
        return Fail(stream_.Tell() - number.size(), "number too big to be stored in double");
      }
      d = number.front() == '-' ? -0.0 : 0.0;
    }
    return document_.Double(d);
  }

  // A \u escape of a lone low surrogate (U+DC00..U+DFFF) comes out of
  // RapidJSON as the bytes ED B0..BF xx, which no valid UTF-8 input contains.
  bool CheckSurrogates(const char* text, SizeType length) {
    const std::string_view decoded(text, length);
    for (size_t i = 0; i + 1 < decoded.size(); ++i) {
      if (static_cast<unsigned char>(decoded[i]) == 0xED &&
          static_cast<unsigned char>(decoded[i + 1]) >= 0xA0) {
        return Fail(LoneSurrogateOffset(), "unpaired surrogate in \\u escape in string");
      }
    }
    return true;
  }

  // Locates the offending escape in the raw text of the string just read,
  // which ends with the closing quote right before the stream position.
  size_t LoneSurrogateOffset() const {
    const size_t end = stream_.Tell() - 1;
    size_t i = OpeningQuote(end) + 1;
    while (i < end) {
      if (text_[i] != '\\') {
        ++i;
      } else if (text_[i + 1] != 'u') {
        i += 2;
      } else {
        unsigned code = 0;
        std::from_chars(text_.data() + i + 2, text_.data() + i + 6, code, 16);
        if (code >= 0xDC00 && code <= 0xDFFF) return i;
        // A high surrogate is always followed by its low half (RapidJSON
        // checks that), so skip both escapes.
        i += (code >= 0xD800 && code <= 0xDBFF) ? 12 : 6;
      }
    }
    return end;  // not reached for text RapidJSON accepted
  }

  // The opening quote of the string whose closing quote is at `closing`: the
  // nearest earlier quote not escaped by an odd run of backslashes.
  size_t OpeningQuote(size_t closing) const {
    size_t i = closing;
    while (i > 0) {
      --i;
      if (text_[i] != '"') continue;
      size_t backslashes = 0;
      while (backslashes < i && text_[i - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return 0;
  }

  rapidjson::Document& document_;
  const rapidjson::MemoryStream& stream_;
  std::string_view text_;
  int depth_ = 0;
  // Per nesting level: the container is an array (level 0: the root).
  std::bitset<kMaxDepth + 1> in_array_;
  std::optional<ParseFailure> failure_;
};

// Runs the reader over `text` into `document`; nullopt on success.
template <unsigned kParseFlags>
std::optional<ParseFailure> ParseInto(std::string_view text, rapidjson::Document& document) {
  // MemoryStream (not StringStream) because `text` need not be NUL-terminated;
  // unlike Document::Parse(str, length) it also does not skip a BOM.
  rapidjson::MemoryStream stream(text.data(), text.size());
  std::optional<ParseFailure> failure;
  auto generate = [&](rapidjson::Document& handler) {
    DocumentBuilder builder(handler, stream, text);
    rapidjson::Reader reader;
    const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, builder);
    if (builder.failure()) {
      failure = builder.failure();
    } else if (result.Code() == rapidjson::kParseErrorStringInvalidEncoding) {
      failure = ParseFailure{result.Offset(), "", /*invalid_utf8=*/true};
    } else if (result.IsError()) {
      failure = ParseFailure{result.Offset(),
                             std::string(DescribeParseError(result.Code(), text, result.Offset()))};
    } else if (stream.Tell() < text.size()) {
      // MemoryStream shows a NUL byte as the end of input, so the reader
      // stopped early at one.
      failure = ParseFailure{
          stream.Tell(),
          std::string(DescribeParseError(rapidjson::kParseErrorDocumentRootNotSingular))};
    }
    return !failure.has_value();
  };
  document.Populate(generate);
  return failure;
}

absl::Status ParseError(const ParseFailure& failure, size_t offset_base) {
  const size_t offset = offset_base + failure.offset;
  if (failure.invalid_utf8) {
    return absl::InvalidArgumentError("invalid UTF-8 at byte offset " + std::to_string(offset));
  }
  return absl::InvalidArgumentError("invalid JSON at byte offset " + std::to_string(offset) + ": " +
                                    failure.message);
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

std::string_view KeyOf(const rapidjson::Value::Member* member) {
  return std::string_view(member->name.GetString(), member->name.GetStringLength());
}

// Object members in output order: sorted by the bytes of their keys, and of
// a repeated key only the last, as in the BTreeMap the Rust tool built.
std::vector<const rapidjson::Value::Member*> SortedMembers(const rapidjson::Value& object) {
  std::vector<const rapidjson::Value::Member*> members;
  members.reserve(object.MemberCount());
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) members.push_back(&*it);
  // Stable, so that the last of equal keys is also last in its run.
  std::stable_sort(members.begin(), members.end(),
                   [](auto* a, auto* b) { return KeyOf(a) < KeyOf(b); });
  std::vector<const rapidjson::Value::Member*> unique;
  unique.reserve(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (i + 1 == members.size() || KeyOf(members[i]) != KeyOf(members[i + 1])) {
      unique.push_back(members[i]);
    }
  }
  return unique;
}

template <typename Integer>
void AppendInteger(Integer value, std::string& out) {
  std::array<char, 24> buffer;
  out.append(buffer.data(), std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr);
}

void AppendNumber(const rapidjson::Value& number, std::string& out) {
  if (number.IsUint64()) {
    AppendInteger(number.GetUint64(), out);
  } else if (number.IsInt64()) {
    AppendInteger(number.GetInt64(), out);
  } else {
    AppendShortestDouble(number.GetDouble(), out);
  }
}

// Writes values compactly, or laid out like serde_json's PrettyFormatter
// (two-space indent, ": " after keys, empty containers on one line).
class JsonWriter {
 public:
  JsonWriter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}

  void Write(const rapidjson::Value& value, int depth) {
    switch (value.GetType()) {
      case rapidjson::kNullType:
        out_ += "null";
        break;
      case rapidjson::kFalseType:
        out_ += "false";
        break;
      case rapidjson::kTrueType:
        out_ += "true";
        break;
      case rapidjson::kNumberType:
        AppendNumber(value, out_);
        break;
      case rapidjson::kStringType:
        AppendJsonString(std::string_view(value.GetString(), value.GetStringLength()), out_);
        break;
      case rapidjson::kArrayType:
        WriteArray(value, depth);
        break;
      case rapidjson::kObjectType:
        WriteObject(value, depth);
        break;
    }
  }

 private:
  void WriteArray(const rapidjson::Value& array, int depth) {
    out_ += '[';
    bool first = true;
    for (const rapidjson::Value& element : array.GetArray()) {
      StartItem(first, depth + 1);
      Write(element, depth + 1);
    }
    EndContainer(first, depth);
    out_ += ']';
  }

  void WriteObject(const rapidjson::Value& object, int depth) {
    out_ += '{';
    bool first = true;
    for (const rapidjson::Value::Member* member : SortedMembers(object)) {
      StartItem(first, depth + 1);
      AppendJsonString(KeyOf(member), out_);
      out_ += pretty_ ? ": " : ":";
      Write(member->value, depth + 1);
    }
    EndContainer(first, depth);
    out_ += '}';
  }

  void StartItem(bool& first, int depth) {
    if (!first) out_ += ',';
    first = false;
    NewLine(depth);
  }

  // `empty` is still true when the container had no items: "[]" and "{}".
  void EndContainer(bool empty, int depth) {
    if (!empty) NewLine(depth);
  }

  void NewLine(int depth) {
    if (!pretty_) return;
    out_ += '\n';
    out_.append(2 * static_cast<size_t>(depth), ' ');
  }

  std::string& out_;
  const bool pretty_;
};

}  // namespace

absl::StatusOr<rapidjson::Document> ParseJson(std::string_view text, size_t offset_base,
                                              NumberPrecision precision) {
  if (precision == NumberPrecision::kFactsOnly) {
    rapidjson::Document document;
    if (ScanForFacts(text, document)) return document;
    // Unsure (an error, or a rare text the scan leaves alone): as kFast.
  }
  if (precision != NumberPrecision::kExact) {
    rapidjson::Document document;
    if (!ParseInto<kFastParseFlags>(text, document)) return document;
    // Refused: the exact parse words the error (or accepts one of the rare
    // numbers near overflow the fast parse gives up on).
  }
  rapidjson::Document document;
  if (std::optional<ParseFailure> failure = ParseInto<kExactParseFlags>(text, document)) {
    return ParseError(*failure, offset_base);
  }
  return document;
}

void AppendCanonicalJson(const rapidjson::Value& value, std::string& out) {
  JsonWriter(out, /*pretty=*/false).Write(value, 0);
}

std::string CanonicalJson(const rapidjson::Value& value) {
  std::string out;
  AppendCanonicalJson(value, out);
  return out;
}

std::string PrettyJson(const rapidjson::Value& value) {
  std::string out;
  JsonWriter(out, /*pretty=*/true).Write(value, 0);
  return out;
}

rapidjson::Value CopiedString(std::string_view text,
                              rapidjson::Document::AllocatorType& allocator) {
  return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

void SetMember(rapidjson::Value& object, std::string_view key, rapidjson::Value value,
               rapidjson::Document::AllocatorType& allocator) {
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(CopiedString(key, allocator), value, allocator);
  }
}

}  // namespace sidecard::engine
