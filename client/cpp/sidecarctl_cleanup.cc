// `sidecarctl cleanup DIR`: finds orphaned sidecars and, when asked, deletes
// or quarantines them.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_result_stream.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::CleanupAction;
using sidecar::v1::CleanupMode;
using sidecar::v1::CleanupRequest;
using sidecar::v1::CleanupResponse;
using sidecar::v1::CleanupResult;
using sidecar::v1::CleanupSummary;

constexpr FlagSpec kFlags[] = {{"dry-run"},       {"delete"},        {"quarantine"},
                               {"min-age", true}, {"non-recursive"}, {"jsonl"}};

// The mode the flags ask for; at most one of them may be given.
absl::StatusOr<CleanupMode> ModeFromFlags(const ParsedArgs& args) {
  const int given = args.Has("dry-run") + args.Has("delete") + args.Has("quarantine");
  if (given > 1) {
    return absl::InvalidArgumentError("--dry-run, --delete and --quarantine exclude each other");
  }
  if (args.Has("delete")) return sidecar::v1::CLEANUP_MODE_DELETE;
  if (args.Has("quarantine")) return sidecar::v1::CLEANUP_MODE_QUARANTINE;
  return sidecar::v1::CLEANUP_MODE_DRY_RUN;
}

absl::StatusOr<int64_t> MinAgeFromFlags(const ParsedArgs& args) {
  const std::optional<std::string> text = args.Value("min-age");
  if (!text) return 0;
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(*text, &seconds) || seconds < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min-age needs a whole number of seconds, not '", *text, "'"));
  }
  return seconds;
}

// "WOULD REMOVE     /p/a.bin", "FAILED           /p/b.bin: Permission denied".
std::string FormatResult(const CleanupResult& result) {
  std::string label;
  std::string detail;
  switch (result.action()) {
    case sidecar::v1::CLEANUP_ACTION_WOULD_REMOVE:
      label = "WOULD REMOVE";
      break;
    case sidecar::v1::CLEANUP_ACTION_DELETED:
      label = "DELETED";
      break;
    case sidecar::v1::CLEANUP_ACTION_QUARANTINED:
      label = "QUARANTINED";
      break;
    case sidecar::v1::CLEANUP_ACTION_SKIPPED_TOO_RECENT:
      label = "SKIPPED";
      detail = " (modified too recently)";
      break;
    case sidecar::v1::CLEANUP_ACTION_SKIPPED_CHANGED:
      label = "SKIPPED";
      detail = " (changed during the run)";
      break;
    case sidecar::v1::CLEANUP_ACTION_KEPT_UNREADABLE:  // from older daemons only
      label = "KEPT unreadable";
      break;
    case sidecar::v1::CLEANUP_ACTION_FAILED:
      label = "FAILED";
      break;
    case sidecar::v1::CLEANUP_ACTION_WOULD_RESTORE:
      label = "WOULD RESTORE";
      break;
    case sidecar::v1::CLEANUP_ACTION_RESTORED:
      label = "RESTORED";
      break;
    case sidecar::v1::CLEANUP_ACTION_WOULD_KEEP_AS_CONFLICT:
      label = "WOULD KEEP AS";
      break;
    case sidecar::v1::CLEANUP_ACTION_KEPT_AS_CONFLICT:
      label = "KEPT AS";
      break;
    default:
      label = absl::StrCat("ACTION ", result.action());
      break;
  }
  if (result.working_file() && result.action() == sidecar::v1::CLEANUP_ACTION_SKIPPED_TOO_RECENT) {
    detail = " (working file younger than 10 minutes: a write may own it)";
  }
  if (result.has_destination()) detail += absl::StrCat(" → ", result.destination().path());
  if (!result.error().empty()) detail += absl::StrCat(": ", result.error());
  return absl::StrFormat("%-16s %s%s\n", label, result.file().path(), detail);
}

