// `sidecarctl read IMAGE`: prints the sidecar document of one image.
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"

namespace sidecard::ctl {

namespace {

using sidecar::v1::FilePath;
using sidecar::v1::ReadSidecarRequest;
using sidecar::v1::ReadSidecarResponse;
using sidecar::v1::SkippedSidecar;

void WriteErr(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

// A PrettyWriter that writes each number exactly as the input spells it
// (given kParseNumbersAsStringsFlag; RapidJSON's own RawNumber quotes it).
class PrettyJsonWriter : public rapidjson::PrettyWriter<rapidjson::StringBuffer> {
 public:
  using PrettyWriter::PrettyWriter;
  bool RawNumber(const Ch* text, rapidjson::SizeType length, bool /*copy*/) {
    return RawValue(text, length, rapidjson::kNumberType);
  }
};

// The JSON text `json` indented by two spaces per level, nested lines
// indented `base_indent` levels more; no trailing newline. Numbers are kept
// exactly as written (never rounded through a double). InvalidArgument when
// `json` is not valid JSON.
absl::StatusOr<std::string> PrettyJson(const std::string& json, int base_indent) {
  rapidjson::Reader reader;
  // Bounded by the text's length: a StringStream scans to a NUL and, with
  // SIMD scanning, past it.
  rapidjson::MemoryStream in(json.data(), json.size());
  rapidjson::StringBuffer out;
  PrettyJsonWriter writer(out);
  writer.SetIndent(' ', 2);
  constexpr unsigned kFlags =
      rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag;
  if (!reader.Parse<kFlags>(in, writer)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON at byte offset ", reader.GetErrorOffset(), ": ",
        absl::StripSuffix(rapidjson::GetParseError_En(reader.GetParseErrorCode()), ".")));
  }
  std::string text(out.GetString(), out.GetSize());
  if (base_indent > 0) {
    // The writer breaks lines only between tokens (a newline inside a string
    // is escaped), so every newline starts a nested line.
    text = absl::StrReplaceAll(text, {{"\n", "\n" + std::string(2 * base_indent, ' ')}});
  }
  return text;
}

// `{"found":..., "sidecar":..., ..., "document": {...}}`: the response with
// the document as JSON rather than as a string, laid out like proto_json's
// indented output.
std::string ResponseJson(const ReadSidecarResponse& response, const std::string& document) {
  std::string out =
      absl::StrCat("{\n  \"found\": ", response.found() ? "true" : "false", ",\n  \"sidecar\": ");
  auto append_path = [&](bool has, const FilePath& path) {
    if (has) {
      AppendMessageJson(path, JsonLayout::kIndented, out, 1);
    } else {
      out += "null";
    }
  };
  append_path(response.has_sidecar(), response.sidecar());
  out += ",\n  \"format\": ";
  AppendJsonString(SidecarFormatName(response.format()), out);
  out += ",\n  \"skipped\": [";
  for (int i = 0; i < response.skipped_size(); ++i) {
    out += i > 0 ? ",\n    " : "\n    ";
    AppendMessageJson(response.skipped(i), JsonLayout::kIndented, out, 2);
  }
  out += response.skipped().empty() ? "]" : "\n  ]";
  out += ",\n  \"shadowed\": [";
  for (int i = 0; i < response.shadowed_size(); ++i) {
    out += i > 0 ? ",\n    " : "\n    ";
    AppendMessageJson(response.shadowed(i), JsonLayout::kIndented, out, 2);
  }
  out += response.shadowed().empty() ? "]" : "\n  ]";
  out += ",\n  \"image\": ";
  append_path(response.has_image(), response.image());
  absl::StrAppend(&out, ",\n  \"document\": ", document, "\n}\n");
  return out;
}

// "sidecar: /p/IMG_1.bin (bin)", the files passed over and the files shadowed.
std::string FormatSources(const ReadSidecarResponse& response, const std::string& image) {
  std::string out;
  if (response.found()) {
    absl::StrAppend(&out, "sidecar: ", response.sidecar().path(), " (",
                    SidecarFormatName(response.format()), ")\n");
  } else {
    absl::StrAppend(&out, "no sidecar for ", image, "\n");
  }
  for (const SkippedSidecar& skipped : response.skipped()) {
    absl::StrAppend(&out, "skipped ", skipped.file().path(), ": ", skipped.error(), "\n");
  }
  for (const FilePath& shadowed : response.shadowed()) {
    absl::StrAppend(&out, "also present: ", shadowed.path(), "\n");
  }
  return out;
}

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  if (args.positional().empty()) return UsageError("missing IMAGE argument", "read");
  if (args.positional()[0].empty()) return UsageError("IMAGE must not be empty", "read");
  absl::StatusOr<std::string> image = DirectoryArgument(args);  // Absolute, like a DIR.
  if (!image.ok()) return UsageError(image.status().message(), "read");
  ReadSidecarRequest request;
  SetImagePath(request, *image);

  ReadSidecarResponse response;
  const grpc::Status status = invocation.client.ReadSidecar(request, &response);
  if (!status.ok()) return CallFailed(invocation.client, status);
  absl::StatusOr<std::string> document =
      PrettyJson(response.document_json(), invocation.json ? 1 : 0);
  if (!document.ok()) {
    WriteErr(absl::StrCat("sidecarctl: the daemon sent a document that is not JSON: ",
                          document.status().message(), "\n"));
    return kExitFailed;
  }

  if (invocation.json) {
    WriteOut(ResponseJson(response, *document));
  } else {
    WriteOut(*document + "\n");
    std::fflush(stdout);
    WriteErr(FormatSources(response, response.has_image() ? response.image().path() : *image));
  }
  return response.found() ? kExitOk : kExitFinding;
}

}  // namespace

const Command kReadCommand = {
    .name = "read",
    .summary = "print the sidecar document of one image",
    .usage = "IMAGE",
    .help = R"(Reads the sidecar of IMAGE the way the pipeline does: the first readable of
IMAGE's .bin, .rkyv and .json (same stem, same directory; a symlinked image is
resolved first), passing over files that do not decode.

Prints the document as JSON (indented by 2) on stdout, and on stderr which
file it came from, the files passed over and why, and lower-priority files
that are also present (a save merges their content in):
  sidecar: /photos/IMG_1.bin (bin)
  skipped /photos/IMG_1.bin: invalid JSON at byte offset 40: ...
  also present: /photos/IMG_1.json
When IMAGE has no readable sidecar, prints {} and "no sidecar for IMAGE".

With --json: one object {"found", "sidecar", "format", "skipped", "shadowed",
"image", "document"}, where "document" is the document itself (not a string).

Exit status: 0 when a sidecar was read, 1 when IMAGE has none.
)",
    .flags = {},
    .run = Run,
};

}  // namespace sidecard::ctl
