// Engine results → sidecar.v1 messages.
#ifndef SIDECARD_SERVER_SERVICE_PROTO_MAPPING_H_
#define SIDECARD_SERVER_SERVICE_PROTO_MAPPING_H_

#include <optional>

#include "server/engine/cache/metadata_cache.h"
#include "server/engine/ops/cleanup.h"
#include "server/engine/ops/stats.h"
#include "server/engine/ops/validate.h"
#include "server/engine/recovery/working_file_sweep.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {

// A raw path as display text plus exact bytes.
void FillPath(const std::string& raw, sidecar::v1::FilePath& out);

// `file` must have its inspection.
void FillFileReport(const engine::ValidatedFile& file, sidecar::v1::FileReport& out);
// All of FillFileReport but `file`, `image` and `size_bytes`.
void FillFileReportBody(const engine::ValidatedFile& file, sidecar::v1::FileReport& out);
void FillValidateSummary(const engine::ValidateSummary& summary, sidecar::v1::ValidateSummary& out);
void FillStats(const engine::TreeStats& stats, sidecar::v1::StatsResponse& out);
void FillCleanupResult(const engine::CleanupResult& result, sidecar::v1::CleanupResult& out);
void FillCacheFigures(const engine::CacheFigures& figures, sidecar::v1::CacheFigures& out);
void FillCleanupSummary(const engine::CleanupSummary& summary, sidecar::v1::CleanupSummary& out);
void FillSweepFigures(const engine::SweepFigures& figures, sidecar::v1::StartupSweepFigures& out);

sidecar::v1::SidecarFormat ToProto(engine::SidecarFormat format);
// None for UNSPECIFIED or an unknown value.
std::optional<engine::SidecarFormat> FromProto(sidecar::v1::SidecarFormat format);
engine::CleanupMode FromProto(sidecar::v1::CleanupMode mode);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_PROTO_MAPPING_H_