// "Removed 3 orphaned sidecar files (6.7 KiB).", what was examined, and in a
// dry run how to actually remove them.
std::string FormatSummary(const CleanupSummary& summary, int64_t would_remove) {
  const bool dry_run = summary.mode() != sidecar::v1::CLEANUP_MODE_DELETE &&
                       summary.mode() != sidecar::v1::CLEANUP_MODE_QUARANTINE;
  const char* verb = summary.mode() == sidecar::v1::CLEANUP_MODE_DELETE       ? "Removed"
                     : summary.mode() == sidecar::v1::CLEANUP_MODE_QUARANTINE ? "Quarantined"
                                                                              : "Would remove";
  std::string out = absl::StrCat(verb, " ",
                                 Counted(dry_run ? would_remove : summary.removed(),
                                         "orphaned sidecar file", "orphaned sidecar files"),
                                 " (", Bytes(static_cast<double>(summary.bytes())), ")");
  if (!summary.quarantine_dir().empty()) absl::StrAppend(&out, " into ", summary.quarantine_dir());
  absl::StrAppend(&out, ".\nExamined ",
                  Counted(summary.sidecars_examined(), "sidecar file", "sidecar files"), " under ",
                  summary.root(), " in ", Duration(summary.duration_seconds()), ": ",
                  Counted(summary.orphans_found(), "orphan", "orphans"), ", ",
                  Count(summary.skipped()), " skipped, ", Count(summary.failed()), " failed; ",
                  Count(summary.foreign_files()), " foreign left alone.\n");
  if (summary.working_files() > 0) {
    absl::StrAppend(
        &out, Counted(summary.working_files(), "working file", "working files"), " of the daemon (",
        Count(summary.stray_working_files()), " strays): ", Count(summary.working_files_removed()),
        dry_run ? " would be removed, " : " removed, ", Count(summary.working_files_restored()),
        dry_run ? " would be restored, " : " restored, ",
        Count(summary.working_files_kept_as_conflict()),
        dry_run ? " would be kept as conflicts.\n" : " kept as conflicts.\n");
  }
  if (summary.unreadable_directories() > 0) {
    absl::StrAppend(&out, Counted(summary.unreadable_directories(), "directory", "directories"),
                    " could not be read.\n");
  }
  if (dry_run) {
    out +=
        "Dry run: nothing was changed. To remove the orphans, run again with --delete, "
        "or with --quarantine to move them aside.\n";
  }
  return out;
}

// An orphan a dry run would remove (not a working file it would sweep).
bool WouldRemoveOrphan(const CleanupResult& result) {
  return result.action() == sidecar::v1::CLEANUP_ACTION_WOULD_REMOVE && !result.working_file();
}

// The request the command line asks for; InvalidArgument naming the first
// argument that is wrong.
absl::StatusOr<CleanupRequest> RequestFromArgs(const ParsedArgs& args) {
  absl::StatusOr<CleanupRequest> request = TreeRequest<CleanupRequest>(args);
  absl::StatusOr<CleanupMode> mode = ModeFromFlags(args);
  absl::StatusOr<int64_t> min_age = MinAgeFromFlags(args);
  for (const absl::Status& status : {request.status(), mode.status(), min_age.status()}) {
    if (!status.ok()) return status;
  }
  request->set_mode(*mode);
  request->set_min_age_seconds(*min_age);
  return request;
}

int Run(const Invocation& invocation) {
  absl::StatusOr<CleanupRequest> request = RequestFromArgs(invocation.args);
  if (!request.ok()) return UsageError(request.status().message(), "cleanup");
  return RunResultStream(
      invocation, &Client::Cleanup, *request,
      ResultStream<CleanupResponse>{
          .starting = absl::StrCat("looking for orphans under ", RootOf(*request), "…"),
          .progress =
              [](int64_t n) { return absl::StrCat("cleanup: ", Count(n), " files listed…"); },
          .counted = WouldRemoveOrphan,
          .format = FormatResult,
          .format_summary = FormatSummary,
      });
}

}  // namespace

const Command kCleanupCommand = {
    .name = "cleanup",
    .summary = "find orphaned sidecars (dry run), or delete or quarantine them",
    .usage =
        "DIR [--dry-run | --delete | --quarantine] [--min-age SECONDS] [--non-recursive] [--jsonl]",
    .help = R"(Finds orphaned sidecars under DIR: sidecar documents whose image (same stem,
same directory, any image extension) is gone. Only a dry run unless --delete or
--quarantine is given. Foreign files (package.json, model.bin, ...), sidecars
with an image and files that do not decode are never touched.

Flags:
  --dry-run             report what would be removed, change nothing (default)
  --delete              delete the orphans
  --quarantine          move the orphans to DIR/.sidecard-quarantine/<time>/,
                        keeping their relative paths, so they can be moved back
  --min-age SECONDS     keep orphans modified less than SECONDS ago
                        (a detector may be writing them)
  --non-recursive       only the files directly inside DIR
  --jsonl               print JSON Lines (see below)

The daemon's own working files (.sidecard-tmp-*, .sidecard-held-*, left by a
crash) are listed too. Those older than 10 minutes are strays: --delete
removes a tmp stray (--quarantine moves it aside) and moves a held stray back
to the name it concerns if that is free, else keeps it beside the file as
NAME.conflict-<time> (deleted only if identical to the file). Younger ones
are listed as skipped and never touched.

Prints one line per orphan, per unreadable file kept and per working file,
then a summary.
With --json: one object {"results":[CleanupResult...],"summary":CleanupSummary},
one result per line, written as the results arrive.
With --jsonl: JSON Lines, one CleanupResult per line as the results arrive,
then the summary as the last line: {"summary":CleanupSummary}.

Exit status: 0 unless some removal failed (1).
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
