// The sidecar documents of a tree, one image at a time: for each directory
// (depth-first, sorted), its reported sidecar files (paired, or orphans that
// decode as sidecar documents) grouped by image stem, each group read,
// decoded and merged into one document the way a reader sees it (docs/CONTRACT.md
// §2 read priority, §4 Save merging). Export and Convert work from these.
//
// Foreign files and unpaired files that do not decode are never members of a
// group, so nothing built on this ever touches them. Members that do not
// decode are kept in the group (and say why), so callers can report them.
//
// Memory stays bounded: only one directory's group plans and one batch of
// loaded documents exist at a time, so a million-image tree streams.
#ifndef SIDECARD_SERVER_ENGINE_OPS_TREE_DOCUMENTS_H_
#define SIDECARD_SERVER_ENGINE_OPS_TREE_DOCUMENTS_H_

#include <rapidjson/document.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/documents/document_facts.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/library/tree_walk.h"
#include "server/engine/ops/parallel_inspection.h"

namespace sidecard::engine {

// One reported sidecar file of a group, as it was read.
struct GroupFile {
  const SidecarFile* file = nullptr;  // in the directory's scan
  // Stamp, decode error and facts of the version read (document as on disk).
  SidecarInspection inspection;

  // Decoded to a JSON object, so its content is in the merged document.
  bool readable() const {
    return inspection.decoded && inspection.facts.layout != DocumentLayout::kNotAnObject;
  }
  // Why it is not readable ("invalid JSON at byte offset 3: ...",
  // "the document is an array, not a JSON object"); empty when readable.
  std::string UnreadableReason() const {
    return readable() ? std::string() : inspection.FirstError();
  }
};

// The sidecar files of one image stem in one directory, merged.
struct GroupDocument {
  // The group key: the image stem folded to lower case.
  std::string key;
  // Index into DirectoryScan::images of the image; none for an orphan.
  std::optional<size_t> image;
  // Reported members in read priority order (.bin, .rkyv, .json, then old
  // `<stem>_<operation>.json` files; ties by name). Empty when every
  // candidate turned out foreign or unreadable without an image.
  std::vector<GroupFile> files;
  // The readable members merged, the highest priority winning key by key;
  // old layouts normalized. Null when no member is readable.
  rapidjson::Document document;
  // Analysis of `document` (operations, payloads, counts).
  DocumentFacts facts;
  // Where a lower-priority member holds a value that differs from the one
  // merged in ("IMG_1.json: face_detection.insightface"): content that only
  // that member has.
  std::vector<std::string> conflicts;

  // The highest-priority readable member; null when none.
  const GroupFile* best() const;
  size_t unreadable_count() const;
};

// Groups per parallel batch: at most kGroupBatch, and no more than about
// kGroupBatchBytes of sidecar files (at least one group), because a batch's
// documents are all in memory at once: a folder of very large sidecars must
// not be loaded whole.
inline constexpr size_t kGroupBatch = 128;
inline constexpr int64_t kGroupBatchBytes = 16ll << 20;

struct GroupWalkOptions {
  bool recursive = true;
  // Larger member files are not read (reported unreadable).
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
};

// Runs on a worker for every non-empty group of a batch, right after it was
// loaded; `slot` is its index in the batch (below kGroupBatch).
using GroupWork =
    std::function<void(const DirectoryScan& directory, GroupDocument& group, size_t slot)>;
// Runs in walk order once a batch's work is done, with every group of the
// batch (empty ones included); returns false to stop the walk.
using GroupSink =
    std::function<bool(const DirectoryScan& directory, std::span<GroupDocument> batch)>;

// Walks the tree under `root` (resolved and checked by the caller) directory
// by directory in depth-first sorted order — a directory's own groups before
// its subdirectories' — and within a directory by the name of each group's
// first file. Returns the directories that could not be listed, or
// Cancelled when `cancellation` fires or `sink` returns false.
absl::StatusOr<std::vector<TreeWalk::DirectoryError>> ForEachGroup(
    const std::string& root, const GroupWalkOptions& options, const EngineContext& context,
    const Cancellation& cancellation, const GroupWork& work, const GroupSink& sink);

// Reads, decodes and classifies the files of `plan` (PlanGroups,
// sidecar_membership.h), keeps the members (paired, or orphans) and merges
// their documents in read priority order: each prepared
// (PrepareMemberForMerge), then merged (MergeLowerPriority).
GroupDocument LoadGroup(const DirectoryScan& directory, const GroupPlan& plan, size_t max_bytes);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_TREE_DOCUMENTS_H_
