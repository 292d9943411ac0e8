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

// One existing sidecar file of the image, decoded (or not).
struct ExistingFile {
  std::string name;
  SidecarFormat format;
  absl::StatusOr<rapidjson::Document> document = absl::UnknownError("not read");
  FileStamp stamp;  // the version read; a write replaces only this version
};

// The image's sidecar files: regular files in read priority order (same
// stem, any case of a sidecar extension; never foreign names), and the names
// of same-stem sidecar names that are symlinks (never read nor replaced: a
// link may point anywhere, outside the roots too).
struct SidecarFiles {
  std::vector<ExistingFile> files;
  std::vector<std::string> links;
};

absl::StatusOr<SidecarFiles> ListSidecarFiles(const ImageLocation& location, int directory_fd) {
  // A new open file description (not a dup, which would share the read
  // position), so a save that starts over lists the directory afresh.
  UniqueFd listing(openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing.valid()) {
    return absl::InternalError(
        Concat("cannot list ", DisplayPath(location.directory), ": ", std::strerror(errno)));
  }
  auto scan = ScanDirectory(std::move(listing), "", location.directory, ScanOptions{});
  if (!scan.ok()) return scan.status();
  const std::string key = FoldCase(location.stem);
  SidecarFiles found;
  for (const SidecarFile& file : scan->sidecars) {
    if (FoldCase(SplitName(file.name).stem) == key)
      found.files.push_back({file.name, file.format, absl::UnknownError("not read"), {}});
  }
  std::stable_sort(found.files.begin(), found.files.end(),
                   [](const ExistingFile& a, const ExistingFile& b) {
                     return ReadPriority(a.format) < ReadPriority(b.format);
                   });
  for (const std::string& name : scan->foreign_files) {
    struct stat st {};
    if (FoldCase(SplitName(name).stem) == key &&
        fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      found.links.push_back(name);
    }
  }
  return found;
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

absl::StatusOr<rapidjson::Document> DecodeObject(int directory_fd, const ExistingFile& file,
                                                 size_t max_bytes, FileStamp& stamp) {
  auto bytes = ReadRegularFileAt(directory_fd, file.name, max_bytes, stamp);
  if (!bytes.ok()) return bytes.status();
  auto decoded = DecodeSidecar(file.format, *bytes);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->document.IsObject()) {
    return absl::InvalidArgumentError("the document is not a JSON object");
  }
  return std::move(decoded->document);
}

std::string PathIn(const std::string& directory, const std::string& name) {
  return directory == "/" ? "/" + name : directory + "/" + name;
}

Value String(std::string_view text, rapidjson::Document::AllocatorType& allocator) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

void SetMember(Value& object, std::string_view key, Value value,
               rapidjson::Document::AllocatorType& allocator) {
  auto it = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(String(key, allocator), value, allocator);
  }
}

