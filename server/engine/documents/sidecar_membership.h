// The one definition of "the sidecar files of an image" (docs/CONTRACT.md §1),
// used by every operation: the tree scan (Validate, Stats), Cleanup, Export,
// Convert, ReadSidecar and SaveSidecar.
//
// Names give the candidates: DirectoryScan pairs `<stem>.bin|.rkyv|.json`
// with the image `<stem>.*`, and an old `<stem>_<operation>.json` with the
// image `<stem>.*` (SidecarFile::group_key, legacy_operation_file). Content
// decides the rest (ClassifySidecar): a candidate beside its image is a
// sidecar whatever it holds; one without an image is a sidecar (an orphan)
// only when it decodes as a sidecar document, and otherwise foreign. A
// foreign file is never read as a sidecar, merged, converted, moved or
// deleted.
#ifndef SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_MEMBERSHIP_H_
#define SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_MEMBERSHIP_H_

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "server/engine/documents/file_inspection.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

// What a sidecar-extension file turns out to be once inspected.
enum class SidecarRole {
  kPaired,   // an image of its group is beside it: a sidecar, readable or not
  kOrphan,   // no image, and it decodes as a sidecar document (§3)
  kForeign,  // no image, and not provably a sidecar: it does not decode, or
             // decodes to something that is not a sidecar document
};
SidecarRole ClassifySidecar(const SidecarFile& file, const SidecarInspection& inspection);

// True for the roles that make a file one of its group's members (paired,
// or orphan): reported, merged, converted, and (orphans) cleaned up.
inline bool IsReportedSidecar(SidecarRole role) {
  return role == SidecarRole::kPaired || role == SidecarRole::kOrphan;
}

// Read priority within a group: .bin, .rkyv, .json, then old per-operation
// files (lower than any file named after the image).
int MemberRank(const SidecarFile& file);

// The candidates of each group of `directory` (before classification):
// indices into `directory.sidecars`, groups ordered by their first file's
// name, files in name order.
struct GroupPlan {
  std::string key;
  std::vector<size_t> sidecars;
};
std::vector<GroupPlan> PlanGroups(const DirectoryScan& directory);

// The candidates of the image whose stem is `image_stem` (any case), in
// MemberRank order (ties by name).
std::vector<size_t> ImageCandidates(const DirectoryScan& directory, std::string_view image_stem);

// Makes a member's decoded document ready to be merged with its group's
// others (MergeLowerPriority): the bare payload of an old per-operation file
// (`{"success": true, "faces": [...]}`, no operation key) is moved under the
// operation its name gives, then old layouts are normalized (NormalizeLayout).
void PrepareMemberForMerge(const SidecarFile& file, const SidecarInspection& inspection,
                           rapidjson::Document& document);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_DOCUMENTS_SIDECAR_MEMBERSHIP_H_
