// `sidecarctl convert DIR --to FORMAT`: rewrites the sidecars under DIR into
// another format (a dry run unless --apply).
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_result_stream.h"

namespace sidecard::ctl {

namespace {

using sidecar::v1::ConvertRequest;
using sidecar::v1::ConvertResponse;
using sidecar::v1::ConvertResult;
using sidecar::v1::ConvertSummary;
using sidecar::v1::FilePath;
using sidecar::v1::SidecarFormat;

constexpr FlagSpec kFlags[] = {{"to", true}, {"apply"}, {"non-recursive"}, {"jsonl"}};

absl::StatusOr<SidecarFormat> TargetFromFlags(const ParsedArgs& args) {
  const std::optional<std::string> text = args.Value("to");
  if (!text) return absl::InvalidArgumentError("missing --to bin|rkyv|json");
  if (*text == "bin") return sidecar::v1::SIDECAR_FORMAT_BIN;
  if (*text == "rkyv") return sidecar::v1::SIDECAR_FORMAT_RKYV;
  if (*text == "json") return sidecar::v1::SIDECAR_FORMAT_JSON;
  return absl::InvalidArgumentError(
      absl::StrCat("--to must be bin, rkyv or json, not '", *text, "'"));
}

// "/p/a.json, /p/a.rkyv", or the target when there are no sources.
std::string Sources(const ConvertResult& result) {
  if (result.sources().empty()) return result.target().path();
  return absl::StrJoin(result.sources(), ", ", [](std::string* out, const FilePath& source) {
    out->append(source.path());
  });
}

// "WOULD CONVERT        /p/a.json -> /p/a.bin",
// "SKIPPED unreadable   /p/b.json: invalid JSON at byte offset 3: ...".
std::string FormatResult(const ConvertResult& result) {
  const std::string arrow = absl::StrCat(Sources(result), " -> ", result.target().path());
  std::string label;
  std::string detail;
  switch (result.action()) {
    case sidecar::v1::CONVERT_ACTION_WOULD_CONVERT:
      label = "WOULD CONVERT";
      detail = arrow;
      break;
    case sidecar::v1::CONVERT_ACTION_CONVERTED:
      label = "CONVERTED";
      detail = arrow;
      break;
    case sidecar::v1::CONVERT_ACTION_ALREADY_TARGET:
      label = "ALREADY";
      detail = result.target().path();
      break;
    case sidecar::v1::CONVERT_ACTION_SKIPPED_UNREADABLE:
      label = "SKIPPED unreadable";
      detail = Sources(result);
      break;
    case sidecar::v1::CONVERT_ACTION_SKIPPED_TARGET_NEWER:
      label = "SKIPPED newer target";
      detail = arrow;
      break;
    case sidecar::v1::CONVERT_ACTION_SKIPPED_CONFLICT:
      label = "SKIPPED conflict";
      detail = arrow;
      break;
    case sidecar::v1::CONVERT_ACTION_FAILED:
      label = "FAILED";
      detail = arrow;
      break;
    default:
      label = absl::StrCat("ACTION ", result.action());
      detail = arrow;
      break;
  }
  if (!result.error().empty()) absl::StrAppend(&detail, ": ", result.error());
  return absl::StrFormat("%-20s %s\n", label, detail);
}

// "Converted 3 sidecars to bin.", what was looked at, and in a dry run how
// to actually convert.
std::string FormatSummary(const ConvertSummary& summary, int64_t would_convert) {
  const std::string target = SidecarFormatName(summary.target_format());
  std::string out = absl::StrCat(
      summary.applied() ? "Converted " : "Would convert ",
      Counted(summary.applied() ? summary.converted() : would_convert, "sidecar", "sidecars"),
      " to ", target, " under ", summary.root(), " in ", Duration(summary.duration_seconds()), ": ",
      Count(summary.already_target()), " already ", target, ", ", Count(summary.skipped()),
      " skipped, ", Count(summary.failed()), " failed.\n");
  if (summary.unreadable_directories() > 0) {
    absl::StrAppend(&out, Counted(summary.unreadable_directories(), "directory", "directories"),
                    " could not be read; nothing in them was converted.\n");
  }
  if (!summary.applied()) {
    out += "Dry run: nothing was changed. Run again with --apply to convert.\n";
  }
  return out;
}

// The request the command line asks for; InvalidArgument naming the first
// argument that is wrong.
absl::StatusOr<ConvertRequest> RequestFromArgs(const ParsedArgs& args) {
  absl::StatusOr<ConvertRequest> request = TreeRequest<ConvertRequest>(args);
  if (!request.ok()) return request;
  absl::StatusOr<SidecarFormat> target = TargetFromFlags(args);
  if (!target.ok()) return target.status();
  request->set_target_format(*target);
  request->set_apply(args.Has("apply"));
  return request;
}

bool WouldConvert(const ConvertResult& result) {
  return result.action() == sidecar::v1::CONVERT_ACTION_WOULD_CONVERT;
}

int Run(const Invocation& invocation) {
  absl::StatusOr<ConvertRequest> request = RequestFromArgs(invocation.args);
  if (!request.ok()) return UsageError(request.status().message(), "convert");
  const char* doing = request->apply() ? "converting " : "looking at ";
  return RunResultStream(
      invocation, &Client::Convert, *request,
      ResultStream<ConvertResponse>{
          .starting = absl::StrCat(doing, RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("convert: ", Count(n), " sidecars…"); },
          .counted = WouldConvert,
          .format = FormatResult,
          .format_summary = FormatSummary,
      });
}

}  // namespace

const Command kConvertCommand = {
    .name = "convert",
    .summary = "rewrite the sidecars under DIR into another format (dry run)",
    .usage = "DIR --to bin|rkyv|json [--apply] [--non-recursive] [--jsonl]",
    .help = R"(Rewrites the sidecars under DIR into the format given by --to, one image's
sidecar at a time. Only a dry run unless --apply is given. The daemon writes
each target atomically and verifies it before it removes the sources; it never
overwrites a target that is newer than its sources, and never touches foreign
files (package.json, model.bin, ...) or files that do not decode.

Flags:
  --to FORMAT       the format to convert to: bin, rkyv or json (required)
  --apply           convert; without it, report what would happen and change
                    nothing
  --non-recursive   only the files directly inside DIR
  --jsonl           print JSON Lines (see below)

Prints one line per sidecar, then a summary:
  WOULD CONVERT        /photos/IMG_1.json -> /photos/IMG_1.bin
  CONVERTED            /photos/IMG_1.json -> /photos/IMG_1.bin
  ALREADY              /photos/IMG_2.bin
  SKIPPED unreadable   /photos/IMG_3.json: <why>
  SKIPPED newer target /photos/IMG_4.json -> /photos/IMG_4.bin
  FAILED               /photos/IMG_5.json -> /photos/IMG_5.bin: <why>
With --json: one object {"results":[ConvertResult...],"summary":ConvertSummary},
one result per line, written as the results arrive.
With --jsonl: JSON Lines, one ConvertResult per line as the results arrive,
then the summary as the last line: {"summary":ConvertSummary}.

Exit status: 0 unless some conversion failed (1).
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
