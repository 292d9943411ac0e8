// What validate, cleanup, convert and quarantine share: reading a streamed call's
// results as they arrive, printing each (text, or one element of the --json
// object, or one line of --jsonl, sidecarctl_json_stream.h), a live count on stderr, then the
// summary and the exit status it calls for. Each command says only how its results and summary
// read.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_RESULT_STREAM_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_RESULT_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cpp/client.h"
#include "client/cpp/sidecarctl_command.h"
#include "client/cpp/sidecarctl_json_stream.h"
#include "client/cpp/sidecarctl_progress.h"

namespace sidecard::ctl {

// The results of one streamed message: Validate calls them reports,
// ListQuarantine files.
template <typename Response>
const auto& ResultsOf(const Response& message) {
  if constexpr (requires { message.reports(); }) {
    return message.reports();
  } else if constexpr (requires { message.files(); }) {
    return message.files();
  } else {
    return message.results();
  }
}

// The exit status of a command whose findings are its failures.
template <typename Summary>
int ExitStatusOfFailures(const Summary& summary) {
  return summary.failed() > 0 ? kExitFinding : kExitOk;
}

// How one command's results and summary read.
template <typename Response>
struct ResultStream {
  using Result = typename std::decay_t<decltype(ResultsOf(std::declval<Response>()))>::value_type;
  using Summary = std::decay_t<decltype(std::declval<Response>().summary())>;

  // The progress line until the first results arrive.
  std::string starting;
  // The progress line once `received` results have.
  std::string (*progress)(int64_t received);
  // Whether a result is printed. Unset: every result is.
  std::function<bool(const Result&)> shown = nullptr;
  // The results a dry run's summary counts ("Would remove 3 orphaned
  // sidecar files"): the daemon's summary counts only what was done.
  // Unset: none.
  bool (*counted)(const Result&) = nullptr;
  // A result as text (without --json).
  std::function<std::string(const Result&)> format;
  // The summary as text, after a blank line if any result was printed;
  // `counted` is the number of results `counted` held true for.
  std::function<std::string(const Summary&, int64_t counted)> format_summary;
  // Unset: kExitFinding when anything failed.
  int (*exit_status)(const Summary&) = ExitStatusOfFailures<Summary>;
};

// Makes the streaming `call` and prints as the results arrive; returns the
// exit status.
template <typename Request, typename Response>
int RunResultStream(const Invocation& invocation,
                    grpc::Status (Client::*call)(const Request&,
                                                 const std::function<void(const Response&)>&),
                    const Request& request, const ResultStream<Response>& stream) {
  Progress progress;
  progress.Update(stream.starting);
  // --jsonl (a flag of each command that streams results) outranks --json.
  const bool lines = invocation.args.Has("jsonl");
  const bool as_json = invocation.json || lines;
  JsonResultsWriter json(lines);
  bool printed = false;
  int64_t received = 0;
  int64_t counted = 0;
  std::optional<typename ResultStream<Response>::Summary> summary;
  const grpc::Status status = (invocation.client.*call)(request, [&](const Response& batch) {
    progress.BeforeStdout();
    std::string text;
    for (const auto& result : ResultsOf(batch)) {
      if (stream.counted != nullptr && stream.counted(result)) ++counted;
      if (stream.shown && !stream.shown(result)) continue;
      if (as_json) {
        json.AddResult(result);
      } else {
        text += stream.format(result);
        printed = true;
      }
    }
    if (as_json) json.Flush();
    WriteOut(text);
    std::fflush(stdout);
    if (batch.has_summary()) summary = batch.summary();
    received += ResultsOf(batch).size();
    if (received > 0) progress.Update(stream.progress(received));
  });
  progress.Clear();
  if (!status.ok()) return CallFailed(invocation.client, status);
  if (!summary) return MissingSummary();

  if (as_json) {
    json.Finish(*summary);
  } else {
    WriteOut(absl::StrCat(printed ? "\n" : "", stream.format_summary(*summary, counted)));
  }
  return stream.exit_status(*summary);
}

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_RESULT_STREAM_H_
