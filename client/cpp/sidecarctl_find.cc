// `sidecarctl find DIR [predicates]`: the images under DIR whose sidecars
// match every predicate, one path per line (or --json / --jsonl).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cpp/request_path.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_json_stream.h"

namespace sidecard::ctl {
namespace {

using sidecar::v1::FilePath;
using sidecar::v1::FindRequest;
using sidecar::v1::FindResponse;
using sidecar::v1::FoundImage;
using sidecar::v1::FoundPaths;

constexpr FlagSpec kFlags[] = {{"has", true},
                               {"missing", true},
                               {"failed", true},
                               {"min-faces", true},
                               {"min-objects", true},
                               {"class", true},
                               {"format", true},
                               {"invalid"},
                               {"orphans"},
                               {"no-sidecar"},
                               {"changed-since", true},
                               {"non-recursive"},
                               {"jsonl"}};

// A count flag's value; a negative one goes to the daemon, which names it.
absl::Status SetCount(const ParsedArgs& args, absl::string_view flag,
                      void (FindRequest::*set)(int64_t), FindRequest& request) {
  const std::optional<std::string> value = args.Value(flag);
  if (!value) return absl::OkStatus();
  int64_t count = 0;
  if (!absl::SimpleAtoi(*value, &count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(flag), ": '", *value, "' is not a whole number"));
  }
  (request.*set)(count);
  return absl::OkStatus();
}

absl::StatusOr<FindRequest> BuildRequest(const ParsedArgs& args) {
  absl::StatusOr<FindRequest> request = TreeRequest<FindRequest>(args);
  if (!request.ok()) return request;
  for (const std::string& op : args.Values("has")) request->add_has(op);
  for (const std::string& op : args.Values("missing")) request->add_missing(op);
  for (const std::string& op : args.Values("failed")) request->add_failed(op);
  for (const std::string& name : args.Values("class")) request->add_object_classes(name);
  if (auto set = SetCount(args, "min-faces", &FindRequest::set_min_faces, *request); !set.ok()) {
    return set;
  }
  if (auto set = SetCount(args, "min-objects", &FindRequest::set_min_objects, *request);
      !set.ok()) {
    return set;
  }
  request->set_format(args.Value("format").value_or(""));
  request->set_invalid(args.Has("invalid"));
  request->set_orphans(args.Has("orphans"));
  request->set_no_sidecar(args.Has("no-sidecar"));
  request->set_changed_since(args.Value("changed-since").value_or(""));
  return request;
}

// The exact bytes of a reported path (as find(1) prints names).
const std::string& Bytes(const FilePath& path) {
  return path.raw_path().empty() ? path.path() : path.raw_path();
}

// A plain listing: the paths the daemon sends (FindRequest.paths_only), one
// per line; for invalid and orphan queries each sidecar once (images sharing
// a stem share it).
class PlainListing {
 public:
  explicit PlainListing(const FindRequest& request)
      : invalid_(request.invalid()), orphans_(request.orphans()) {}

  void Add(const FoundPaths& group, std::string& text) {
    std::string prefix = Bytes(group.directory());
    if (!prefix.ends_with('/')) prefix += '/';
    const std::string& names = group.names();
    // Thousands of names a message: the text grows once.
    const size_t count = static_cast<size_t>(std::count(names.begin(), names.end(), '\0'));
    text.reserve(text.size() + names.size() + count * prefix.size() + 1);
    for (size_t at = 0; at < names.size();) {
      size_t end = names.find('\0', at);
      if (end == std::string::npos) end = names.size();
      const absl::string_view name(names.data() + at, end - at);
      at = end + 1;
      if (Once() && !printed_.insert(absl::StrCat(prefix, name)).second) continue;
      text.append(prefix).append(name.data(), name.size()).push_back('\n');
    }
  }

