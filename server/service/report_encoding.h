// Validate's file reports in wire form, built in two parts so a full report
// of an unchanged directory is not encoded again: the body (everything but
// the file and image paths and the size), which the engine remembers with
// each unchanged directory (ValidateOptions::encode_report), and the paths
// and size, added per file as it is sent.
//
// Reports go into a ValidateResponse as unknown fields under the `reports`
// field number: on the wire that is the same repeated field, in the order
// added, and remembered bodies are copied, never parsed back.
#ifndef SIDECARD_SERVER_SERVICE_REPORT_ENCODING_H_
#define SIDECARD_SERVER_SERVICE_REPORT_ENCODING_H_

#include <string>

#include "server/engine/ops/validate.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {

// The FileReport of `file` (which has its inspection), serialized without
// `file`, `image` and `size_bytes`.
std::string EncodeReportBody(const engine::ValidatedFile& file);

// Adds the report of `file` (with its report_memo from EncodeReportBody) to
// `message` as the next element of `reports`.
void AddEncodedReport(const engine::ValidatedFile& file, sidecar::v1::ValidateResponse& message);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_REPORT_ENCODING_H_
