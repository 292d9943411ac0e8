// Reads one sidecar file relative to an open directory, decodes it and
// analyses the document: everything the tree operations need to know about
// one version of one file. This is the unit a metadata cache keeps.
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_FILE_INSPECTION_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_FILE_INSPECTION_H_

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/documents/document_facts.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/fs/file_stamp.h"

namespace sidecard::engine {

struct SidecarInspection {
  SidecarFormat format = SidecarFormat::kJson;
  FileStamp stamp;
  // Names (hard links) of the file when it was opened and stat'ed for this
  // inspection; 0 when it could not be, and in inspections from the cache.
  uint64_t links = 0;
  // True when the bytes were read and decoded to JSON (any value).
  bool decoded = false;
  // Why it could not be read or decoded; empty when decoded.
  std::string error;
  // Decoder warnings (trailing bytes, ...).
  std::vector<std::string> decode_warnings;
  DocumentFacts facts;

  // Decodes to an object with no structure problems.
  bool valid() const { return decoded && facts.valid(); }
  // Decodes to a document that provably belongs to the pipeline.
  bool IsSidecarDocument() const { return decoded && facts.IsSidecarDocument(); }
  // The first problem that makes it invalid, for one-line reports.
  std::string FirstError() const;
};

// Default largest sidecar read (bigger files are reported, not read).
inline constexpr size_t kDefaultMaxSidecarBytes = 256u << 20;

// Reads the whole of `name` inside `directory_fd` without following
// symlinks; it must be a regular file of at most `max_bytes`. Fills `stamp`.
// Errors carry a message for reports ("cannot open: Permission denied",
// "not a regular file", "too large to read: ...").
absl::StatusOr<std::string> ReadRegularFileAt(int directory_fd, const std::string& name,
                                              size_t max_bytes, FileStamp& stamp);

// Opens `name` inside `directory_fd` without following symlinks, checks it is
// a regular file no larger than `max_bytes`, reads and decodes it. Never
// fails: problems land in `error`.
SidecarInspection InspectSidecarAt(int directory_fd, const std::string& name, SidecarFormat format,
                                   size_t max_bytes = kDefaultMaxSidecarBytes);

// One file read whole with its document, for the operations that need the
// content itself (Read, Save, Export, Convert), parsed exactly.
struct LoadedSidecar {
  SidecarInspection inspection;
  rapidjson::Document document;  // null unless decoded
  // Gone since it was listed (another program removed it): not a problem.
  bool vanished = false;

  // Decoded to a JSON object, so its content can be merged.
  bool readable() const {
    return inspection.decoded && inspection.facts.layout != DocumentLayout::kNotAnObject;
  }
};
LoadedSidecar LoadSidecarAt(int directory_fd, const std::string& name, SidecarFormat format,
                            size_t max_bytes = kDefaultMaxSidecarBytes);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_FILE_INSPECTION_H_
