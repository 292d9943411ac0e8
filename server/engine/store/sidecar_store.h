// Read and Save of one image's sidecar (docs/CONTRACT.md §4).
//
// Which files are the image's is sidecar_membership.h's one definition, as
// for every tree operation: `<stem>.bin|.rkyv|.json`, and old
// `<stem>_<operation>.json` files beside the image; a foreign file (one that
// without its image is not a sidecar document) is never read, merged or
// replaced.
//
// Read follows the read priority (.bin, .rkyv, .json) and falls through a
// corrupt file to the next readable one, reporting what it skipped. The old
// per-operation files are shown merged below it, as a save would merge them.
//
// Save merges one operation's payload into the image's document and writes
// it atomically (temporary file, fsync, rename, fsync of the directory) in
// the requested format. Saves to one image are serialised, so none is lost.
// The content of every other sidecar file of the image (an old `.json`
// beside a new `.bin`, old per-operation files) is merged in, never hidden,
// and those files are left in place (Convert folds them into one file). When a readable file of a
// higher read priority than the requested format exists, the save is written into it, so readers
// see it. Another program's write to the image's sidecar that lands between the save's read and its
// write is never overwritten: the save starts over from it (a few times, then Aborted;
// guarded_write.h). A corrupt sidecar is never silently replaced: the save fails unless the caller
// asks to overwrite, and then the corrupt file is kept aside as `<name>.corrupt-<UTC time>`.
#ifndef SIDECARD_SERVER_ENGINE_STORE_SIDECAR_STORE_H_
#define SIDECARD_SERVER_ENGINE_STORE_SIDECAR_STORE_H_

#include <rapidjson/document.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/library/image_location.h"
#include "server/engine/library/naming.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

struct SkippedFile {
  std::string path;  // absolute
  std::string error;
};

struct ReadOutcome {
  bool found = false;
  rapidjson::Document document;  // `{}` when not found
  std::string sidecar_path;      // absolute; empty when not found
  SidecarFormat format = SidecarFormat::kBin;
  std::vector<SkippedFile> skipped;   // higher-priority files that did not decode
  std::vector<std::string> shadowed;  // lower-priority files also present
  // Old per-operation files merged into `document` below `sidecar_path`.
  std::vector<std::string> merged_from;
  std::string image_path;  // resolved
};

struct SaveRequest {
  std::string image_path;
  std::string operation;
  std::string backend;                        // empty: the payload is the operation's value
  const rapidjson::Value* payload = nullptr;  // a JSON object
  SidecarFormat format = SidecarFormat::kBin;
  bool overwrite_corrupt = false;
  bool allow_missing_image = false;
  absl::Time now = absl::Now();
};

struct SaveOutcome {
  std::string sidecar_path;
  SidecarFormat format = SidecarFormat::kBin;
  bool created = false;
  std::vector<std::string> merged_from;
  std::string corrupt_kept_as;  // empty unless a corrupt file was kept aside
  int64_t size_bytes = 0;
};

class SidecarStore {
 public:
  // `image_extensions` must be the tree operations' (the daemon's
  // --image-extension), so Read and Save pair files as they do.
  SidecarStore(ImageLocks& locks, size_t max_sidecar_bytes,
               const ImageExtensions* image_extensions = &ImageExtensions::Default())
      : locks_(locks), max_sidecar_bytes_(max_sidecar_bytes), image_extensions_(image_extensions) {}

  absl::StatusOr<ReadOutcome> Read(const AllowedRoots& roots, std::string_view image_path) const;
  absl::StatusOr<SaveOutcome> Save(const AllowedRoots& roots, const SaveRequest& request);

 private:
  // One read, merge and guarded write; Aborted or AlreadyExists when another
  // program's write got in between. `corrupt_kept_as` survives attempts.
  absl::StatusOr<SaveOutcome> SaveOnce(const AllowedRoots& roots, const ImageLocation& location,
                                       int directory_fd, const SaveRequest& request,
                                       std::string& corrupt_kept_as) const;

  static constexpr int kSaveAttempts = 5;

  ImageLocks& locks_;
  size_t max_sidecar_bytes_;
  const ImageExtensions* image_extensions_;
};

// RFC 3339 UTC with microseconds, as sidecar_info timestamps are written.
std::string Rfc3339(absl::Time time);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_STORE_SIDECAR_STORE_H_
