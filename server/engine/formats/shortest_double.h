// Formats a double exactly as the Rust `ryu` crate (used by serde_json) does,
// so re-encoded sidecars stay byte-identical to ones the old tool wrote.
#ifndef SIDECARD_SERVER_ENGINE_FORMATS_SHORTEST_DOUBLE_H_
#define SIDECARD_SERVER_ENGINE_FORMATS_SHORTEST_DOUBLE_H_

#include <string>

namespace sidecard::engine {

// Appends the shortest decimal that reads back as `value`, in ryu's layout:
// `1.0`, `0.5`, `123.456`, `0.001234`, `1e-7`, `1.5e300`, `1e16`, `-0.0`.
// Non-finite values (not valid JSON) are written as `null`, as serde_json does.
void AppendShortestDouble(double value, std::string& out);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FORMATS_SHORTEST_DOUBLE_H_
