// JSON written byte for byte the way Python's `json.dumps(value, indent=2)`
// writes it, for the old tool's command line, whose callers read what its
// Python implementation printed: two-space indents, `", "`-free separators
// (`",\n"` and `": "`), `{}` and `[]` for empty containers, every non-ASCII
// character escaped as `\uXXXX` (surrogate pairs above U+FFFF), bytes that
// are not UTF-8 as the lone surrogates `\udc80`-`\udcff` (what os.fsdecode
// makes of them), floats as Python's repr (`0.0`, `1e-05`, `1e+16`) and
// NaN/Infinity as Python writes them.
//
//   PythonJsonWriter out;
//   out.BeginObject();
//   out.Key("total_files");
//   out.Int(3);
//   out.EndObject();
//   std::string text = out.Take();  // "{\n  \"total_files\": 3\n}"
#ifndef SIDECARD_CLIENT_CPP_PYTHON_JSON_H_
#define SIDECARD_CLIENT_CPP_PYTHON_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sidecard {

// Python's repr() of a float.
std::string PythonFloatRepr(double value);

// Appends `text` as a JSON string the way json.dumps writes it (see above).
void AppendPythonJsonString(std::string_view text, std::string& out);

class PythonJsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The key of the next member of the current object.
  void Key(std::string_view key);
  void Null();
  void Bool(bool value);
  void Int(int64_t value);
  void Double(double value);
  // `text`'s bytes: UTF-8, any invalid byte kept as os.fsdecode keeps it.
  void String(std::string_view text);
  // The text written so far; the writer starts again empty.
  std::string Take();

 private:
  // Before a value: the separator and indent its container wants.
  void BeforeValue();
  void Begin(char open);
  void End(char close);

  struct Level {
    bool object;
    int64_t members = 0;
  };
  std::string out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_PYTHON_JSON_H_
