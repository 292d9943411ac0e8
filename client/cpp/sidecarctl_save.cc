// `sidecarctl save IMAGE OPERATION`: merges one operation's result into the
// sidecar of one image.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"

namespace sidecard::ctl {

namespace {

using sidecar::v1::FilePath;
using sidecar::v1::SaveSidecarRequest;
using sidecar::v1::SaveSidecarResponse;
using sidecar::v1::SidecarFormat;

constexpr FlagSpec kFlags[] = {{"backend", true},       {"format", true}, {"overwrite-corrupt"},
                               {"allow-missing-image"}, {"data", true},   {"file", true}};

void WriteErr(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

absl::StatusOr<SidecarFormat> FormatFromFlags(const ParsedArgs& args) {
  const std::optional<std::string> text = args.Value("format");
  if (!text) return sidecar::v1::SIDECAR_FORMAT_UNSPECIFIED;  // The daemon's default: bin.
  if (*text == "bin") return sidecar::v1::SIDECAR_FORMAT_BIN;
  if (*text == "rkyv") return sidecar::v1::SIDECAR_FORMAT_RKYV;
  if (*text == "json") return sidecar::v1::SIDECAR_FORMAT_JSON;
  return absl::InvalidArgumentError(
      absl::StrCat("--format must be bin, rkyv or json, not '", *text, "'"));
}

// IMAGE made absolute by the same rules as a DIR argument.
absl::StatusOr<std::string> ImageArgument(const std::string& image) {
  if (image.empty()) return absl::InvalidArgumentError("IMAGE must not be empty");
  const std::string alone[] = {"--", image};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(alone, {});
  if (!parsed.ok()) return parsed.status();
  return DirectoryArgument(*parsed);
}

// Everything `file` holds, up to its end.
absl::StatusOr<std::string> ReadAll(std::FILE* file, absl::string_view name) {
  std::string text;
  char buffer[65536];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, read);
  if (std::ferror(file)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", name, ": ", std::strerror(errno)));
  }
  return text;
}

// The payload text from --data, --file PATH or `-` (stdin): exactly one.
absl::StatusOr<std::string> PayloadText(const ParsedArgs& args, bool stdin_argument) {
  const int given = args.Has("data") + args.Has("file") + stdin_argument;
  if (given == 0)
    return absl::InvalidArgumentError("missing payload: --data JSON, --file PATH or -");
  if (given > 1) return absl::InvalidArgumentError("--data, --file and - exclude each other");
  if (args.Has("data")) return *args.Value("data");
  const std::string path = args.Value("file").value_or("-");
  if (path == "-") return ReadAll(stdin, "the payload from stdin");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> text = ReadAll(file, path);
  std::fclose(file);
  return text;
}

// OK when `payload` is a JSON object, else why not (the daemon checks too;
// this makes a typo a usage error with the offset of the mistake).
absl::Status CheckPayload(const std::string& payload) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(payload.data(), payload.size());
  if (document.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the payload is invalid JSON at byte offset ", document.GetErrorOffset(), ": ",
        absl::StripSuffix(rapidjson::GetParseError_En(document.GetParseError()), ".")));
  }
  if (!document.IsObject()) {
    return absl::InvalidArgumentError("the payload must be a JSON object ({...})");
  }
  return absl::OkStatus();
}

