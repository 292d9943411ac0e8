// The `--json` output of a streaming command: one JSON object
// `{"results":[...],"summary":{...}}` written to stdout piece by piece as the
// stream arrives, one result per line, so memory stays bounded however many
// results there are.
//
// Nothing is written before the first result or the summary, so a call that
// fails at once leaves stdout empty. A stream that fails midway leaves the
// object unterminated: invalid JSON that no script can take for a complete
// answer (the exit status says what happened).
//
// With --jsonl (JSON Lines), each result is a line of its own, a complete
// compact JSON object written as it arrives, and the summary is the last line,
// `{"summary":{...}}`: `head`, `grep` and `jq` read it line by line. A stream
// that fails midway has no summary line.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_

#include <google/protobuf/message.h>

#include <string>

namespace sidecard::ctl {

class JsonResultsWriter {
 public:
  // `lines`: JSON Lines (--jsonl) rather than one object (--json).
  explicit JsonResultsWriter(bool lines = false) : lines_(lines) {}

  // Writes one element of "results".
  void AddResult(const google::protobuf::Message& result);
  // Writes the buffered results to stdout.
  void Flush();
  // Closes "results", writes "summary" and ends the object (JSON Lines:
  // writes the summary line).
  void Finish(const google::protobuf::Message& summary);

 private:
  const bool lines_;
  std::string buffer_;
  bool begun_ = false;
  bool has_results_ = false;
};

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_