  // A whole match, from a daemon that predates paths_only.
  void Add(const FoundImage& found, std::string& text) {
    const std::string& path = Bytes(invalid_   ? found.invalid_sidecar()
                                    : orphans_ ? found.sidecar()
                                               : found.image());
    if (Once() && !printed_.insert(path).second) return;
    absl::StrAppend(&text, path, "\n");
  }

 private:
  bool Once() const { return invalid_ || orphans_; }

  const bool invalid_;
  const bool orphans_;
  std::set<std::string> printed_;
};

int Run(const Invocation& invocation) {
  const ParsedArgs& args = invocation.args;
  absl::StatusOr<FindRequest> request = BuildRequest(args);
  if (!request.ok()) return UsageError(request.status().message(), "find");

  const bool lines = args.Has("jsonl");
  const bool as_json = invocation.json || lines;
  // A plain listing needs only the paths.
  request->set_paths_only(!as_json);
  JsonResultsWriter json(lines);
  PlainListing plain(*request);
  std::optional<sidecar::v1::FindSummary> summary;
  std::string text;
  const grpc::Status status = invocation.client.Find(*request, [&](const FindResponse& batch) {
    text.clear();
    for (const FoundImage& found : batch.matches()) {
      if (as_json) {
        json.AddResult(found);
      } else {
        plain.Add(found, text);
      }
    }
    if (as_json) json.Flush();
    for (const FoundPaths& group : batch.paths()) plain.Add(group, text);
    WriteOut(text);
    std::fflush(stdout);
    if (batch.has_summary()) summary = batch.summary();
  });
  if (!status.ok()) return CallFailed(invocation.client, status);
  if (!summary) return MissingSummary();
  if (as_json) json.Finish(*summary);
  return kExitOk;
}

}  // namespace

const Command kFindCommand = {
    .name = "find",
    .summary = "list the images under DIR whose sidecars match predicates",
    .usage =
        "DIR [--has OP] [--missing OP] [--failed OP] [--min-faces N] [--min-objects N] "
        "[--class NAME] [--format F] [--invalid] [--orphans] [--no-sidecar] "
        "[--changed-since TIME] [--non-recursive] [--jsonl]",
    .help = R"(Lists the images under DIR whose sidecars match every predicate given (AND),
one path per line, answered from the daemon's cache. A symlinked image is
judged by the sidecar beside its resolved target; images sharing a stem
(x.jpg, x.CR2) share one sidecar and are listed both.

Predicates (OP is an operation such as face_detection, or operation.backend
such as face_detection.insightface; --has, --missing, --failed and --class
may be repeated):
  --has OP             its sidecar holds OP
  --missing OP         its sidecar lacks OP (an image with no sidecar lacks all)
  --failed OP          a payload of OP has "success": false
  --min-faces N        at least N faces over its payloads
  --min-objects N      at least N objects over its payloads
  --class NAME         an object of class NAME (e.g. --class "sports ball")
  --format F           its sidecar read first is F: bin, rkyv or json
  --invalid            one of its sidecar files is invalid (prints that file)
  --orphans            orphaned sidecar documents instead of images (prints
                       the sidecar)
  --no-sidecar         images with no sidecar file at all
  --changed-since TIME a sidecar file modified at or after TIME: RFC 3339
                       (2026-12-04T18:00:00Z) or unix seconds (1796407200)
Other flags:
  --non-recursive      only the images directly inside DIR
  --jsonl              print JSON Lines (see below)

Output: one path per line, exact bytes (the image; with --invalid or
--orphans the sidecar file, each once).
With --json: one object {"results":[FoundImage...],"summary":FindSummary}.
With --jsonl: one FoundImage per line (image, sidecar, format, operations,
backends, failed, counts, ...) as the matches arrive, then the summary as the
last line: {"summary":FindSummary}.

Exit status: 0 whether or not anything matched.
)",
    .flags = kFlags,
    .run = Run,
};

}  // namespace sidecard::ctl
