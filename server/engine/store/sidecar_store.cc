#include "server/engine/store/sidecar_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/engine/base/text.h"
#include "server/engine/documents/document_merge.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/documents/operations.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/file_stamp.h"
#include "server/engine/fs/guarded_write.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/library/directory_scan.h"
#include "server/engine/library/image_location.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {
namespace {

using rapidjson::Value;

// One sidecar file of the image (sidecar_membership.h), read.
struct MemberFile {
  const SidecarFile* file = nullptr;  // in ImageFiles::scan
  LoadedSidecar loaded;               // its stamp is the version a write may replace
};

// The image's files as every operation sees them (sidecar_membership.h).
struct ImageFiles {
  DirectoryScan scan;
  // Members in read priority order, each read; never a foreign file.
  std::vector<MemberFile> members;
  // Candidates by name that are not sidecars (without an image, not a
  // sidecar document): never read as the image's, merged or replaced.
  std::vector<std::string> foreign;
  // Same-stem sidecar names that are symlinks (never read nor replaced: a
  // link may point anywhere, outside the roots too).
  std::vector<std::string> links;
};

absl::StatusOr<ImageFiles> ListImageFiles(const ImageLocation& location, int directory_fd,
                                          const ScanOptions& options, size_t max_bytes) {
  // A new open file description (not a dup, which would share the read
  // position), so a save that starts over lists the directory afresh.
  UniqueFd listing(openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing.valid()) {
    return absl::InternalError(
        Concat("cannot list ", DisplayPath(location.directory), ": ", std::strerror(errno)));
  }
  auto scan = ScanDirectory(std::move(listing), "", location.directory, options);
  if (!scan.ok()) return scan.status();
  ImageFiles found{*std::move(scan), {}, {}, {}};
  for (size_t index : ImageCandidates(found.scan, location.stem)) {
    const SidecarFile& file = found.scan.sidecars[index];
    LoadedSidecar loaded = LoadSidecarAt(directory_fd, file.name, file.format, max_bytes);
    // Removed since it was listed (a concurrent cleanup): it is simply gone.
    if (loaded.vanished) continue;
    if (IsReportedSidecar(ClassifySidecar(file, loaded.inspection))) {
      found.members.push_back({&file, std::move(loaded)});
    } else {
      found.foreign.push_back(file.name);
    }
  }
  const std::string key = FoldCase(location.stem);
  for (const std::string& name : found.scan.foreign_files) {
    struct stat st {};
    if (FoldCase(SplitName(name).stem) == key &&
        fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      found.links.push_back(name);
    }
  }
  return found;
}

// Pairs as the tree operations do: their image extensions, and symlinked
// images resolved inside the roots.
ScanOptions ScanOptionsFor(const AllowedRoots& roots, const ImageExtensions* image_extensions) {
  ScanOptions options;
  options.image_extensions = image_extensions;
  options.allowed_roots = &roots;
  return options;
}

// A save replaces its target by rename, which would silently drop a symlink
// (or fail on a folder) that has the target's name: refused instead.
absl::Status CheckReplaceable(int directory_fd, const std::string& directory,
                              const std::string& name) {
  struct stat st {};
  if (fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISREG(st.st_mode)) {
    return absl::OkStatus();
  }
  const std::string path = DisplayPath(directory == "/" ? "/" + name : directory + "/" + name);
  return absl::FailedPreconditionError(
      Concat("sidecar ", path, S_ISLNK(st.st_mode) ? " is a symlink" : " is not a regular file",
             "; sidecard never writes through or replaces it. Remove it, or save in another "
             "format"));
}

std::string PathIn(const std::string& directory, const std::string& name) {
  return directory == "/" ? "/" + name : directory + "/" + name;
}

// Creates or updates `sidecar_info` (created_at is kept once set).
void UpdateSidecarInfo(rapidjson::Document& document, const ImageLocation& location,
                       const SaveRequest& request) {
  auto& allocator = document.GetAllocator();
  auto info_it = document.FindMember(kSidecarInfoKey.data());
  if (info_it == document.MemberEnd() || !info_it->value.IsObject()) {
    if (info_it != document.MemberEnd()) document.RemoveMember(info_it);
    document.AddMember(CopiedString(kSidecarInfoKey, allocator), Value(rapidjson::kObjectType),
                       allocator);
    info_it = document.FindMember(kSidecarInfoKey.data());
  }
  Value& info = info_it->value;
  const std::string now = Rfc3339(request.now);
  if (!info.HasMember("created_at"))
    SetMember(info, "created_at", CopiedString(now, allocator), allocator);
  if (!info.HasMember("operation_type")) {
    SetMember(info, "operation_type", CopiedString(request.operation, allocator), allocator);
  }
  // JSON text must be UTF-8 (a file that is not would not read back), so a
  // name that is not shows its bytes as \xNN, as in every message.
  const std::string image_path = DisplayPath(location.image_path);
  const std::string requested_path = DisplayPath(location.requested_path);
  SetMember(info, "image_path", CopiedString(image_path, allocator), allocator);
  SetMember(info, "last_updated", CopiedString(now, allocator), allocator);
  SetMember(info, "last_operation", CopiedString(request.operation, allocator), allocator);
  if (location.via_symlink) {
    SetMember(info, "symlink_path", CopiedString(requested_path, allocator), allocator);
    Value symlink(rapidjson::kObjectType);
    symlink.AddMember("symlink_path", CopiedString(requested_path, allocator), allocator);
    symlink.AddMember("target_path", CopiedString(image_path, allocator), allocator);
    symlink.AddMember("is_symlink", true, allocator);
    symlink.AddMember("broken", false, allocator);
    SetMember(info, "symlink_info", std::move(symlink), allocator);
  }
}

// Another program wrote one of the image's files between our read and our
// write (guarded_write.h): nothing was written, and the save starts over.
bool IsLostRace(const absl::Status& status) {
  return absl::IsAborted(status) || absl::IsAlreadyExists(status);
}

std::string CorruptName(const std::string& name, absl::Time now) {
  return Concat(name, ".corrupt-", absl::FormatTime("%Y%m%dT%H%M%E6SZ", now, absl::UTCTimeZone()));
}

}  // namespace

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<ReadOutcome> SidecarStore::Read(const AllowedRoots& roots,
                                               std::string_view image_path) const {
  auto location = LocateImage(roots, image_path, /*allow_missing=*/false);
  if (!location.ok()) return location.status();
  auto fd = OpenDirectoryBeneath(roots, location->directory);
  if (!fd.ok()) return fd.status();
  auto listed = ListImageFiles(*location, fd->get(), ScanOptionsFor(roots, image_extensions_),
                               max_sidecar_bytes_);
  if (!listed.ok()) return listed.status();
  ReadOutcome outcome;
  outcome.image_path = location->image_path;
  outcome.document.SetObject();
  for (const std::string& link : listed->links) {
    outcome.skipped.push_back({PathIn(location->directory, link), "a symlink, never followed"});
  }
  // The first readable file named after the image, then the readable old
  // per-operation files, which are merged below it.
  std::vector<MemberFile*> sources;
  bool have_base = false;
  for (MemberFile& member : listed->members) {
    const std::string path = PathIn(location->directory, member.file->name);
    const bool legacy = member.file->legacy_operation_file;
    if (!legacy && have_base) {
      outcome.shadowed.push_back(path);
    } else if (!member.loaded.readable()) {
      outcome.skipped.push_back({path, member.loaded.inspection.FirstError()});
    } else {
      sources.push_back(&member);
      have_base = true;
    }
  }
  if (sources.empty()) return outcome;
  outcome.found = true;
  outcome.sidecar_path = PathIn(location->directory, sources.front()->file->name);
  outcome.format = sources.front()->file->format;
  outcome.document = std::move(sources.front()->loaded.document);
  if (sources.size() == 1 && !sources.front()->file->legacy_operation_file) return outcome;
  // Old per-operation files are shown as a save would merge them: every
  // document normalized, each legacy one below what is read before it.
  for (MemberFile* source : sources) {
    rapidjson::Document& document =
        source == sources.front() ? outcome.document : source->loaded.document;
    PrepareMemberForMerge(*source->file, source->loaded.inspection, document);
    if (source == sources.front()) continue;
    MergeLowerPriority(outcome.document, document);
    outcome.merged_from.push_back(PathIn(location->directory, source->file->name));
  }
  return outcome;
}

