// Export, Convert and Prune: sidecar.v1 requests → engine options (checking the
// enum fields), engine results → messages.
#ifndef SIDECARD_SERVER_SERVICE_BULK_MAPPING_H_
#define SIDECARD_SERVER_SERVICE_BULK_MAPPING_H_

#include "absl/status/statusor.h"
#include "server/engine/ops/convert.h"
#include "server/engine/ops/export.h"
#include "server/engine/ops/prune.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {

// Format and content of an Export request, with their defaults (JSON;
// documents for JSON and JSON Lines, the table for CSV). InvalidArgument for
// unknown values and for documents as CSV. Leaves the filter unchecked.
absl::StatusOr<engine::ExportOptions> ExportOptionsFrom(const sidecar::v1::ExportRequest& request);

// InvalidArgument when the target format is missing or unknown.
absl::StatusOr<engine::ConvertOptions> ConvertOptionsFrom(
    const sidecar::v1::ConvertRequest& request);

// InvalidArgument for an empty or reserved operation, or an empty backend
// (engine::CheckPruneNames).
absl::StatusOr<engine::PruneOptions> PruneOptionsFrom(const sidecar::v1::PruneRequest& request);

void FillPruneResult(const engine::PruneResult& result, sidecar::v1::PruneResult& out);
void FillPruneSummary(const engine::PruneSummary& summary, sidecar::v1::PruneSummary& out);

void FillExportSummary(const engine::ExportSummary& summary, sidecar::v1::ExportSummary& out);
void FillConvertResult(const engine::ConvertResult& result, sidecar::v1::ConvertResult& out);
void FillConvertSummary(const engine::ConvertSummary& summary, sidecar::v1::ConvertSummary& out);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_BULK_MAPPING_H_