// Creates or updates `sidecar_info` (created_at is kept once set).
void UpdateSidecarInfo(rapidjson::Document& document, const ImageLocation& location,
                       const SaveRequest& request) {
  auto& allocator = document.GetAllocator();
  auto info_it = document.FindMember(kSidecarInfoKey.data());
  if (info_it == document.MemberEnd() || !info_it->value.IsObject()) {
    if (info_it != document.MemberEnd()) document.RemoveMember(info_it);
    document.AddMember(String(kSidecarInfoKey, allocator), Value(rapidjson::kObjectType),
                       allocator);
    info_it = document.FindMember(kSidecarInfoKey.data());
  }
  Value& info = info_it->value;
  const std::string now = Rfc3339(request.now);
  if (!info.HasMember("created_at"))
    SetMember(info, "created_at", String(now, allocator), allocator);
  if (!info.HasMember("operation_type")) {
    SetMember(info, "operation_type", String(request.operation, allocator), allocator);
  }
  // JSON text must be UTF-8 (a file that is not would not read back), so a
  // name that is not shows its bytes as \xNN, as in every message.
  const std::string image_path = DisplayPath(location.image_path);
  const std::string requested_path = DisplayPath(location.requested_path);
  SetMember(info, "image_path", String(image_path, allocator), allocator);
  SetMember(info, "last_updated", String(now, allocator), allocator);
  SetMember(info, "last_operation", String(request.operation, allocator), allocator);
  if (location.via_symlink) {
    SetMember(info, "symlink_path", String(requested_path, allocator), allocator);
    Value symlink(rapidjson::kObjectType);
    symlink.AddMember("symlink_path", String(requested_path, allocator), allocator);
    symlink.AddMember("target_path", String(image_path, allocator), allocator);
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
  auto listed = ListSidecarFiles(*location, fd->get());
  if (!listed.ok()) return listed.status();
  ReadOutcome outcome;
  outcome.image_path = location->image_path;
  outcome.document.SetObject();
  for (const std::string& link : listed->links) {
    outcome.skipped.push_back({PathIn(location->directory, link), "a symlink, never followed"});
  }
  for (ExistingFile& file : listed->files) {
    const std::string path = PathIn(location->directory, file.name);
    if (outcome.found) {
      outcome.shadowed.push_back(path);
      continue;
    }
    auto document = DecodeObject(fd->get(), file, max_sidecar_bytes_, file.stamp);
    // Removed since it was listed (a concurrent cleanup): it is simply gone.
    if (absl::IsNotFound(document.status())) continue;
    if (!document.ok()) {
      outcome.skipped.push_back({path, std::string(document.status().message())});
      continue;
    }
    outcome.found = true;
    outcome.document = *std::move(document);
    outcome.sidecar_path = path;
    outcome.format = file.format;
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
    auto saved = SaveOnce(*location, directory.get(), request, corrupt_kept_as);
    if (saved.ok() || !IsLostRace(saved.status())) return saved;
    lost_race = saved.status();
  }
  return absl::AbortedError(Concat(
      "another program kept writing the sidecar of ", DisplayPath(location->image_path), " (",
      kSaveAttempts, " attempts; last: ", lost_race.message(), "); nothing was saved, try again"));
}

absl::StatusOr<SaveOutcome> SidecarStore::SaveOnce(const ImageLocation& location, int directory_fd,
                                                   const SaveRequest& request,
                                                   std::string& corrupt_kept_as) const {
  auto listed = ListSidecarFiles(location, directory_fd);
  if (!listed.ok()) return listed.status();
  std::vector<ExistingFile>& files = listed->files;

  // Decode everything first: a corrupt file stops the save before anything
  // is written.
  for (ExistingFile& file : files) {
    file.document = DecodeObject(directory_fd, file, max_sidecar_bytes_, file.stamp);
  }
  // A file removed since it was listed (a concurrent cleanup of an orphan)
  // is gone, not corrupt.
  std::erase_if(files,
                [](const ExistingFile& file) { return absl::IsNotFound(file.document.status()); });
  std::vector<const ExistingFile*> corrupt;
  for (ExistingFile& file : files) {
    if (!file.document.ok()) corrupt.push_back(&file);
  }
  if (!corrupt.empty() && !request.overwrite_corrupt) {
    const ExistingFile& first = *corrupt.front();
    return absl::FailedPreconditionError(
        Concat("sidecar ", DisplayPath(PathIn(location.directory, first.name)), " is corrupt (",
               first.document.status().message(),
               "); it was left untouched. Fix or move it, or save with overwrite_corrupt to keep "
               "it aside and write a new sidecar"));
  }

  SaveOutcome outcome;
  // A save must be what readers see: when a file of a higher read priority
  // exists (a .bin when .json was asked for), the save goes into it.
  outcome.format = request.format;
  for (const ExistingFile& file : files) {
    if (file.document.ok() && ReadPriority(file.format) < ReadPriority(outcome.format)) {
      outcome.format = file.format;
    }
  }
  outcome.created = files.empty();
  rapidjson::Document merged(rapidjson::kObjectType);
  bool have_base = false;
  for (ExistingFile& file : files) {
    if (!file.document.ok()) continue;
    NormalizeLayout(*file.document);
    if (!have_base) {
      merged.CopyFrom(*file.document, merged.GetAllocator());
      have_base = true;
    } else {
      MergeLowerPriority(merged, *file.document);
    }
    outcome.merged_from.push_back(PathIn(location.directory, file.name));
  }
  PutOperation(merged, request.operation, request.backend, *request.payload);
  UpdateSidecarInfo(merged, location, request);

  // Write to the existing file of the format (keeping its name's case).
  std::string target = Concat(location.stem, ".", FormatName(outcome.format));
  const ExistingFile* replaced = nullptr;
  for (const ExistingFile& file : files) {
    if (file.format == outcome.format) {
      target = file.name;
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
  // may be someone else's: refused.
  if (replaced == nullptr && IsForeignName(target)) {
    return absl::FailedPreconditionError(
        Concat(DisplayPath(PathIn(location.directory, target)),
               " is a foreign file name (never read as a sidecar, and never replaced); save "
               "this image in another format"));
  }
  // Never written: a sidecar the daemon would then refuse to read (and every
  // later save take for corrupt).
  const std::string bytes = EncodeSidecar(outcome.format, merged);
  if (bytes.size() > max_sidecar_bytes_) {
    return absl::ResourceExhaustedError(Concat(
        "the sidecar ", DisplayPath(PathIn(location.directory, target)), " would be ", bytes.size(),
        " bytes, more than the daemon reads (limit ", max_sidecar_bytes_, "); nothing was saved"));
  }
  for (const ExistingFile* file : corrupt) {
    const std::string aside = CorruptName(file->name, request.now);
    if (absl::Status moved =
            MoveFileGuarded(directory_fd, file->name, directory_fd, aside, file->stamp);
        !moved.ok()) {
      // Replaced or removed since it was read: start over from what is there.
      if (absl::IsAborted(moved) || absl::IsNotFound(moved)) {
        return absl::AbortedError(moved.message());
      }
      return absl::Status(moved.code(), Concat("cannot keep the corrupt sidecar ", file->name,
                                               " aside: ", moved.message()));
    }
    if (corrupt_kept_as.empty()) corrupt_kept_as = PathIn(location.directory, aside);
    if (file == replaced) replaced = nullptr;  // its name is free now
  }
  outcome.corrupt_kept_as = corrupt_kept_as;
  const absl::Status written =
      replaced != nullptr ? ReplaceFileGuarded(directory_fd, target, bytes, replaced->stamp)
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
