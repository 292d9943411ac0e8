#include "server/engine/library/directory_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "server/engine/base/text.h"

namespace sidecard::engine {
namespace {

using Kind = EntryKind;
using RawEntry = ListedEntry;

Kind KindFromMode(mode_t mode) {
  if (S_ISREG(mode)) return Kind::kFile;
  if (S_ISDIR(mode)) return Kind::kDirectory;
  if (S_ISLNK(mode)) return Kind::kSymlink;
  return Kind::kOther;
}

Kind KindOf(int dir_fd, const dirent& entry) {
  switch (entry.d_type) {
    case DT_REG:
      return Kind::kFile;
    case DT_DIR:
      return Kind::kDirectory;
    case DT_LNK:
      return Kind::kSymlink;
    case DT_UNKNOWN: {
      struct stat st {};
      if (fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Kind::kOther;
      return KindFromMode(st.st_mode);
    }
    default:
      return Kind::kOther;
  }
}

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

// Why a directory cannot be listed, with the status code its errno means.
absl::Status ListingFailure(int error) {
  const std::string message = Concat("cannot list: ", std::strerror(error));
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  if (error == EMFILE || error == ENFILE || error == ENOMEM) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::UnavailableError(message);
}

// Reads all entries; the fd stays usable (fdopendir works on a duplicate).
absl::StatusOr<std::vector<RawEntry>> ReadEntries(int fd) {
  const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ListingFailure(errno);
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(dup_fd));
  if (dir == nullptr) {
    const int error = errno;
    close(dup_fd);
    return ListingFailure(error);
  }
  std::vector<RawEntry> entries;
  errno = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") entries.push_back({std::string(name), KindOf(fd, *entry)});
    errno = 0;
  }
  if (errno != 0) return ListingFailure(errno);
  return entries;
}

// The entries sorted by name, remembered ones when the directory's stamp
// (taken before listing) shows it unchanged.
absl::StatusOr<std::vector<RawEntry>> ListEntries(int fd, const std::string& path,
                                                  DirectoryListings* listings) {
  std::optional<FileStamp> stamp;
  struct stat st {};
  if (listings != nullptr && fstat(fd, &st) == 0) {
    stamp = FileStamp::FromStat(st);
    if (auto remembered = listings->Find(path, *stamp)) return *std::move(remembered);
  }
  auto entries = ReadEntries(fd);
  if (!entries.ok()) return entries.status();
  std::sort(entries->begin(), entries->end(),
            [](const RawEntry& a, const RawEntry& b) { return a.name < b.name; });
  if (stamp) listings->Store(path, *stamp, *entries);
  return entries;
}

// Sort key that makes a depth-first walk produce bytewise sorted full paths:
// a directory `a` sorts as `a/`, so `a.txt` comes before everything in `a/`.
std::string OrderKey(const std::string& name, bool is_directory) {
  return is_directory ? name + "/" : name;
}

// Follows a symlink like realpath(3): relative targets resolve against the
// link's own directory, chains are followed to the end.
std::optional<std::string> ResolveLink(const std::string& link_absolute_path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(
      realpath(link_absolute_path.c_str(), nullptr), &std::free);
  if (resolved == nullptr) return std::nullopt;
  return std::string(resolved.get());
}

class Pairing {
 public:
  Pairing(DirectoryScan& scan, const ScanOptions& options) : scan_(scan), options_(options) {}

  void AddEntry(const RawEntry& entry) {
    switch (entry.kind) {
      case Kind::kDirectory:
        if (entry.name != kQuarantineDirName) scan_.subdirectories.push_back(entry.name);
        break;
      case Kind::kSymlink:
        AddSymlink(entry.name);
        break;
      case Kind::kFile:
        AddFile(entry.name);
        break;
      case Kind::kOther:
        break;
    }
  }

