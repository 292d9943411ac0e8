// JSON text in and out, the way existing sidecar files are written.
//
// Parsing accepts any valid UTF-8 JSON text and keeps integers apart from
// floats. Writing produces the compact canonical form of the Rust writer that
// created the existing `.bin` files (serde_json over sorted maps):
// no whitespace, object keys sorted bytewise (a repeated key keeps its last
// value), `"` `\` and control characters escaped (`\b \t \n \f \r`, otherwise
// `\u00xx` in lowercase hex), non-ASCII written raw, `/` not escaped, floats in
// the shortest form that reads back to the same double (see
// shortest_double.h), integers as integers.
#ifndef SIDECARD_SERVER_ENGINE_FORMATS_JSON_TEXT_H_
#define SIDECARD_SERVER_ENGINE_FORMATS_JSON_TEXT_H_

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecard::engine {

// Parses `text` as one JSON value (surrounding whitespace allowed), accepting
// exactly what serde_json accepts (no BOM, nesting at most 127 deep, no lone
// surrogate escapes, no number beyond the double range). Numbers are typed as
// serde_json types them: an integer literal that fits u64 (or i64, when
// negative) is an integer; `-0`, larger integers and anything with a fraction
// or exponent is a double, correctly rounded (an underflow reads as zero).
// On failure returns InvalidArgument with a message of the form
// "invalid JSON at byte offset 40: missing a comma or '}' after an object
// member" or "invalid UTF-8 at byte offset 12"; offsets count from the start
// of `text` plus `offset_base` (callers decoding a `.bin` pass 8 so the offset
// is a file offset).
//
// `precision` kFast is for reading only (analysis): the same texts are
// accepted and refused with the same messages, and every number gets the same
// type, but a float inside an array may differ from the correctly rounded
// value in its last bits (it skips the exact conversion of the thousands of
// floats in face encodings). Floats that are not array elements (member
// values, the root) are still exact. Never write such a document back.
//
// `precision` kFactsOnly is for AnalyzeDocument only: the same texts are
// accepted and refused with the same messages and values outside arrays are
// as with kFast, but arrays keep only what the analysis reads of their
// elements (facts_scan.h), so the numbers in encodings are never converted.
enum class NumberPrecision { kExact, kFast, kFactsOnly };
absl::StatusOr<rapidjson::Document> ParseJson(std::string_view text, size_t offset_base = 0,
                                              NumberPrecision precision = NumberPrecision::kExact);

// Appends the canonical compact encoding of `value` to `out`.
void AppendCanonicalJson(const rapidjson::Value& value, std::string& out);

// Returns the canonical compact encoding of `value`.
std::string CanonicalJson(const rapidjson::Value& value);

// Returns `value` indented by two spaces with keys sorted, for `.json`
// sidecars and for people (same escaping and number rules as CanonicalJson,
// with ": " after keys).
std::string PrettyJson(const rapidjson::Value& value);

// A string value holding its own copy of `text`.
rapidjson::Value CopiedString(std::string_view text, rapidjson::Document::AllocatorType& allocator);

// Sets member `key` of `object` to `value`, replacing it or adding it.
void SetMember(rapidjson::Value& object, std::string_view key, rapidjson::Value value,
               rapidjson::Document::AllocatorType& allocator);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FORMATS_JSON_TEXT_H_
