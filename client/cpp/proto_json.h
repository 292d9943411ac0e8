// Protocol buffer messages as JSON for scripts (`sidecarctl --json`).
//
// Unlike protobuf's own JSON printer, the output is shaped for shell scripts
// and jq rather than for round-tripping:
// - field names are the proto (snake_case) names, fields in declaration order;
// - every scalar and repeated field is printed, even when it holds the default
//   value, so a script always finds its key (zeros, "", false, []);
// - 64-bit integers are JSON numbers, not strings;
// - enums are their value name with the type prefix stripped and lowercased
//   (`SIDECAR_FORMAT_BIN` -> "bin"); a value the descriptor does not know is
//   printed as its number;
// - maps are objects with their keys sorted;
// - an unset singular message field is `null`; a oneof member is printed only
//   when it is the one set;
// - bytes fields are left out (the text of a path is in its `path` field);
// - floating-point values use the shortest form that reads back to the same
//   value; NaN and infinities, which JSON cannot express, are `null`.
// String fields must hold valid UTF-8 (proto3 guarantees it); non-ASCII text
// is written as is, control characters are escaped.
#ifndef SIDECARD_CLIENT_CPP_PROTO_JSON_H_
#define SIDECARD_CLIENT_CPP_PROTO_JSON_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "common/json_escape.h"  // AppendJsonString, part of this header's interface

namespace sidecard {

enum class JsonLayout {
  // Everything on one line, no spaces: `{"a":1,"b":[2,3]}`.
  kCompact,
  // Two spaces per nesting level, one member or element per line.
  kIndented,
  // kIndented, written as Python's json.dumps(sidecard._convert.to_dict(m),
  // indent=2) writes it, for the old tool's command line: strings and floats
  // as python_json.h writes them, an enum's UNSPECIFIED value `null`, a
  // FilePath as one string (its exact bytes; `null` when empty), and unset
  // oneof members too (to_dict has every field).
  kPython,
};

// Appends `message` as JSON to `out`. With kIndented, nested lines are
// indented relative to `base_indent` levels and no trailing newline is added.
void AppendMessageJson(const google::protobuf::Message& message, JsonLayout layout,
                       std::string& out, int base_indent = 0);

// Returns `message` as JSON (no trailing newline).
std::string MessageToJson(const google::protobuf::Message& message, JsonLayout layout);

// Returns the JSON name of an enum value: its name without the enum type's
// prefix, lowercased (`CLEANUP_ACTION_WOULD_REMOVE` -> "would_remove"). A
// value that does not start with the prefix is only lowercased.
std::string EnumValueJsonName(const google::protobuf::EnumValueDescriptor& value);

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_PROTO_JSON_H_
