// `sidecarctl watch DIR`: prints the sidecar files created, changed and
// removed under DIR as they happen, until interrupted.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"

namespace sidecard::ctl {
namespace {

namespace v1 = sidecar::v1;

constexpr FlagSpec kFlags[] = {{"cursor", true}, {"jsonl"}};

absl::string_view KindWord(v1::ChangeKind kind) {
  switch (kind) {
    case v1::CHANGE_KIND_CREATED:
      return "created";
    case v1::CHANGE_KIND_CHANGED:
      return "changed";
    case v1::CHANGE_KIND_REMOVED:
      return "removed";
    default:
      return "unknown";
  }
}

// One line per change: `created  /photos/a/IMG_1.json  face_detection,yolo`.
std::string ChangeLine(const v1::SidecarChange& change) {
  std::string line = absl::StrCat(KindWord(change.kind()), "  ", change.path().path());
  if (change.kind() != v1::CHANGE_KIND_REMOVED) {
    absl::StrAppend(&line, "  ",
                    change.operations().empty() ? "-" : absl::StrJoin(change.operations(), ","));
    if (!change.valid()) absl::StrAppend(&line, "  (invalid: ", change.error(), ")");
  }
  return line + "\n";
}

// The text of one message; JSON Lines: each part a line of its own
// ({"started":..}, {"reset":..}, then one SidecarChange per line).
std::string MessageText(const v1::WatchResponse& message, bool jsonl) {
  std::string text;
  if (message.has_started()) {
    if (jsonl) {
      text += "{\"started\":";
      AppendMessageJson(message.started(), JsonLayout::kCompact, text);
      text += "}\n";
    } else {
      absl::StrAppend(&text, "watching (cursor ", message.started().cursor(), ")\n");
    }
  }
  if (message.has_reset()) {
    if (jsonl) {
      text += "{\"reset\":";
      AppendMessageJson(message.reset(), JsonLayout::kCompact, text);
      text += "}\n";
    } else {
      absl::StrAppend(&text, "reset: ", message.reset().message(), " (cursor ",
                      message.reset().cursor(), ")\n");
    }
  }
  for (const v1::SidecarChange& change : message.changes()) {
    if (jsonl) {
      AppendMessageJson(change, JsonLayout::kCompact, text);
      text += "\n";
    } else {
      text += ChangeLine(change);
    }
  }
  return text;
}

int Run(const Invocation& invocation) {
  absl::StatusOr<std::string> root = DirectoryArgument(invocation.args);
  if (!root.ok()) return UsageError(root.status().message(), "watch");
  v1::WatchRequest request;
  SetRoot(request, *std::move(root));
  request.set_cursor(invocation.args.Value("cursor").value_or(""));
  const bool jsonl = invocation.json || invocation.args.Has("jsonl");
  const grpc::Status status = invocation.client.Watch(request, [&](const v1::WatchResponse& m) {
    WriteOut(MessageText(m, jsonl));
    std::fflush(stdout);  // a pipe reader sees each change as it happens
    return true;
  });
  return CallFailed(invocation.client, status);
}

}  // namespace

const Command kWatchCommand = {
    .name = "watch",
    .summary = "print sidecar changes under a directory as they happen",
    .usage = "DIR [--cursor CURSOR] [--jsonl]",
    .help = R"(Prints each sidecar file created, changed (with the operations it now holds)
or removed under DIR, as the daemon's inotify watches see it, until
interrupted. Every change carries a cursor; given back with --cursor, the
stream starts with every change since, or with a reset ("resynchronise")
when the daemon cannot tell them: it restarted, lost events, no longer
remembers that far back, or the client fell behind. After a reset, list the
tree again (validate, stats) and go on.

Flags:
  --cursor CURSOR   resume after this cursor (c:<instance>:<sequence>)
  --jsonl           one JSON object per line: {"started":{...}} first, then
                    {"reset":{...}} or a change {"kind":..., "path":...,
                    "operations":[...], "cursor":...} (--json means the same)

Exit status: 4 with FAILED_PRECONDITION when the daemon does not watch
(--no-watch) or DIR cannot be watched (NFS, SMB, FUSE, the inotify watch
limit), and with UNAVAILABLE when the daemon shuts down.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
