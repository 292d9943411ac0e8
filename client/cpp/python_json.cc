#include "client/cpp/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "client/cpp/utf8.h"
#include "common/json_escape.h"

namespace sidecard {

namespace {

// `\uxxxx`, lowercase as Python writes it; `unit` is below 0x10000.
void AppendEscapedCodeUnit(std::string& out, uint32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (const int shift : {12, 8, 4, 0}) out += kHex[(unit >> shift) & 0xf];
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

}  // namespace

void AppendPythonJsonString(std::string_view text, std::string& out) {
  out += '"';
  size_t ascii_from = 0;
  for (size_t at = 0; at < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) {
      ++at;
      continue;
    }
    // ASCII is escaped as serde_json and Python both escape it.
    AppendJsonEscaped(text.substr(ascii_from, at - ascii_from), out);
    const auto [code_point, length] = DecodeUtf8At(text, at);
    if (length == 0) {  // not UTF-8: os.fsdecode's surrogateescape
      AppendEscapedCodeUnit(out, 0xdc00 + c);
      ++at;
    } else {
      AppendEscapedCodePoint(out, code_point);
      at += length;
    }
    ascii_from = at;
  }
  AppendJsonEscaped(text.substr(ascii_from), out);
  out += '"';
}

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
  AppendPythonJsonString(text, out_);
}

std::string PythonJsonWriter::Take() {
  std::string text = std::move(out_);
  out_.clear();
  levels_.clear();
  after_key_ = false;
  return text;
}

}  // namespace sidecard