absl::StatusOr<SaveOutcome> SidecarStore::Save(const AllowedRoots& roots,
                                               const SaveRequest& request) {
  if (request.payload == nullptr || !request.payload->IsObject()) {
    return absl::InvalidArgumentError("payload: must be a JSON object");
  }
  auto location = LocateImage(roots, request.image_path, request.allow_missing_image);
  if (!location.ok()) return location.status();
  ImageLocks::Guard guard = locks_.Lock(location->directory, location->stem);

  auto opened = OpenDirectoryBeneath(roots, location->directory);
  if (!opened.ok()) return opened.status();
  const UniqueFd directory = *std::move(opened);
  // The lock keeps other sidecard writers out, not other programs: when one
  // of them writes the sidecar between our read and our write, the save
  // starts over from what it wrote, so both results are kept.
  std::string corrupt_kept_as;
  absl::Status lost_race;
  for (int attempt = 0; attempt < kSaveAttempts; ++attempt) {
    auto saved = SaveOnce(roots, *location, directory.get(), request, corrupt_kept_as);
    if (saved.ok() || !IsLostRace(saved.status())) return saved;
    lost_race = saved.status();
  }
  return absl::AbortedError(Concat(
      "another program kept writing the sidecar of ", DisplayPath(location->image_path), " (",
      kSaveAttempts, " attempts; last: ", lost_race.message(), "); nothing was saved, try again"));
}

