// JSON string escaping shared by the engine (sidecar documents as JSON text,
// serde_json's escaping) and the C++ client (`sidecarctl --json`), which
// must agree byte for byte and may not include each other's code.
#ifndef SIDECARD_COMMON_JSON_ESCAPE_H_
#define SIDECARD_COMMON_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace sidecard {

// Appends `text` as a quoted JSON string: `"` and `\` escaped, control
// characters as `\n`, `\t`, ... or `\u00xx`; every other byte as is (no
// `\/`, DEL and non-ASCII unescaped, invalid UTF-8 passed through), as
// serde_json writes them.
void AppendJsonString(std::string_view text, std::string& out);

// The same without the quotes, for writers that escape more (non-ASCII, as
// Python's json.dumps does) and hand the rest to this.
void AppendJsonEscaped(std::string_view text, std::string& out);

}  // namespace sidecard

#endif  // SIDECARD_COMMON_JSON_ESCAPE_H_
