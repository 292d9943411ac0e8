// What Find (docs/CONTRACT.md §4) asks of each image: the predicates of one
// query, how they are spelled and checked, and whether one found image
// matches them. Predicates combine with AND.
#ifndef SIDECARD_SERVER_ENGINE_OPS_FIND_PREDICATES_H_
#define SIDECARD_SERVER_ENGINE_OPS_FIND_PREDICATES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "server/engine/formats/sidecar_codec.h"

namespace sidecard::engine {

// What Find knows of one image (or, with no image, of one orphaned sidecar
// document): the facts of its sidecar files seen as one document
// (sidecar_group.h). A symlinked image's facts are those of the sidecar
// beside its resolved target.
struct FoundImage {
  std::string image;  // absolute; empty for an orphan
  // The file a reader reads first (absolute); empty when there is none.
  std::string sidecar;
  // The first of its sidecar files (by read priority) that is invalid;
  // empty when all are valid.
  std::string invalid_sidecar;
  std::optional<SidecarFormat> format;  // of `sidecar`
  // Operations present, sorted and unique. Held inline (an image has one or
  // two): a query over a whole tree reads them for every image, and a
  // pointer to chase per image would cost more than the comparison.
  absl::InlinedVector<std::string, 2> operations;
  // `operation.backend` of every payload held under a backend, sorted and unique.
  std::vector<std::string> backends;
  // `operation` and (for payloads under a backend) `operation.backend` of
  // every payload with `success: false`, sorted and unique.
  std::vector<std::string> failed;
  int64_t faces = 0;
  int64_t objects = 0;
  // Objects per class name, sorted by name.
  std::vector<std::pair<std::string, int64_t>> object_classes;
  // Newest modification time of its sidecar files (ns since the epoch); 0
  // when it has none.
  int64_t modified_ns = 0;
  int sidecar_files = 0;

  bool orphan() const { return image.empty(); }
  bool has_sidecar() const { return sidecar_files > 0; }
  bool valid() const { return invalid_sidecar.empty(); }
};

// An operation, optionally narrowed to one backend (`face_detection` or
// `face_detection.insightface`).
struct OperationRef {
  std::string operation;
  std::string backend;  // empty: any (or no) backend

  std::string Spelled() const { return backend.empty() ? operation : operation + "." + backend; }
};

struct FindPredicates {
  std::vector<OperationRef> has;      // holds each
  std::vector<OperationRef> missing;  // holds none of these
  std::vector<OperationRef> failed;   // a payload of each has `success: false`
  std::optional<int64_t> min_faces;
  std::optional<int64_t> min_objects;
  std::vector<std::string> object_classes;  // an object of each class
  std::optional<SidecarFormat> format;      // of the file a reader reads first
  bool invalid = false;                     // some sidecar file is invalid
  // Orphaned sidecar documents (no image) instead of images.
  bool orphans = false;
  bool no_sidecar = false;                  // an image with no sidecar file
  std::optional<int64_t> changed_since_ns;  // a sidecar file modified at or after

  // Each predicate as sidecarctl spells it (`--missing face_detection`), for
  // summaries and logs.
  std::vector<std::string> Describe() const;
};

// Parses `text` as `operation` or `operation.backend`; `field` names the
// predicate in the error (InvalidArgument).
absl::StatusOr<OperationRef> ParseOperationRef(std::string_view field, std::string_view text);

// Parses a time given as RFC 3339 (`2026-12-04T18:00:00Z`) or as unix
// seconds (`1796407200`, fractions allowed); ns since the epoch.
absl::StatusOr<int64_t> ParseChangedSince(std::string_view text);

// A format name (`bin`, `rkyv`, `json`).
absl::StatusOr<SidecarFormat> ParseFindFormat(std::string_view text);

// Checks counts are not negative (InvalidArgument naming the predicate).
absl::Status CheckFindPredicates(const FindPredicates& predicates);

// Whether `found` matches every predicate. Images and orphans are told
// apart by `predicates.orphans`: a query sees one kind or the other.
bool Matches(const FindPredicates& predicates, const FoundImage& found);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_FIND_PREDICATES_H_
