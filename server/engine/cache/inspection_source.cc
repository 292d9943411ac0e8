#include "server/engine/cache/inspection_source.h"

namespace sidecard::engine {

std::shared_ptr<const SidecarInspection> DirectInspector::Inspect(const DirectoryScan& directory,
                                                                  const SidecarFile& file) {
  return std::make_shared<const SidecarInspection>(
      InspectSidecarAt(directory.fd.get(), file.name, file.format, max_bytes_));
}

}  // namespace sidecard::engine
