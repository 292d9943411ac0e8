#include "server/engine/cache/inspection_source.h"

namespace sidecard::engine {

std::shared_ptr<const SidecarInspection> DirectInspector::Inspect(const DirectoryScan& directory,
                                                                  const SidecarFile& file) {
  return std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_bytes_));
}

SidecarRole ClassifySidecar(const SidecarFile& file, const SidecarInspection& inspection) {
  if (file.image.has_value()) return SidecarRole::kPaired;
  if (inspection.IsSidecarDocument()) return SidecarRole::kOrphan;
  if (inspection.decoded) return SidecarRole::kForeign;
  return SidecarRole::kUnreadableUnpaired;
}

}  // namespace sidecard::engine
