#include "server/engine/formats/facts_scan.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "server/engine/formats/number_array_scan.h"

namespace sidecard::engine {
namespace {

using rapidjson::SizeType;

// ParseJson's nesting limit (serde_json's).
constexpr int kMaxDepth = 127;

// Numbers with a longer integer part or a larger positive exponent are left
// to ParseJson: below these bounds a value stays far inside the double range,
// so neither RapidJSON nor std::from_chars can find it too big.
constexpr ptrdiff_t kMaxIntegerDigits = 60;
constexpr int kMaxExponent = 200;

// How far a value lies below the outermost array that holds it: 0 outside
// arrays, 1 for an element, 2 for a member of an element object (or an
// element of an element array). The analysis reads values at levels 0 and
// 1 (their kind) and strings at level 2 (`class_name`); deeper values are only
// checked.
constexpr int kElementLevel = 1;
constexpr int kLastStoredLevel = 2;

int MemberLevel(int level) { return level == 0 ? 0 : level + 1; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Whether all 8 bytes of `word` are ASCII digits.
bool AllDigits(uint64_t word) {
  constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0u;
  constexpr uint64_t kZeros = 0x3030303030303030u;
  return (word & kHigh) == kZeros && ((word + 0x0606060606060606u) & kHigh) == kZeros;
}

// The end of the run of digits at `p` (a local pointer: a member would be
// reloaded after every byte read, as chars may alias it).
const char* SkipDigits(const char* p, const char* end) {
  while (end - p >= 8 && AllDigits(Load8(p))) p += 8;
  while (p != end && IsDigit(*p)) ++p;
  return p;
}

// The end of the whitespace at `p`; indentation comes in runs of spaces.
const char* SkipSpaces(const char* p, const char* end) {
  constexpr uint64_t kSpaces = 0x2020202020202020u;
  while (p != end && IsSpace(*p)) {
    ++p;
    while (end - p >= 8 && Load8(p) == kSpaces) p += 8;
  }
  return p;
}

// Bytes a string may hold as they are: printable ASCII except `"` and `\`.
constexpr std::array<bool, 256> kPlainStringBytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

const char* SkipPlainStringBytes(const char* p, const char* end) {
  while (p != end && kPlainStringBytes[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

bool InRange(char c, unsigned low, unsigned high) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= low && byte <= high;
}

// Length of the well-formed UTF-8 sequence (Unicode table 3-7) of at least
// two bytes at `p`, or 0.
size_t Utf8SequenceLength(const char* p, const char* end) {
  const auto lead = static_cast<unsigned char>(*p);
  const ptrdiff_t left = end - p;
  auto continuation = [&](ptrdiff_t i) { return i < left && InRange(p[i], 0x80, 0xBF); };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned high = lead == 0xED ? 0x9F : 0xBF;
    return left > 2 && InRange(p[1], low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;
    return left > 3 && InRange(p[1], low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

void AppendUtf8(unsigned code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// A recursive descent over the text that feeds the values the analysis
// reads to the Document's own handler.
class FactsScanner {
 public:
  FactsScanner(std::string_view text, rapidjson::Document& handler)
      : p_(text.data()), end_(text.data() + text.size()), handler_(handler) {}

  bool Run() {
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  static bool Stored(int level) { return level <= kLastStoredLevel; }

  void SkipSpace() { p_ = SkipSpaces(p_, end_); }

  bool Value(int level) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(level);
      case '[':
        return Array(level);
      case '"':
        return String(Stored(level), /*key=*/false);
      case 't':
        return Literal("true") && (!Stored(level) || handler_.Bool(true));
      case 'f':
        return Literal("false") && (!Stored(level) || handler_.Bool(false));
      case 'n':
        return Literal("null") && (!Stored(level) || handler_.Null());
      default:
        return Number(level);
    }
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool Enter() {
    ++p_;
    return ++depth_ <= kMaxDepth;
  }

  bool Object(int level) {
    if (!Enter()) return false;
    const bool store = Stored(level);
    const bool store_members = level < kLastStoredLevel;
    if (store) handler_.StartObject();
    SizeType count = 0;
    SkipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else {
      while (true) {
        if (p_ == end_ || *p_ != '"' || !String(store_members, /*key=*/true)) return false;
        SkipSpace();
        if (p_ == end_ || *p_ != ':') return false;
        ++p_;
        SkipSpace();
        if (!Value(store_members ? MemberLevel(level) : kLastStoredLevel + 1)) return false;
        ++count;
        bool closed = false;
        if (!AfterItem('}', closed)) return false;
        if (closed) break;
      }
    }
    --depth_;
    if (store) handler_.EndObject(store_members ? count : 0);
    return true;
  }

  // After a member or element: a comma (more follow) or the closing bracket
  // (`closed`); false on anything else.
  bool AfterItem(char close, bool& closed) {
    SkipSpace();
    if (p_ == end_) return false;
    if (*p_ == close) {
      ++p_;
      closed = true;
      return true;
    }
    if (*p_ != ',') return false;
    ++p_;
    SkipSpace();
    return true;
  }

  bool Array(int level) {
    if (!Enter()) return false;
    const bool store = Stored(level);
    const bool store_elements = level < kLastStoredLevel;
    if (store) handler_.StartArray();
    SizeType count = 0;
    SkipSpace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
    } else {
      const int element_level = level == 0 ? kElementLevel : level + 1;
      // Elements below the stored levels are only checked: runs of numbers
      // (face encodings) a block at a time, until that stops paying.
      bool check_numbers_in_blocks = !Stored(element_level);
      while (true) {
        if (check_numbers_in_blocks && p_ != end_ && (IsDigit(*p_) || *p_ == '-')) {
          const char* next = SkipCheckedNumberElements(p_, end_);
          check_numbers_in_blocks = next != p_;
          p_ = next;
        }
        if (!Value(element_level)) return false;
        ++count;
        bool closed = false;
        if (!AfterItem(']', closed)) return false;
        if (closed) break;
      }
    }
    --depth_;
    if (store) handler_.EndArray(store_elements ? count : 0);
    return true;
  }

  // At the opening quote.
  bool String(bool store, bool key) {
    const char* start = ++p_;
    p_ = SkipPlainStringBytes(p_, end_);
    if (p_ == end_) return false;
    if (*p_ == '"') {
      ++p_;
      return !store || Emit(start, static_cast<SizeType>(p_ - 1 - start), key);
    }
    scratch_.assign(start, p_);
    while (true) {
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (!Escape()) return false;
      } else if (c < 0x80) {
        scratch_ += static_cast<char>(c);
        ++p_;
      } else {
        const size_t length = Utf8SequenceLength(p_, end_);
        if (length == 0) return false;
        scratch_.append(p_, length);
        p_ += length;
      }
    }
    ++p_;
    return !store || Emit(scratch_.data(), static_cast<SizeType>(scratch_.size()), key);
  }

  bool Emit(const char* text, SizeType length, bool key) {
    return key ? handler_.Key(text, length, true) : handler_.String(text, length, true);
  }

  // At the backslash.
  bool Escape() {
    if (end_ - p_ < 2) return false;
    const char c = p_[1];
    p_ += 2;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        scratch_ += c;
        return true;
      case 'b':
        scratch_ += '\b';
        return true;
      case 'f':
        scratch_ += '\f';
        return true;
      case 'n':
        scratch_ += '\n';
        return true;
      case 'r':
        scratch_ += '\r';
        return true;
      case 't':
        scratch_ += '\t';
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    unsigned code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a lone low surrogate
    if (code >= 0xD800 && code <= 0xDBFF) {
      // A high surrogate must be followed by the escape of a low one.
      unsigned low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(code, scratch_);
    return true;
  }

  // Reads the 4 hex digits of a \u escape at p_.
  bool Hex4(unsigned& code) {
    if (end_ - p_ < 4) return false;
    for (int i = 0; i < 4; ++i) {
      const char h = p_[i];
      unsigned digit;
      if (IsDigit(h)) {
        digit = static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        digit = static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        digit = static_cast<unsigned>(h - 'A' + 10);
      } else {
        return false;
      }
      code = code * 16 + digit;
    }
    p_ += 4;
    return true;
  }

  bool Number(int level) {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    const char* integer_part = p_;
    if (p_ != end_ && *p_ == '0') {
      ++p_;
    } else {
      p_ = SkipDigits(p_, end_);
    }
    if (p_ == integer_part || p_ - integer_part > kMaxIntegerDigits) return false;
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      const char* fraction = ++p_;
      p_ = SkipDigits(p_, end_);
      if (p_ == fraction) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      bool negative = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) negative = *p_++ == '-';
      const char* digits = p_;
      int exponent = 0;
      while (p_ != end_ && IsDigit(*p_)) {
        if (exponent <= kMaxExponent) exponent = exponent * 10 + (*p_ - '0');
        ++p_;
      }
      if (p_ == digits || (!negative && exponent > kMaxExponent)) return false;
    }
    if (!Stored(level)) return true;
    if (level > 0) return handler_.Uint(0);
    return StoreNumber(std::string_view(start, static_cast<size_t>(p_ - start)), integer);
  }

  // Typed as ParseJson types it (serde_json): an integer literal that fits
  // u64 (or i64, when negative and not -0) is an integer, anything else a
  // double; the bounds above rule out overflow, so out of range is underflow.
  bool StoreNumber(std::string_view number, bool integer) {
    const char* first = number.data();
    const char* last = first + number.size();
    if (integer) {
      if (number.front() != '-') {
        uint64_t u = 0;
        if (std::from_chars(first, last, u).ec == std::errc()) return handler_.Uint64(u);
      } else {
        int64_t i = 0;
        if (std::from_chars(first, last, i).ec == std::errc() && i != 0) return handler_.Int64(i);
      }
    }
    double d = 0;
    if (std::from_chars(first, last, d).ec == std::errc::result_out_of_range) {
      d = number.front() == '-' ? -0.0 : 0.0;
    }
    return handler_.Double(d);
  }

  const char* p_;
  const char* const end_;
  rapidjson::Document& handler_;
  int depth_ = 0;
  std::string scratch_;
};

}  // namespace

bool ScanForFacts(std::string_view text, rapidjson::Document& document) {
  bool accepted = false;
  auto generate = [&](rapidjson::Document& handler) {
    accepted = FactsScanner(text, handler).Run();
    return accepted;
  };
  document.Populate(generate);
  return accepted;
}

}  // namespace sidecard::engine
