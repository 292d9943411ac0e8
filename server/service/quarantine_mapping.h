// Quarantine engine results (ops/quarantine_*.h) → sidecar.v1 messages.
#ifndef SIDECARD_SERVER_SERVICE_QUARANTINE_MAPPING_H_
#define SIDECARD_SERVER_SERVICE_QUARANTINE_MAPPING_H_

#include "server/engine/ops/quarantine_list.h"
#include "server/engine/ops/quarantine_purge.h"
#include "server/engine/ops/quarantine_restore.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {

void FillQuarantineFile(const engine::QuarantinedFile& file, sidecar::v1::QuarantineFile& out);
void FillQuarantineBatch(const engine::QuarantineBatchInfo& batch,
                         sidecar::v1::QuarantineBatch& out);
void FillListQuarantineSummary(const engine::QuarantineListSummary& summary,
                               sidecar::v1::ListQuarantineSummary& out);
void FillRestoreResult(const engine::RestoreResult& result,
                       sidecar::v1::RestoreQuarantineResult& out);
void FillRestoreSummary(const engine::RestoreSummary& summary,
                        sidecar::v1::RestoreQuarantineSummary& out);
void FillPurgeResult(const engine::PurgeResult& result, sidecar::v1::PurgeQuarantineResult& out);
void FillPurgeSummary(const engine::PurgeSummary& summary,
                      sidecar::v1::PurgeQuarantineSummary& out);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_QUARANTINE_MAPPING_H_
