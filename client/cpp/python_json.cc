#include "client/cpp/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sidecard::ctl {

namespace {

void AppendEscapedCodeUnit(std::string& out, uint32_t unit) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", unit);
  out += buffer;
}

void AppendEscapedCodePoint(std::string& out, uint32_t code_point) {
  if (code_point < 0x10000) {
    AppendEscapedCodeUnit(out, code_point);
    return;
  }
  code_point -= 0x10000;
  AppendEscapedCodeUnit(out, 0xd800 + (code_point >> 10));
  AppendEscapedCodeUnit(out, 0xdc00 + (code_point & 0x3ff));
}

// The code point of the UTF-8 sequence at `text[at]` and its length, or 0
// bytes when it is not a valid one (overlong, surrogate, above U+10FFFF,
// cut short), as Python's strict UTF-8 decoder judges it.
std::pair<uint32_t, size_t> DecodeUtf8(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = 0;
  uint32_t code_point = 0;
  uint32_t minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, code_point = lead & 0x1f, minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, code_point = lead & 0x0f, minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, code_point = lead & 0x07, minimum = 0x10000;
  } else {
    return {0, 0};
  }
  if (at + length > text.size()) return {0, 0};
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return {0, 0};
    code_point = (code_point << 6) | (byte(at + i) & 0x3f);
  }
  if (code_point < minimum || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return {0, 0};
  }
  return {code_point, length};
}

}  // namespace

std::string PythonFloatRepr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // The shortest digits that read back as `value`, as Python's repr picks
  // them, then laid out by its rule: positional for exponents -4 to 15.
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  const size_t e = text.find('e');
  std::string sign;
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c == '-') sign = "-";
    if (c >= '0' && c <= '9') digits += c;
  }
  const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  if (exponent >= -4 && exponent < 16) {
    std::string out = sign;
    if (exponent < 0) {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else {
      const size_t whole = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= whole) {
        out += digits + std::string(whole - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, whole) + "." + digits.substr(whole);
      }
    }
    return out;
  }
  std::string out = sign + digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+',
                std::abs(exponent));
  return out + exponent_text;
}

void PythonJsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  out_ += level.members++ == 0 ? "\n" : ",\n";
  out_.append(2 * levels_.size(), ' ');
}

void PythonJsonWriter::Begin(char open) {
  BeforeValue();
  out_ += open;
  levels_.push_back({open == '{'});
}

void PythonJsonWriter::End(char close) {
  const bool empty = levels_.back().members == 0;
  levels_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * levels_.size(), ' ');
  }
  out_ += close;
}

void PythonJsonWriter::BeginObject() { Begin('{'); }
void PythonJsonWriter::EndObject() { End('}'); }
void PythonJsonWriter::BeginArray() { Begin('['); }
void PythonJsonWriter::EndArray() { End(']'); }

void PythonJsonWriter::Key(std::string_view key) {
  String(key);
  out_ += ": ";
  after_key_ = true;
}

void PythonJsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

void PythonJsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void PythonJsonWriter::Int(int64_t value) {
  BeforeValue();
  out_ += std::to_string(value);
}

void PythonJsonWriter::Double(double value) {
  BeforeValue();
  out_ += PythonFloatRepr(value);
}

void PythonJsonWriter::String(std::string_view text) {
  BeforeValue();
  out_ += '"';
  for (size_t at = 0; at < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        default:
          if (c < 0x20) {
            AppendEscapedCodeUnit(out_, c);
          } else {
            out_ += static_cast<char>(c);
          }
      }
      ++at;
      continue;
    }
    const auto [code_point, length] = DecodeUtf8(text, at);
    if (length == 0) {  // not UTF-8: os.fsdecode's surrogateescape
      AppendEscapedCodeUnit(out_, 0xdc00 + c);
      ++at;
      continue;
    }
    AppendEscapedCodePoint(out_, code_point);
    at += length;
  }
  out_ += '"';
}

std::string PythonJsonWriter::Take() {
  std::string text = std::move(out_);
  out_.clear();
  levels_.clear();
  after_key_ = false;
  return text;
}

}  // namespace sidecard::ctl