  // Pairs every sidecar with an image of its stem, once all images are known.
  void Pair() {
    absl::flat_hash_map<std::string, size_t> image_by_stem;
    for (size_t i = 0; i < scan_.images.size(); ++i) {
      image_by_stem.try_emplace(FoldCase(SplitName(scan_.images[i].name).stem), i);
    }
    for (SidecarFile& sidecar : scan_.sidecars) {
      const std::string_view stem = SplitName(sidecar.name).stem;
      sidecar.group_key = FoldCase(stem);
      if (auto it = image_by_stem.find(sidecar.group_key); it != image_by_stem.end()) {
        sidecar.image = it->second;
        continue;
      }
      // An old per-operation file belongs to the image named before `_<op>`
      // (and only then: the text after the last `_` is not an image name).
      if (auto legacy = SplitLegacyOperationStem(stem)) {
        if (sidecar.format != SidecarFormat::kJson) continue;
        std::string image_key = FoldCase(legacy->image_stem);
        if (auto it = image_by_stem.find(image_key); it != image_by_stem.end()) {
          sidecar.image = it->second;
          sidecar.group_key = std::move(image_key);
          sidecar.legacy_operation_file = true;
        }
      }
    }
  }

 private:
  void AddFile(const std::string& name) {
    if (auto working = RecognizeWorkingFile(scan_.fd.get(), name)) {
      scan_.working_files.push_back(*std::move(working));
      return;
    }
    if (options_.image_extensions->IsImageName(name)) {
      scan_.images.push_back({name, false, {}, false});
      return;
    }
    const auto format = SidecarFormatOfName(name);
    if (!format) return;
    if (IsForeignName(name)) {
      scan_.foreign_files.push_back(name);
      return;
    }
    scan_.sidecars.push_back({name, *format, std::nullopt, {}, false});
  }

  void AddSymlink(const std::string& name) {
    ++scan_.symlinks;
    const std::string link_path = scan_.AbsolutePathOf(name);
    const auto target = ResolveLink(link_path);
    struct stat st {};
    if (!target || stat(target->c_str(), &st) != 0) {
      ++scan_.broken_symlinks;
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      ++scan_.directory_symlinks;  // never followed: it may lead out of the root
      return;
    }
    const bool image_name = options_.image_extensions->IsImageName(name) ||
                            options_.image_extensions->IsImageName(*target);
    if (S_ISREG(st.st_mode) && image_name) {
      const bool outside =
          options_.allowed_roots != nullptr && !options_.allowed_roots->Contains(*target);
      scan_.images.push_back({name, true, *target, outside});
    } else if (SidecarFormatOfName(name)) {
      scan_.foreign_files.push_back(name);  // a linked sidecar is never read or removed
    }
  }

  DirectoryScan& scan_;
  const ScanOptions& options_;
};

void BuildOrder(DirectoryScan& scan) {
  std::vector<std::pair<std::string, DirectoryScan::Step>> keyed;
  keyed.reserve(scan.sidecars.size() + scan.subdirectories.size());
  for (size_t i = 0; i < scan.sidecars.size(); ++i) {
    keyed.push_back({OrderKey(scan.sidecars[i].name, false), {false, i}});
  }
  for (size_t i = 0; i < scan.subdirectories.size(); ++i) {
    keyed.push_back({OrderKey(scan.subdirectories[i], true), {true, i}});
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  scan.order.reserve(keyed.size());
  for (const auto& [key, step] : keyed) scan.order.push_back(step);
}

}  // namespace

std::string DirectoryScan::RelativePathOf(std::string_view name) const {
  return relative_path.empty() ? std::string(name) : Concat(relative_path, "/", name);
}

std::string DirectoryScan::AbsolutePathOf(std::string_view name) const {
  return absolute_path == "/" ? Concat("/", name) : Concat(absolute_path, "/", name);
}

absl::StatusOr<DirectoryScan> ScanDirectory(UniqueFd fd, std::string relative_path,
                                            std::string absolute_path, const ScanOptions& options) {
  // Watched first, so whatever is read from here on is covered by events.
  std::shared_ptr<const WatchedDirectory> watch;
  uint64_t watched_generation = 0;
  if (options.watcher != nullptr) watch = options.watcher->Watch(fd.get(), absolute_path);
  if (watch != nullptr) watched_generation = watch->TrustedGeneration();
  auto entries = ListEntries(fd.get(), absolute_path, options.listings);
  if (!entries.ok()) return entries.status();
  DirectoryScan scan;
  scan.watch = std::move(watch);
  scan.watched_generation = watched_generation;
  scan.fd = std::move(fd);
  scan.relative_path = std::move(relative_path);
  scan.absolute_path = std::move(absolute_path);
  Pairing pairing(scan, options);
  for (const RawEntry& entry : *entries) pairing.AddEntry(entry);
  pairing.Pair();
  BuildOrder(scan);
  return scan;
}

}  // namespace sidecard::engine
