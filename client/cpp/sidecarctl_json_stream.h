// The `--json` output of a streaming command: one JSON object
// `{"results":[...],"summary":{...}}` written to stdout piece by piece as the
// stream arrives, one result per line, so memory stays bounded however many
// results there are.
//
// Nothing is written before the first result or the summary, so a call that
// fails at once leaves stdout empty. A stream that fails midway leaves the
// object unterminated: invalid JSON that no script can take for a complete
// answer (the exit status says what happened).
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_

#include <google/protobuf/message.h>

#include <string>

namespace sidecard::ctl {

class JsonResultsWriter {
 public:
  // Writes one element of "results".
  void AddResult(const google::protobuf::Message& result);
  // Writes the buffered results to stdout.
  void Flush();
  // Closes "results", writes "summary" and ends the object.
  void Finish(const google::protobuf::Message& summary);

 private:
  std::string buffer_;
  bool begun_ = false;
  bool has_results_ = false;
};

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_JSON_STREAM_H_
