#include "client/cpp/sidecarctl_json_stream.h"

#include <cstdio>

#include "client/cpp/file_report_json.h"
#include "client/cpp/proto_json.h"

namespace sidecard::ctl {

namespace {

void AppendResult(const google::protobuf::Message& result, std::string& out) {
  // Validate's reports, by far the most numerous, have a writer of their own.
  if (const auto* report = dynamic_cast<const sidecar::v1::FileReport*>(&result)) {
    AppendFileReportJson(*report, out);
  } else {
    AppendMessageJson(result, JsonLayout::kCompact, out);
  }
}

}  // namespace

void JsonResultsWriter::AddResult(const google::protobuf::Message& result) {
  if (lines_) {
    AppendResult(result, buffer_);
    buffer_ += '\n';
    return;
  }
  if (!begun_) buffer_ += "{\"results\":[";
  begun_ = true;
  buffer_ += has_results_ ? ",\n" : "\n";
  has_results_ = true;
  AppendResult(result, buffer_);
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
