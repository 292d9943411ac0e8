// A Validate FileReport in the compact JSON layout of proto_json.h, written
// field by field rather than through reflection: a full report of a large
// tree prints a hundred thousand of them, and sidecarctl then spends a few
// times less per report. The text is byte for byte what
// AppendMessageJson(report, JsonLayout::kCompact) writes.
#ifndef SIDECARD_CLIENT_CPP_FILE_REPORT_JSON_H_
#define SIDECARD_CLIENT_CPP_FILE_REPORT_JSON_H_

#include <string>

#include "sidecar/v1/sidecar.pb.h"

namespace sidecard {

void AppendFileReportJson(const sidecar::v1::FileReport& report, std::string& out);

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_FILE_REPORT_JSON_H_