absl::StatusOr<SaveOutcome> SidecarStore::SaveOnce(const AllowedRoots& roots,
                                                   const ImageLocation& location, int directory_fd,
                                                   const SaveRequest& request,
                                                   std::string& corrupt_kept_as) const {
  // Every member is read first: a corrupt one stops the save before
  // anything is written.
  auto listed = ListImageFiles(location, directory_fd, ScanOptionsFor(roots, image_extensions_),
                               max_sidecar_bytes_);
  if (!listed.ok()) return listed.status();
  std::vector<MemberFile>& files = listed->members;
  std::vector<const MemberFile*> corrupt;
  for (const MemberFile& file : files) {
    if (!file.loaded.readable()) corrupt.push_back(&file);
  }
  if (!corrupt.empty() && !request.overwrite_corrupt) {
    const MemberFile& first = *corrupt.front();
    return absl::FailedPreconditionError(
        Concat("sidecar ", DisplayPath(PathIn(location.directory, first.file->name)),
               " is corrupt (", first.loaded.inspection.FirstError(),
               "); it was left untouched. Fix or move it, or save with overwrite_corrupt to keep "
               "it aside and write a new sidecar"));
  }

  SaveOutcome outcome;
  // A save must be what readers see: when a file of a higher read priority
  // exists (a .bin when .json was asked for), the save goes into it. Old
  // per-operation files are merged in but never written to.
  outcome.format = request.format;
  for (const MemberFile& file : files) {
    if (file.loaded.readable() && !file.file->legacy_operation_file &&
        ReadPriority(file.file->format) < ReadPriority(outcome.format)) {
      outcome.format = file.file->format;
    }
  }
  outcome.created = files.empty();
  rapidjson::Document merged(rapidjson::kObjectType);
  bool have_base = false;
  for (MemberFile& file : files) {
    if (!file.loaded.readable()) continue;
    rapidjson::Document& document = file.loaded.document;
    PrepareMemberForMerge(*file.file, file.loaded.inspection, document);
    if (!have_base) {
      merged.CopyFrom(document, merged.GetAllocator());
      have_base = true;
    } else {
      MergeLowerPriority(merged, document);
    }
    outcome.merged_from.push_back(PathIn(location.directory, file.file->name));
  }
  PutOperation(merged, request.operation, request.backend, *request.payload);
  UpdateSidecarInfo(merged, location, request);

  // Write to the existing file of the format (keeping its name's case).
  std::string target = Concat(location.stem, ".", FormatName(outcome.format));
  const MemberFile* replaced = nullptr;
  for (const MemberFile& file : files) {
    if (file.file->format == outcome.format && !file.file->legacy_operation_file) {
      target = file.file->name;
      replaced = &file;
      break;
    }
  }
  if (absl::Status replaceable = CheckReplaceable(directory_fd, location.directory, target);
      !replaceable.ok()) {
    return replaceable;
  }
  // A foreign name (`package.json` for `package.jpg`) is never read as a
  // sidecar, so a save there would be lost to readers, and the file there
  // may be someone else's: refused. So is a file there that is not a
  // sidecar by content (`model.bin` beside no image).
  if (replaced == nullptr && IsForeignName(target)) {
    return absl::FailedPreconditionError(
        Concat(DisplayPath(PathIn(location.directory, target)),
               " is a foreign file name (never read as a sidecar, and never replaced); save "
               "this image in another format"));
  }
  if (replaced == nullptr) {
    const std::string folded = FoldCase(target);
    for (const std::string& name : listed->foreign) {
      if (FoldCase(name) != folded) continue;
      return absl::FailedPreconditionError(
          Concat(DisplayPath(PathIn(location.directory, name)), " is not a sidecar of ",
                 DisplayPath(location.image_path),
                 " (without the image it is not a sidecar document, so it is a foreign file: never "
                 "merged or replaced); save this image in another format"));
    }
  }
  // Never written: a sidecar the daemon would then refuse to read (and every
  // later save take for corrupt).
  const std::string bytes = EncodeSidecar(outcome.format, merged);
  if (bytes.size() > max_sidecar_bytes_) {
    return absl::ResourceExhaustedError(Concat(
        "the sidecar ", DisplayPath(PathIn(location.directory, target)), " would be ", bytes.size(),
        " bytes, more than the daemon reads (limit ", max_sidecar_bytes_, "); nothing was saved"));
  }
  for (const MemberFile* file : corrupt) {
    const std::string& name = file->file->name;
    const std::string aside = CorruptName(name, request.now);
    if (absl::Status moved =
            MoveFileGuarded(directory_fd, name, directory_fd, aside, file->loaded.inspection.stamp);
        !moved.ok()) {
      // Replaced or removed since it was read: start over from what is there.
      if (absl::IsAborted(moved) || absl::IsNotFound(moved)) {
        return absl::AbortedError(moved.message());
      }
      return absl::Status(moved.code(), Concat("cannot keep the corrupt sidecar ", name,
                                               " aside: ", moved.message()));
    }
    if (corrupt_kept_as.empty()) corrupt_kept_as = PathIn(location.directory, aside);
    if (file == replaced) replaced = nullptr;  // its name is free now
  }
  outcome.corrupt_kept_as = corrupt_kept_as;
  const absl::Status written =
      replaced != nullptr
          ? ReplaceFileGuarded(directory_fd, target, bytes, replaced->loaded.inspection.stamp)
          : CreateFileGuarded(directory_fd, target, bytes);
  if (!written.ok()) {
    if (IsLostRace(written)) return written;
    return absl::Status(written.code(),
                        Concat(written.message(), " (in ", DisplayPath(location.directory),
                               "); any existing sidecar is unchanged"));
  }
  outcome.sidecar_path = PathIn(location.directory, target);
  outcome.size_bytes = static_cast<int64_t>(bytes.size());
  std::erase(outcome.merged_from, outcome.sidecar_path);
  return outcome;
}

}  // namespace sidecard::engine
