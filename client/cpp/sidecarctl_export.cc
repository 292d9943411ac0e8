// `sidecarctl export DIR`: writes the sidecars under DIR as JSON, JSON Lines
// or CSV, to a file (replaced atomically) or to stdout.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_atomic_output.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_progress.h"

namespace sidecard::ctl {

namespace {

using sidecar::v1::ExportContent;
using sidecar::v1::ExportFormat;
using sidecar::v1::ExportRequest;
using sidecar::v1::ExportResponse;
using sidecar::v1::ExportSummary;

constexpr FlagSpec kFlags[] = {{"format", true},         {"content", true}, {"operation", true},
                               {"keep-operation", true}, {"non-recursive"}, {"output", true}};

void WriteErr(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

absl::StatusOr<ExportFormat> FormatFromFlags(const ParsedArgs& args) {
  const std::string text = args.Value("format").value_or("json");
  if (text == "json") return sidecar::v1::EXPORT_FORMAT_JSON;
  if (text == "jsonl") return sidecar::v1::EXPORT_FORMAT_JSONL;
  if (text == "csv") return sidecar::v1::EXPORT_FORMAT_CSV;
  return absl::InvalidArgumentError(
      absl::StrCat("--format must be json, jsonl or csv, not '", text, "'"));
}

// UNSPECIFIED when not given: documents for JSON and JSON Lines, the table
// for CSV (the daemon's defaults).
absl::StatusOr<ExportContent> ContentFromFlags(const ParsedArgs& args, ExportFormat format) {
  const std::optional<std::string> text = args.Value("content");
  if (!text) return sidecar::v1::EXPORT_CONTENT_UNSPECIFIED;
  if (*text == "table") return sidecar::v1::EXPORT_CONTENT_TABLE;
  if (*text != "documents") {
    return absl::InvalidArgumentError(
        absl::StrCat("--content must be documents or table, not '", *text, "'"));
  }
  if (format == sidecar::v1::EXPORT_FORMAT_CSV) {
    return absl::InvalidArgumentError("--content documents needs --format json or jsonl");
  }
  return sidecar::v1::EXPORT_CONTENT_DOCUMENTS;
}

// "Exported 12 sidecar files to out.json (1 unreadable left out)". Callers
// of the old tool parse "Exported (\d+) sidecar files": the count has no
// thousands separators and the noun stays plural.
std::string FormatSummary(const ExportSummary& summary, const std::string& destination) {
  std::string out = absl::StrCat("Exported ", summary.exported(), " sidecar files to ", destination,
                                 " (", summary.unreadable(), " unreadable left out)\n");
  if (summary.without_operations() > 0) {
    absl::StrAppend(&out, "  ", summary.without_operations(),
                    " without the kept operations left out\n");
  }
  for (const sidecar::v1::SkippedSidecar& file : summary.unreadable_files()) {
    absl::StrAppend(&out, "  unreadable: ", file.file().path(), ": ", file.error(), "\n");
  }
  if (summary.unreadable() > summary.unreadable_files_size()) {
    absl::StrAppend(&out, "  (and ", summary.unreadable() - summary.unreadable_files_size(),
                    " more unreadable)\n");
  }
  if (summary.unreadable_directories() > 0) {
    absl::StrAppend(&out, Counted(summary.unreadable_directories(), "directory", "directories"),
                    " could not be read; their sidecars are missing.\n");
  }
  return out;
}

// The request the command line asks for; InvalidArgument naming the first
// argument that is wrong.
absl::StatusOr<ExportRequest> RequestFromArgs(const ParsedArgs& args) {
  absl::StatusOr<ExportRequest> request = TreeRequest<ExportRequest>(args);
  if (!request.ok()) return request;
  absl::StatusOr<ExportFormat> format = FormatFromFlags(args);
  if (!format.ok()) return format.status();
  absl::StatusOr<ExportContent> content = ContentFromFlags(args, *format);
  if (!content.ok()) return content.status();
  request->set_operation_filter(args.Value("operation").value_or(""));
  for (const std::string& operation : args.Values("keep-operation")) {
    request->add_operations(operation);
  }
  request->set_format(*format);
  request->set_content(*content);
  return request;
}

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  absl::StatusOr<ExportRequest> request = RequestFromArgs(args);
  if (!request.ok()) return UsageError(request.status().message(), "export");

  const std::string output = args.Value("output").value_or("-");
  const bool to_stdout = output == "-";
  AtomicOutput file;
  if (!to_stdout) {
    if (absl::Status opened = file.Open(output); !opened.ok()) {
      return UsageError(absl::StrCat("--output: ", opened.message()), "export");
    }
  }

  // Chunks end anywhere, not only at the end of a line: a counter on the
  // terminal that also shows the output would erase part of it.
  const bool show_progress = !to_stdout || isatty(STDOUT_FILENO) != 1;
  Progress progress;
  if (show_progress) progress.Update(absl::StrCat("exporting ", RootOf(*request), "…"));
  int64_t written = 0;
  absl::Status write_status;
  std::optional<ExportSummary> summary;
  const grpc::Status status =
      invocation.client.Export(*request, [&](const ExportResponse& message) {
        if (message.has_summary()) summary = message.summary();
        if (message.chunk().empty() || !write_status.ok()) return;
        if (to_stdout) {
          WriteOut(message.chunk());
          std::fflush(stdout);
        } else {
          write_status = file.Write(message.chunk());
        }
        written += static_cast<int64_t>(message.chunk().size());
        if (show_progress) {
          progress.Update(
              absl::StrCat("export: ", Bytes(static_cast<double>(written)), " written…"));
        }
      });
  progress.Clear();
  if (!status.ok()) return CallFailed(invocation.client, status);
  if (!summary) return MissingSummary();
  if (!to_stdout && write_status.ok()) write_status = file.Commit();
  if (!write_status.ok()) {
    WriteErr(absl::StrCat("sidecarctl: ", write_status.message(), "; ", output,
                          " was left as it was\n"));
    return kExitFailed;
  }

  if (invocation.json) {
    // Beside the data when that goes to stdout, so the data stays clean.
    const std::string json = MessageToJson(*summary, JsonLayout::kCompact) + "\n";
    if (to_stdout) {
      WriteErr(json);
    } else {
      WriteOut(json);
    }
  } else {
    WriteErr(FormatSummary(*summary, to_stdout ? "stdout" : output));
  }
  return kExitOk;
}

}  // namespace

const Command kExportCommand = {
    .name = "export",
    .summary = "export the sidecars under DIR as JSON, JSON Lines or CSV",
    .usage =
        "DIR [--format json|jsonl|csv] [--content documents|table] [--operation OP] "
        "[--keep-operation OP]... [--non-recursive] [--output FILE|-]",
    .help = R"(Exports the sidecar documents under DIR (one per image; folder by folder in
sorted order, a folder's own images before its subfolders'), or a flat table of per-image facts: image, sidecar, format, valid, operations,
faces, objects and per-operation success (in JSON, operations is an array and
success an object {"OP": true|false}; CSV joins them with ';'). Files that
cannot be read are left out, counted and named (the first 1,000) with why.

Flags:
  --format FORMAT     json (default: one array), jsonl (one value per line) or
                      csv (a header row, then the table)
  --content CONTENT   documents ({"image", "sidecar", "format", "document"} per
                      image; the default for json and jsonl) or table (the
                      default, and the only content, for csv)
  --operation OP      only sidecars that contain operation OP
  --keep-operation OP keep only operation OP's subtree (and sidecar_info) in
                      each document; repeatable. Images holding none of the
                      kept operations are left out and counted. Unlike
                      --operation it changes what each document holds
  --non-recursive     only the files directly inside DIR
  --output FILE       write to FILE, replacing it only once the export is
                      complete (written as FILE.tmp-... first, removed on
                      failure); - for stdout (the default)

Prints a summary on stderr:
  Exported 12 sidecar files to out.json (1 unreadable left out)
    unreadable: /photos/IMG_3.json: invalid JSON at byte offset 3: ...
With --json: the ExportSummary object instead, on stdout when --output is a
file, else on stderr.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