// "saved /p/IMG_1.bin (bin, created)", then what was merged in or kept aside.
std::string FormatSaved(const SaveSidecarResponse& response) {
  std::string out =
      absl::StrCat("saved ", response.sidecar().path(), " (", SidecarFormatName(response.format()),
                   ", ", response.created() ? "created" : "updated", ")\n");
  for (const FilePath& merged : response.merged_from()) {
    absl::StrAppend(&out, "merged: ", merged.path(), "\n");
  }
  if (response.has_corrupt_kept_as()) {
    absl::StrAppend(&out, "corrupt file kept as ", response.corrupt_kept_as().path(), "\n");
  }
  return out;
}

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  const std::vector<std::string>& positional = args.positional();
  if (positional.empty()) return UsageError("missing IMAGE and OPERATION arguments", "save");
  if (positional.size() < 2) return UsageError("missing OPERATION argument", "save");
  const bool stdin_argument = positional.size() > 2 && positional[2] == "-";
  if (positional.size() > (stdin_argument ? 3 : 2)) {
    return UsageError(
        absl::StrCat("unexpected argument '", positional[stdin_argument ? 3 : 2], "'"), "save");
  }
  absl::StatusOr<std::string> image = ImageArgument(positional[0]);
  if (!image.ok()) return UsageError(image.status().message(), "save");
  if (positional[1].empty()) return UsageError("OPERATION must not be empty", "save");
  absl::StatusOr<SidecarFormat> format = FormatFromFlags(args);
  if (!format.ok()) return UsageError(format.status().message(), "save");
  absl::StatusOr<std::string> payload = PayloadText(args, stdin_argument);
  if (!payload.ok()) return UsageError(payload.status().message(), "save");
  if (absl::Status checked = CheckPayload(*payload); !checked.ok()) {
    return UsageError(checked.message(), "save");
  }
  SaveSidecarRequest request;
  SetImagePath(request, *image);
  request.set_operation(positional[1]);
  request.set_backend(args.Value("backend").value_or(""));
  request.set_payload_json(*std::move(payload));
  request.set_format(*format);
  request.set_overwrite_corrupt(args.Has("overwrite-corrupt"));
  request.set_allow_missing_image(args.Has("allow-missing-image"));

  SaveSidecarResponse response;
  const grpc::Status status = invocation.client.SaveSidecar(request, &response);
  if (!status.ok()) {
    const int exit_code = CallFailed(invocation.client, status);
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
        !request.overwrite_corrupt()) {
      WriteErr(
          "hint: to write a new sidecar anyway, run again with --overwrite-corrupt: the corrupt "
          "file is then kept aside as <name>.corrupt-<UTC time>, not deleted.\n");
    }
    return exit_code;
  }
  WriteOut(invocation.json ? MessageToJson(response, JsonLayout::kIndented) + "\n"
                           : FormatSaved(response));
  // The daemon never saves into a file a higher-priority one hides; say so,
  // or the person looks for the .json they asked for. On stderr with --json,
  // so the JSON stays one document.
  if (request.format() != sidecar::v1::SIDECAR_FORMAT_UNSPECIFIED &&
      response.format() != request.format()) {
    const std::string asked = SidecarFormatName(request.format());
    const std::string written = SidecarFormatName(response.format());
    const std::string note = absl::StrCat(
        "note: asked for ", asked, ", wrote the existing .", written,
        " instead: ", response.sidecar().path(), " is read before a .", asked, " file, so a .",
        asked, " would stay hidden behind it. To change the format: sidecarctl convert DIR --to ",
        asked, "\n");
    invocation.json ? WriteErr(note) : WriteOut(note);
  }
  return kExitOk;
}

}  // namespace

const Command kSaveCommand = {
    .name = "save",
    .summary = "merge one operation's result into an image's sidecar",
    .usage =
        "IMAGE OPERATION (--data JSON | --file PATH | -) [--backend NAME] "
        "[--format bin|rkyv|json] [--overwrite-corrupt] [--allow-missing-image]",
    .help = R"(Merges a payload (a JSON object) into the sidecar document of IMAGE under the
key OPERATION (snake_case, e.g. face_detection), or under OPERATION.NAME with
--backend, and updates sidecar_info. The daemon writes the file atomically and
serialises saves to one image, so none is lost. The content of the image's
other sidecar files (an old .json beside the .bin) is merged in, and those
files are left in place.

The payload comes from exactly one of:
  --data JSON           the JSON text itself
  --file PATH           a file holding it (- for stdin)
  -                     stdin (as the last argument)

Flags:
  --backend NAME        store the payload under OPERATION.NAME
  --format FORMAT       bin (default), rkyv or json: the file to write. An
                        existing file read first (.bin, then .rkyv, then
                        .json) is written instead, so the save is never
                        hidden behind it; a note says so
  --overwrite-corrupt   when an existing sidecar of IMAGE is corrupt, keep it
                        aside as <name>.corrupt-<UTC time> and write a new one
                        (without this flag, such a save is refused: exit 4)
  --allow-missing-image save even when IMAGE does not exist

Prints what was written:
  saved /photos/IMG_1.bin (bin, created)
  merged: /photos/IMG_1.json
  corrupt file kept as /photos/IMG_1.bin.corrupt-20250503T101500.000000Z
  note: asked for json, wrote the existing .bin instead: ...
With --json: the SaveSidecarResponse object.

Exit status: 0 when saved; 4 when refused, e.g. because the existing sidecar
is corrupt (see --overwrite-corrupt) or IMAGE does not exist.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
