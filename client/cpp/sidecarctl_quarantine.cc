// `sidecarctl quarantine list|restore|purge DIR`: Cleanup's quarantine
// (DIR/.sidecard-quarantine/<batch>/) looked at, moved back, or emptied.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_format.h"
#include "client/cpp/sidecarctl_result_stream.h"

namespace sidecard::ctl {
namespace {

namespace v1 = ::sidecar::v1;

constexpr FlagSpec kFlags[] = {{"batch", true}, {"dry-run"}, {"older-than", true}, {"jsonl"}};

// "2025-01-31 12:00:00 UTC".
std::string CreatedText(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// "3 files, 6.7 KiB".
std::string FilesAndBytes(int64_t files, int64_t bytes) {
  return absl::StrCat(Counted(files, "file", "files"), ", ", Bytes(static_cast<double>(bytes)));
}

// The request of a subcommand: its DIR (after the subcommand's name).
template <typename Request>
absl::StatusOr<Request> QuarantineRequest(const ParsedArgs& args) {
  absl::StatusOr<std::string> root = DirectoryArgument(args, 1);
  if (!root.ok()) return root.status();
  Request request;
  SetRoot(request, *std::move(root));
  return request;
}

// Refuses the flags `subcommand` does not take.
absl::Status OnlyFlags(const ParsedArgs& args, absl::string_view subcommand,
                       std::initializer_list<absl::string_view> allowed) {
  for (const FlagSpec& flag : kFlags) {
    if (!args.Has(flag.name) ||
        std::find(allowed.begin(), allowed.end(), flag.name) != allowed.end()) {
      continue;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("quarantine ", subcommand, " does not take --", flag.name));
  }
  return absl::OkStatus();
}

// --- list -------------------------------------------------------------------

// "20250131T120000Z     1.2 KiB  /photos/a/IMG_1.bin".
std::string FormatFile(const v1::QuarantineFile& file) {
  return absl::StrFormat("%-16s %10s  %s\n", file.batch(),
                         Bytes(static_cast<double>(file.size_bytes())), file.original().path());
}

std::string FormatListSummary(const v1::ListQuarantineSummary& summary, int64_t /*counted*/) {
  if (summary.batches().empty()) {
    return absl::StrCat("No quarantine batches in ", summary.quarantine_dir(), ".\n");
  }
  std::string out = absl::StrFormat("%-16s %7s %10s  %s\n", "BATCH", "FILES", "SIZE", "CREATED");
  for (const v1::QuarantineBatch& batch : summary.batches()) {
    absl::StrAppend(&out, absl::StrFormat("%-16s %7s %10s  %s\n", batch.id(), Count(batch.files()),
                                          Bytes(static_cast<double>(batch.bytes())),
                                          CreatedText(batch.created_unix_seconds())));
  }
  absl::StrAppend(&out, FilesAndBytes(summary.files(), summary.bytes()), " in ",
                  Counted(static_cast<int64_t>(summary.batches().size()), "batch", "batches"),
                  " in ", summary.quarantine_dir(), ".\n");
  return out;
}

int RunList(const Invocation& invocation) {
  auto request = QuarantineRequest<v1::ListQuarantineRequest>(invocation.args);
  absl::Status flags = OnlyFlags(invocation.args, "list", {"batch", "jsonl"});
  if (!request.ok()) flags = request.status();
  if (!flags.ok()) return UsageError(flags.message(), "quarantine");
  request->set_batch(invocation.args.Value("batch").value_or(""));
  return RunResultStream(
      invocation, &Client::ListQuarantine, *request,
      ResultStream<v1::ListQuarantineResponse>{
          .starting = absl::StrCat("listing the quarantine of ", RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("quarantine: ", Count(n), " files…"); },
          .format = FormatFile,
          .format_summary = FormatListSummary,
          .exit_status = [](const v1::ListQuarantineSummary&) { return int{kExitOk}; },
      });
}

// --- restore ----------------------------------------------------------------

// "RESTORED         /photos/a/IMG_1.bin", "CONFLICT         /photos/b.bin:
// the destination exists; both are kept (still in .../b.bin)".
std::string FormatRestore(const v1::RestoreQuarantineResult& result) {
  std::string label;
  switch (result.action()) {
    case v1::RESTORE_ACTION_WOULD_RESTORE:
      label = "WOULD RESTORE";
      break;
    case v1::RESTORE_ACTION_RESTORED:
      label = "RESTORED";
      break;
    case v1::RESTORE_ACTION_CONFLICT:
      label = "CONFLICT";
      break;
    case v1::RESTORE_ACTION_FAILED:
      label = "FAILED";
      break;
    default:
      label = absl::StrCat("ACTION ", result.action());
  }
  std::string detail;
  if (!result.error().empty()) detail = absl::StrCat(": ", result.error());
  if (result.action() == v1::RESTORE_ACTION_CONFLICT ||
      result.action() == v1::RESTORE_ACTION_FAILED) {
    absl::StrAppend(&detail, " (still in ", result.file().path(), ")");
  }
  return absl::StrFormat("%-16s %s%s\n", label, result.destination().path(), detail);
}

std::string FormatRestoreSummary(const v1::RestoreQuarantineSummary& summary, int64_t /*counted*/) {
  if (summary.batches().empty()) return absl::StrCat("No quarantine batches to restore.\n");
  std::string out =
      absl::StrCat(summary.dry_run() ? "Would restore " : "Restored ",
                   Counted(summary.restored(), "file", "files"), " (",
                   Bytes(static_cast<double>(summary.bytes())), ") into ", summary.root(), " from ",
                   Counted(static_cast<int64_t>(summary.batches().size()), "batch", "batches"),
                   " (", absl::StrJoin(summary.batches(), ", "), "); ", Count(summary.conflicts()),
                   summary.conflicts() == 1 ? " conflict" : " conflicts",
                   " (kept in the quarantine), ", Count(summary.failed()), " failed.\n");
  if (summary.dry_run()) {
    out += "Dry run: nothing was changed. Run again without --dry-run to restore.\n";
  }
  return out;
}

int RunRestore(const Invocation& invocation) {
  auto request = QuarantineRequest<v1::RestoreQuarantineRequest>(invocation.args);
  absl::Status flags = OnlyFlags(invocation.args, "restore", {"batch", "dry-run", "jsonl"});
  if (!request.ok()) flags = request.status();
  if (!flags.ok()) return UsageError(flags.message(), "quarantine");
  request->set_batch(invocation.args.Value("batch").value_or(""));
  request->set_dry_run(invocation.args.Has("dry-run"));
  return RunResultStream(
      invocation, &Client::RestoreQuarantine, *request,
      ResultStream<v1::RestoreQuarantineResponse>{
          .starting = absl::StrCat("restoring into ", RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("restore: ", Count(n), " files…"); },
          .format = FormatRestore,
          .format_summary = FormatRestoreSummary,
          // A conflict is a finding: that file is still in the quarantine.
          .exit_status =
              [](const v1::RestoreQuarantineSummary& summary) {
                return summary.failed() + summary.conflicts() > 0 ? int{kExitFinding}
                                                                  : int{kExitOk};
              },
      });
}

// --- purge ------------------------------------------------------------------

absl::StatusOr<int64_t> OlderThanSeconds(const ParsedArgs& args) {
  const std::optional<std::string> text = args.Value("older-than");
  if (!text) return absl::InvalidArgumentError("quarantine purge needs --older-than DAYS");
  double days = 0;
  if (!absl::SimpleAtod(*text, &days) || !std::isfinite(days) || days < 0 || days > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat("--older-than needs a number of days (0 or more), not '", *text, "'"));
  }
  return static_cast<int64_t>(std::llround(days * 86400));
}

// "PURGED           20250101T000000Z  3 files, 6.7 KiB".
std::string FormatPurge(const v1::PurgeQuarantineResult& result) {
  std::string label;
  switch (result.action()) {
    case v1::PURGE_ACTION_WOULD_PURGE:
      label = "WOULD PURGE";
      break;
    case v1::PURGE_ACTION_PURGED:
      label = "PURGED";
      break;
    case v1::PURGE_ACTION_FAILED:
      label = "FAILED";
      break;
    default:
      label = absl::StrCat("ACTION ", result.action());
  }
  std::string detail;
  if (!result.error().empty()) detail = absl::StrCat(": ", result.error());
  return absl::StrFormat("%-16s %s  %s%s\n", label, result.batch().id(),
                         FilesAndBytes(result.batch().files(), result.batch().bytes()), detail);
}

std::string FormatPurgeSummary(const v1::PurgeQuarantineSummary& summary, int64_t /*counted*/) {
  std::string out = absl::StrCat(
      summary.dry_run() ? "Would purge " : "Purged ", Counted(summary.purged(), "batch", "batches"),
      " (", FilesAndBytes(summary.files(), summary.bytes()), ") older than ",
      absl::StrFormat("%g days", static_cast<double>(summary.older_than_seconds()) / 86400),
      " under ", summary.root(), "; ", Count(summary.kept()), " kept, ", Count(summary.failed()),
      " failed.\n");
  if (summary.dry_run()) {
    out += "Dry run: nothing was changed. Run again without --dry-run to delete them.\n";
  }
  return out;
}

int RunPurge(const Invocation& invocation) {
  auto request = QuarantineRequest<v1::PurgeQuarantineRequest>(invocation.args);
  absl::Status flags = OnlyFlags(invocation.args, "purge", {"older-than", "dry-run", "jsonl"});
  absl::StatusOr<int64_t> older_than = OlderThanSeconds(invocation.args);
  for (const absl::Status& status : {request.status(), flags, older_than.status()}) {
    if (!status.ok()) return UsageError(status.message(), "quarantine");
  }
  request->set_older_than_seconds(*older_than);
  request->set_dry_run(invocation.args.Has("dry-run"));
  return RunResultStream(
      invocation, &Client::PurgeQuarantine, *request,
      ResultStream<v1::PurgeQuarantineResponse>{
          .starting = absl::StrCat("purging the quarantine of ", RootOf(*request), "…"),
          .progress = [](int64_t n) { return absl::StrCat("purge: ", Count(n), " batches…"); },
          .format = FormatPurge,
          .format_summary = FormatPurgeSummary,
      });
}

int Run(const Invocation& invocation) {
  const std::vector<std::string>& positional = invocation.args.positional();
  const std::string subcommand = positional.empty() ? "" : positional[0];
  if (subcommand == "list") return RunList(invocation);
  if (subcommand == "restore") return RunRestore(invocation);
  if (subcommand == "purge") return RunPurge(invocation);
  return UsageError(subcommand.empty()
                        ? "quarantine needs a subcommand: list, restore or purge"
                        : absl::StrCat("unknown quarantine subcommand '", subcommand, "'"),
                    "quarantine");
}

}  // namespace

const Command kQuarantineCommand = {
    .name = "quarantine",
    .summary = "list, restore or purge what cleanup --quarantine or prune moved aside",
    .usage =
        "list DIR [--batch ID] | restore DIR [--batch ID] [--dry-run] | "
        "purge DIR --older-than DAYS [--dry-run]  (each: [--jsonl])",
    .help = R"(Works on DIR/.sidecard-quarantine/, where `cleanup DIR --quarantine` moves
orphans and `prune DIR --apply` keeps the previous version of each file it
rewrote: one batch folder per run, named by its UTC time (its ID, e.g.
20250131T120000Z), holding each file at its path relative to DIR. Give the
DIR that cleanup or prune was given.

  list DIR              every quarantined file (batch, size, where it came
                        from), then each batch: files, size, creation time
  restore DIR           moves the files back where they came from (a rename:
                        the bytes are the same), newest batch first; never
                        over a file that exists there: that is a CONFLICT and
                        both files stay as they are, except that a prune's
                        previous version replaces the pruned file while it
                        still holds exactly what the prune wrote. Missing
                        folders are created. Batch folders left empty are
                        removed.
  purge DIR --older-than DAYS
                        deletes the batches created more than DAYS ago (by
                        the time in their name; DAYS may be a fraction, 0:
                        every batch)

Flags:
  --batch ID            list or restore only this batch
  --dry-run             restore, purge: report what would happen, change
                        nothing
  --older-than DAYS     purge: required
  --jsonl               print JSON Lines (see below)

With --json: one object {"results":[...],"summary":{...}}, the results being
the QuarantineFile, RestoreQuarantineResult or PurgeQuarantineResult messages
and the summary the call's summary message.
With --jsonl: JSON Lines, one result per line as the results arrive, then the
summary as the last line: {"summary":{...}}.

Exit status: 0; 1 when a restore met a conflict or a move or deletion failed.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
