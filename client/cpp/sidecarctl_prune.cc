// `sidecarctl prune DIR --operation OP [--backend B] [--apply]`: removes one
// operation's results (or one backend's) from every sidecar under DIR.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_result_stream.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::PruneRequest;
using sidecar::v1::PruneResponse;
using sidecar::v1::PruneResult;
using sidecar::v1::PruneSummary;

constexpr FlagSpec kFlags[] = {
    {"operation", true}, {"backend", true}, {"apply"}, {"non-recursive"}, {"jsonl"}};

// "WOULD PRUNE          /p/a.bin: face_detection (12.0 KiB → 1.1 KiB; left: yolov8)".
std::string FormatResult(const PruneResult& result) {
  std::string label;
  switch (result.action()) {
    case sidecar::v1::PRUNE_ACTION_WOULD_PRUNE:
      label = "WOULD PRUNE";
      break;
    case sidecar::v1::PRUNE_ACTION_PRUNED:
      label = "PRUNED";
      break;
    case sidecar::v1::PRUNE_ACTION_SKIPPED_UNREADABLE:
      label = "SKIPPED unreadable";
      break;
    case sidecar::v1::PRUNE_ACTION_SKIPPED_LAYOUT:
      label = "SKIPPED layout";
      break;
    case sidecar::v1::PRUNE_ACTION_SKIPPED_CHANGED:
      label = "SKIPPED changed";
      break;
    case sidecar::v1::PRUNE_ACTION_FAILED:
      label = "FAILED";
      break;
    default:
      label = absl::StrCat("ACTION ", result.action());
      break;
  }
  std::string detail = result.file().path();
  const bool rewritten = result.action() == sidecar::v1::PRUNE_ACTION_WOULD_PRUNE ||
                         result.action() == sidecar::v1::PRUNE_ACTION_PRUNED;
  if (rewritten) {
    absl::StrAppend(
        &detail, ": ", result.removed(), " (", Bytes(static_cast<double>(result.size_bytes())),
        " → ", Bytes(static_cast<double>(result.new_size_bytes())), "; left: ",
        result.remaining_operations().empty() ? "no operation"
                                              : absl::StrJoin(result.remaining_operations(), ", "),
        ")");
  }
  if (!result.error().empty()) absl::StrAppend(&detail, ": ", result.error());
  return absl::StrFormat("%-20s %s\n", label, detail);
}

std::string FormatSummary(const PruneSummary& summary, int64_t would_prune) {
  const std::string what = summary.backend().empty()
                               ? summary.operation()
                               : absl::StrCat(summary.operation(), ".", summary.backend());
  std::string out = absl::StrCat(
      summary.applied() ? "Pruned " : "Would prune ", what, " from ",
      Counted(summary.applied() ? summary.pruned() : would_prune, "sidecar file", "sidecar files"),
      " (", Bytes(static_cast<double>(summary.bytes_removed())), " less)");
  if (!summary.quarantine_dir().empty()) {
    absl::StrAppend(&out, "; previous versions in ", summary.quarantine_dir());
  }
  absl::StrAppend(&out, ".\nExamined ",
                  Counted(summary.sidecars_examined(), "sidecar file", "sidecar files"), " under ",
                  summary.root(), " in ", Duration(summary.duration_seconds()), ": ",
                  Count(summary.matched()), " holding it, ", Count(summary.skipped()), " skipped (",
                  Count(summary.unreadable()), " unreadable), ", Count(summary.failed()),
                  " failed; ", Count(summary.foreign_files()), " foreign left alone.\n");
  if (summary.unreadable_directories() > 0) {
    absl::StrAppend(&out, Counted(summary.unreadable_directories(), "directory", "directories"),
                    " could not be read; nothing in them was pruned.\n");
  }
  if (summary.applied()) {
    if (!summary.quarantine_dir().empty() && summary.pruned() > 0) {
      absl::StrAppend(&out, "To undo: sidecarctl quarantine restore ", summary.root(), " --batch ",
                      summary.quarantine_dir().substr(summary.quarantine_dir().rfind('/') + 1),
                      "\n");
    }
  } else {
    out += "Dry run: nothing was changed. Run again with --apply to prune.\n";
  }
  return out;
}

absl::StatusOr<PruneRequest> RequestFromArgs(const ParsedArgs& args) {
  absl::StatusOr<PruneRequest> request = TreeRequest<PruneRequest>(args);
  if (!request.ok()) return request;
  const std::optional<std::string> operation = args.Value("operation");
  if (!operation) return absl::InvalidArgumentError("missing --operation OP");
  request->set_operation(*operation);
  if (const std::optional<std::string> backend = args.Value("backend")) {
    request->set_backend(*backend);
  }
  request->set_apply(args.Has("apply"));
  return request;
}

bool WouldPrune(const PruneResult& result) {
  return result.action() == sidecar::v1::PRUNE_ACTION_WOULD_PRUNE;
}

int Run(const Invocation& invocation) {
  absl::StatusOr<PruneRequest> request = RequestFromArgs(invocation.args);
  if (!request.ok()) return UsageError(request.status().message(), "prune");
  const char* doing = request->apply() ? "pruning " : "looking at ";
  return RunResultStream(
      invocation, &Client::Prune, *request,
      ResultStream<PruneResponse>{
          .starting = absl::StrCat(doing, RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("prune: ", Count(n), " files…"); },
          .counted = WouldPrune,
          .format = FormatResult,
          .format_summary = FormatSummary,
      });
}

}  // namespace

const Command kPruneCommand = {
    .name = "prune",
    .summary = "remove one operation's results from the sidecars under DIR (dry run)",
    .usage = "DIR --operation OP [--backend B] [--apply] [--non-recursive] [--jsonl]",
    .help = R"(Removes operation OP's results (or only backend B's results of OP) from every
sidecar file under DIR. Only a dry run unless --apply is given.

Each file that holds OP is rewritten on its own, in its own format (.json
stays .json, .bin stays .bin), atomically and under its image's lock; every
other operation's content is kept as it is, and sidecar_info records the
prune (last_updated, last_pruned). A file left with no operation is kept.
The previous version of every rewritten file goes into
DIR/.sidecard-quarantine/<time>/, so `sidecarctl quarantine restore DIR`
puts it back (over the pruned file, as long as nothing changed it since).
Foreign files (package.json, model.bin, ...) are never touched; a file that
does not decode is reported and left alone.

Flags:
  --operation OP    the operation key to remove, e.g. face_detection (required)
  --backend B       only this backend of OP, e.g. insightface; an operation
                    left with no backend is removed too
  --apply           rewrite the files; without it, report what would happen
                    and change nothing
  --non-recursive   only the files directly inside DIR
  --jsonl           print JSON Lines (see below)

Prints one line per file holding OP (and per file that does not decode),
then a summary:
  WOULD PRUNE          /photos/IMG_1.bin: face_detection (12.0 KiB → 1.1 KiB; left: yolov8)
  PRUNED               /photos/IMG_1.bin: face_detection (...)
  SKIPPED unreadable   /photos/IMG_2.bin: <why>
  SKIPPED layout       /photos/IMG_3_face_detection.json: <why>
  FAILED               /photos/IMG_4.bin: <why>
With --json: one object {"results":[PruneResult...],"summary":PruneSummary},
one result per line, written as the results arrive.
With --jsonl: JSON Lines, one PruneResult per line as the results arrive,
then the summary as the last line: {"summary":PruneSummary}.

Exit status: 0 unless some rewrite failed (1).
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
