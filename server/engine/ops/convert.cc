#include "server/engine/ops/convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/atomic_file.h"
#include "server/engine/fs/file_stamp.h"
#include "server/engine/fs/guarded_write.h"
#include "server/engine/library/naming.h"
#include "server/engine/ops/tree_documents.h"

namespace sidecard::engine {
namespace {

std::string ErrnoText(std::string_view what) { return Concat(what, ": ", std::strerror(errno)); }

// The member that already is `<stem>.<target ext>` (any case), if any.
const GroupFile* TargetMember(const GroupDocument& group, SidecarFormat target) {
  for (const GroupFile& file : group.files) {
    if (file.file->format == target && !file.file->legacy_operation_file) return &file;
  }
  return nullptr;
}

// The existing target file's name, or `<stem>.<ext>` with the stem of the
// highest-priority member (the image's stem when only old per-operation
// files exist).
std::string TargetName(const DirectoryScan& directory, const GroupDocument& group,
                       const GroupFile* existing, SidecarFormat target) {
  if (existing != nullptr) return existing->file->name;
  for (const GroupFile& file : group.files) {
    if (!file.file->legacy_operation_file) {
      return Concat(SplitName(file.file->name).stem, ".", FormatName(target));
    }
  }
  return Concat(SplitName(directory.images[*group.image].name).stem, ".", FormatName(target));
}

// True when `target` was modified after every other member.
bool TargetIsNewest(const GroupDocument& group, const GroupFile& target) {
  return std::all_of(group.files.begin(), group.files.end(), [&](const GroupFile& file) {
    return &file == &target || file.inspection.stamp.mtime_ns < target.inspection.stamp.mtime_ns;
  });
}

// Why `name` cannot be created: something that is not one of the image's
// sidecars (a foreign file, an unreadable file without an image, a folder)
// already has it. On a case-insensitive file system this also finds a
// different-case twin.
std::optional<std::string> NameTaken(int directory_fd, const std::string& name) {
  struct stat st {};
  if (fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return Concat(name, " already exists and is not a sidecar of this image; nothing changed");
  }
  if (errno != ENOENT) return ErrnoText(Concat("cannot check ", name));
  return std::nullopt;
}

// Whether `file` is still the version that was read; `mode` gets its mode.
std::optional<std::string> Changed(int directory_fd, const GroupFile& file, mode_t* mode) {
  struct stat st {};
  if (fstatat(directory_fd, file.file->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoText(Concat("cannot check ", file.file->name));
  }
  if (!S_ISREG(st.st_mode) || !(FileStamp::FromStat(st) == file.inspection.stamp)) {
    return Concat(file.file->name, " changed since it was read");
  }
  if (mode != nullptr) *mode = st.st_mode & 07777;
  return std::nullopt;
}

// Reads `name` back and checks it decodes to `expected` (canonical JSON).
absl::Status Verify(int directory_fd, const std::string& name, SidecarFormat format,
                    const std::string& expected, size_t max_bytes) {
  FileStamp stamp;
  auto bytes = ReadRegularFileAt(directory_fd, name, max_bytes, stamp);
  if (!bytes.ok()) {
    return absl::DataLossError(Concat("cannot read back ", name, ": ", bytes.status().message()));
  }
  auto decoded = DecodeSidecar(format, *bytes);
  if (!decoded.ok()) {
    return absl::DataLossError(Concat(name, " does not decode: ", decoded.status().message()));
  }
  if (CanonicalJson(decoded->document) != expected) {
    return absl::DataLossError(Concat(name, " does not read back as the document written"));
  }
  return absl::OkStatus();
}

class Converter {
 public:
  Converter(const ConvertOptions& options, ImageLocks& locks) : options_(options), locks_(locks) {}

  ConvertResult Convert(const DirectoryScan& directory, const GroupDocument& group) const {
    ConvertResult result;
    for (const GroupFile& file : group.files) {
      result.sources.push_back(directory.AbsolutePathOf(file.file->name));
    }
    const GroupFile* existing = TargetMember(group, options_.target);
    const std::string target_name = TargetName(directory, group, existing, options_.target);
    result.target = directory.AbsolutePathOf(target_name);
    result.action = Decide(directory, group, existing, target_name, result.error);
    if (result.action == ConvertAction::kWouldConvert && options_.apply) {
      ImageLocks::Guard guard = locks_.Lock(directory.absolute_path, group.key);
      Apply(directory.fd.get(), group, existing, target_name, result);
    }
    return result;
  }

 private:
  // Everything that can be decided without writing.
  ConvertAction Decide(const DirectoryScan& directory, const GroupDocument& group,
                       const GroupFile* existing, const std::string& target_name,
                       std::string& error) const {
    for (const GroupFile& file : group.files) {
      if (!file.readable()) {
        // The result's sources name a lone file already; of several, say which.
        error = group.files.size() == 1 ? file.UnreadableReason()
                                        : Concat(file.file->name, ": ", file.UnreadableReason());
        return ConvertAction::kSkippedUnreadable;
      }
    }
    if (existing != nullptr && group.files.size() == 1) return ConvertAction::kAlreadyTarget;
    // Without conflicts the merge only adds what a file lacks, so nothing
    // newer can be overwritten (this also finishes a convert that was cut
    // after writing the target). With conflicts nothing is touched.
    if (!group.conflicts.empty()) {
      if (existing != nullptr && TargetIsNewest(group, *existing)) {
        error = Concat(existing->file->name, " is newer than the other files; nothing changed");
        return ConvertAction::kSkippedTargetNewer;
      }
      // Removing the lower-priority file would lose its differing values.
      error = "files differ: ";
      for (size_t i = 0; i < group.conflicts.size(); ++i) {
        error += Concat(i ? ", " : "", group.conflicts[i]);
      }
      error += "; nothing changed (merge them by hand, or save the result you want)";
      return ConvertAction::kSkippedConflict;
    }
    if (existing == nullptr) {
      if (auto taken = NameTaken(directory.fd.get(), target_name)) {
        error = *std::move(taken);
        return ConvertAction::kFailed;
      }
    }
    return ConvertAction::kWouldConvert;
  }

  // Writes and verifies the target, then removes the other members. Runs
  // under the image's lock.
  void Apply(int directory_fd, const GroupDocument& group, const GroupFile* existing,
             const std::string& target_name, ConvertResult& result) const {
    const auto fail = [&result](std::string error) {
      result.action = ConvertAction::kFailed;
      result.error = std::move(error);
    };
    mode_t mode = 0644;
    for (const GroupFile& file : group.files) {
      const bool first = &file == &group.files.front();
      if (auto changed = Changed(directory_fd, file, first ? &mode : nullptr)) {
        return fail(Concat(*changed, "; nothing changed"));
      }
    }
    // The target is written only over the version read (or only if its name
    // is still free): another program's write that lands meanwhile is never
    // replaced (guarded_write.h), and then nothing changes.
    const std::string bytes = EncodeSidecar(options_.target, group.document);
    const absl::Status written =
        existing != nullptr
            ? ReplaceFileGuarded(directory_fd, target_name, bytes, existing->inspection.stamp, mode)
            : CreateFileGuarded(directory_fd, target_name, bytes, mode);
    if (!written.ok()) {
      if (absl::IsAlreadyExists(written)) {
        return fail(
            Concat(target_name, " was created by another program meanwhile; nothing changed"));
      }
      return fail(Concat(written.message(), "; the sources are kept"));
    }
    const absl::Status verified =
        Verify(directory_fd, target_name, options_.target, CanonicalJson(group.document),
               std::max(options_.max_sidecar_bytes, bytes.size()));
    if (!verified.ok()) return fail(Concat(verified.message(), "; the sources are kept"));

    std::vector<std::string> problems;
    for (const GroupFile& file : group.files) {
      if (&file == existing) continue;
      // Only the version read goes (its content is in the target now).
      const absl::Status removed =
          RemoveFileGuarded(directory_fd, file.file->name, file.inspection.stamp);
      if (absl::IsAborted(removed)) {
        problems.emplace_back(removed.message());  // says where the other version is
      } else if (!removed.ok() && !absl::IsNotFound(removed)) {
        problems.push_back(Concat("cannot remove ", file.file->name, ": ", removed.message()));
      }
    }
    if (absl::Status synced = SyncDirectory(directory_fd); !synced.ok()) {
      problems.emplace_back(synced.message());
    }
    if (!problems.empty()) {
      std::string error = Concat(target_name, " was written and verified, but ");
      for (size_t i = 0; i < problems.size(); ++i) error += Concat(i ? "; " : "", problems[i]);
      return fail(std::move(error));
    }
    result.action = ConvertAction::kConverted;
  }

  const ConvertOptions& options_;
  ImageLocks& locks_;
};

void Count(const ConvertResult& result, ConvertSummary& summary) {
  switch (result.action) {
    case ConvertAction::kWouldConvert:
    case ConvertAction::kConverted:
      ++summary.converted;
      break;
    case ConvertAction::kAlreadyTarget:
      ++summary.already_target;
      break;
    case ConvertAction::kSkippedUnreadable:
    case ConvertAction::kSkippedTargetNewer:
    case ConvertAction::kSkippedConflict:
      ++summary.skipped;
      break;
    case ConvertAction::kFailed:
      ++summary.failed;
      break;
  }
}

}  // namespace

absl::StatusOr<ConvertSummary> ConvertTree(
    const std::string& root, const ConvertOptions& options, const EngineContext& context,
    ImageLocks& locks, const Cancellation& cancellation,
    const std::function<bool(std::span<const ConvertResult>)>& sink) {
  const absl::Time start = absl::Now();
  ConvertSummary summary;
  summary.root = root;
  summary.target = options.target;
  summary.applied = options.apply;
  const Converter converter(options, locks);

  // Groups are converted on the workers, each into the slot of its group.
  std::vector<ConvertResult> slots(kGroupBatch);
  std::vector<ConvertResult> results;
  const GroupWork convert = [&](const DirectoryScan& directory, GroupDocument& group, size_t slot) {
    slots[slot] = converter.Convert(directory, group);
  };
  const GroupSink report = [&](const DirectoryScan&, std::span<GroupDocument> batch) {
    results.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].files.empty()) continue;
      summary.sidecars_examined += static_cast<int64_t>(batch[i].files.size());
      Count(slots[i], summary);
      results.push_back(std::move(slots[i]));
    }
    return results.empty() || sink(results);
  };
  GroupWalkOptions walk_options;
  walk_options.recursive = options.recursive;
  walk_options.max_sidecar_bytes = options.max_sidecar_bytes;
  auto directory_errors = ForEachGroup(root, walk_options, context, cancellation, convert, report);
  if (!directory_errors.ok()) return directory_errors.status();
  summary.unreadable_directories = static_cast<int64_t>(directory_errors->size());
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
