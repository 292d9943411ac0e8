#include "server/engine/ops/quarantine_batches.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/time/civil_time.h"
#include "server/engine/base/text.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {
namespace {

std::string ErrnoText(std::string_view what, std::string_view name) {
  return Concat(what, " ", DisplayPath(name), ": ", std::strerror(errno));
}

std::string Join(std::string_view directory, std::string_view name) {
  return Concat(directory == "/" ? "" : directory, "/", name);
}

struct Entry {
  std::string name;
  struct stat st;
};

// The entries of `fd` (without following symlinks), sorted so that a
// depth-first walk gives bytewise sorted paths: a folder sorts as `name/`.
absl::StatusOr<std::vector<Entry>> SortedEntries(int fd, std::string_view folder) {
  const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR* dir = dup_fd < 0 ? nullptr : fdopendir(dup_fd);
  if (dir == nullptr) {
    if (dup_fd >= 0) close(dup_fd);
    return absl::UnavailableError(ErrnoText("cannot list", folder));
  }
  std::vector<Entry> entries;
  errno = 0;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    Entry item{std::string(name), {}};
    if (fstatat(fd, item.name.c_str(), &item.st, AT_SYMLINK_NOFOLLOW) == 0) {
      entries.push_back(std::move(item));
    }  // else gone meanwhile
    errno = 0;
  }
  const int error = errno;
  closedir(dir);
  if (error != 0) {
    errno = error;
    return absl::UnavailableError(ErrnoText("cannot list", folder));
  }
  auto key = [](const Entry& e) { return S_ISDIR(e.st.st_mode) ? e.name + '/' : e.name; };
  std::sort(entries.begin(), entries.end(),
            [&](const Entry& a, const Entry& b) { return key(a) < key(b); });
  return entries;
}

absl::Status Walk(int fd, const std::string& prefix, const BatchVisitor& visitor) {
  auto entries = SortedEntries(fd, prefix.empty() ? "the batch" : prefix);
  if (!entries.ok()) return entries.status();
  for (const Entry& entry : *entries) {
    const std::string relative = prefix.empty() ? entry.name : Concat(prefix, "/", entry.name);
    if (S_ISREG(entry.st.st_mode)) {
      const auto& visit =
          IsPruneRecordName(entry.name) && visitor.on_record ? visitor.on_record : visitor.on_file;
      if (visit && !visit(BatchFile{fd, entry.name, relative, entry.st})) {
        return absl::CancelledError("the request was cancelled");
      }
    } else if (S_ISDIR(entry.st.st_mode)) {
      UniqueFd sub(openat(fd, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) return absl::UnavailableError(ErrnoText("cannot open folder", relative));
      if (absl::Status walked = Walk(sub.get(), relative, visitor); !walked.ok()) return walked;
      sub = UniqueFd();
      if (visitor.after_folder) visitor.after_folder(fd, entry.name);
    } else if (visitor.on_other) {
      visitor.on_other(fd, entry.name);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::Time> ParseBatchId(std::string_view id) {
  if (id.size() != 16 || id[8] != 'T' || id[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && (id[i] < '0' || id[i] > '9')) return std::nullopt;
  }
  // By hand: absl::ParseTime's %Y takes every digit that follows.
  auto number = [id](size_t at, size_t digits) {
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) value = value * 10 + (id[i] - '0');
    return value;
  };
  const int year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const int hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // Only the spelling Cleanup writes (no month 13 normalised into another).
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

std::string OpenedQuarantine::PathInBatch(std::string_view batch, std::string_view relative) const {
  return Concat(quarantine_dir, "/", batch, "/", relative);
}

std::string OpenedQuarantine::OriginalPath(std::string_view relative) const {
  return Join(root, relative);
}

absl::StatusOr<OpenedQuarantine> OpenQuarantine(const AllowedRoots& roots,
                                                const std::string& root) {
  OpenedQuarantine opened;
  auto root_fd = OpenDirectoryBeneath(roots, root);
  if (!root_fd.ok()) return root_fd.status();
  opened.root_fd = *std::move(root_fd);
  opened.root = root;
  opened.quarantine_dir = Join(root, kQuarantineDirName);
  const std::string name(kQuarantineDirName);
  opened.quarantine_fd = UniqueFd(
      openat(opened.root_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!opened.quarantine_fd.valid() && errno != ENOENT) {
    return absl::FailedPreconditionError(ErrnoText("cannot open", opened.quarantine_dir));
  }
  return opened;
}

absl::StatusOr<BatchIds> ListBatchIds(const OpenedQuarantine& quarantine, std::string_view only) {
  BatchIds found;
  if (!only.empty()) {
    if (!ParseBatchId(only)) {
      return absl::InvalidArgumentError(
          Concat("batch: not a batch ID (YYYYMMDDTHHMMSSZ): ", DisplayPath(only)));
    }
    struct stat st {};
    if (!quarantine.quarantine_fd.valid() ||
        fstatat(quarantine.quarantine_fd.get(), std::string(only).c_str(), &st,
                AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      return absl::NotFoundError(
          Concat("no quarantine batch ", only, " in ", DisplayPath(quarantine.quarantine_dir)));
    }
    found.ids.emplace_back(only);
    return found;
  }
  if (!quarantine.quarantine_fd.valid()) return found;
  auto entries = SortedEntries(quarantine.quarantine_fd.get(), quarantine.quarantine_dir);
  if (!entries.ok()) return entries.status();
  for (Entry& entry : *entries) {
    if (S_ISDIR(entry.st.st_mode) && ParseBatchId(entry.name)) {
      found.ids.push_back(std::move(entry.name));  // IDs sort by time
    } else {
      ++found.not_batches;
    }
  }
  return found;
}

absl::StatusOr<UniqueFd> OpenBatch(const OpenedQuarantine& quarantine, const std::string& id) {
  UniqueFd fd(openat(quarantine.quarantine_fd.get(), id.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.valid()) return fd;
  const bool gone = errno == ENOENT;
  const std::string message = ErrnoText("cannot open batch", id);
  if (gone) return absl::NotFoundError(message);
  return absl::UnavailableError(message);
}

absl::Status WalkBatch(int batch_fd, const BatchVisitor& visitor) {
  return Walk(batch_fd, "", visitor);
}

absl::StatusOr<QuarantineBatchInfo> MeasureBatch(const OpenedQuarantine& quarantine,
                                                 const std::string& id) {
  QuarantineBatchInfo info;
  info.id = id;
  info.created = ParseBatchId(id).value_or(absl::InfinitePast());
  auto batch = OpenBatch(quarantine, id);
  if (!batch.ok()) return batch.status();
  BatchVisitor visitor;
  visitor.on_file = [&info](const BatchFile& file) {
    ++info.files;
    info.bytes += file.st.st_size;
    return true;
  };
  visitor.on_record = [](const BatchFile&) { return true; };
  visitor.on_other = [&info](int, const std::string&) { ++info.other_entries; };
  if (absl::Status walked = WalkBatch(batch->get(), visitor); !walked.ok()) return walked;
  return info;
}

std::string BatchFolderOf(const std::string& root, const std::string& batch_dir,
                          const std::string& relative) {
  const std::string batch_relative = batch_dir.substr(root.size() == 1 ? 1 : root.size() + 1);
  const size_t slash = relative.rfind('/');
  return slash == std::string::npos ? batch_relative
                                    : Concat(batch_relative, "/", relative.substr(0, slash));
}

}  // namespace sidecard::engine
