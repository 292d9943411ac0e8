#include "client/cpp/sidecarctl_json_stream.h"

#include <cstdio>

#include "client/cpp/proto_json.h"

namespace sidecard::ctl {

void JsonResultsWriter::AddResult(const google::protobuf::Message& result) {
  if (lines_) {
    AppendMessageJson(result, JsonLayout::kCompact, buffer_);
    buffer_ += '\n';
    return;
  }
  if (!begun_) buffer_ += "{\"results\":[";
  begun_ = true;
  buffer_ += has_results_ ? ",\n" : "\n";
  has_results_ = true;
  AppendMessageJson(result, JsonLayout::kCompact, buffer_);
}

void JsonResultsWriter::Flush() {
  std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
  std::fflush(stdout);
  buffer_.clear();
}

void JsonResultsWriter::Finish(const google::protobuf::Message& summary) {
  if (lines_) {
    buffer_ += "{\"summary\":";
    AppendMessageJson(summary, JsonLayout::kCompact, buffer_);
    buffer_ += "}\n";
    Flush();
    return;
  }
  if (!begun_) buffer_ += "{\"results\":[";
  begun_ = true;
  buffer_ += has_results_ ? "\n],\n\"summary\":" : "],\n\"summary\":";
  AppendMessageJson(summary, JsonLayout::kCompact, buffer_);
  buffer_ += "}\n";
  Flush();
}

}  // namespace sidecard::ctl
