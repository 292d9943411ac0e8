#include "server/engine/fs/guarded_write.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/fs/atomic_file.h"

namespace sidecard::engine {
namespace {

std::function<void(std::string_view, const std::string&)>& Hook() {
  static std::function<void(std::string_view, const std::string&)> hook;
  return hook;
}

void AtStep(std::string_view step, const std::string& name) {
  if (Hook()) Hook()(step, name);
}

// renameat2(RENAME_NOREPLACE), or link + unlink where the file system lacks
// the flag (also atomic: link fails when the name exists). 0 or an errno.
int RenameNoReplace(int from_fd, const std::string& from, int to_fd, const std::string& to) {
  if (renameat2(from_fd, from.c_str(), to_fd, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL) return errno;
  if (linkat(from_fd, from.c_str(), to_fd, to.c_str(), 0) != 0) return errno;
  unlinkat(from_fd, from.c_str(), 0);
  return 0;
}

std::optional<FileStamp> StampAt(int directory_fd, const std::string& name) {
  struct stat st {};
  if (fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return FileStamp::FromStat(st);
}

// Puts the displaced content now at `held` back under `name`, or, when the
// name is taken again, keeps it as a conflict file. Says where it went.
std::string Restore(int directory_fd, const std::string& held, const std::string& name) {
  if (RenameNoReplace(directory_fd, held, directory_fd, name) == 0) {
    return Concat("their version is back as ", name);
  }
  const std::string conflict = ConflictName(name, absl::Now());
  if (RenameNoReplace(directory_fd, held, directory_fd, conflict) == 0) {
    return Concat("their version is kept as ", conflict);
  }
  return Concat("their version is kept as ", held);
}

std::string ChangedMessage(const std::string& name, std::string_view what) {
  return Concat(name, " was ", what, " by another program while sidecard wrote it; ");
}

}  // namespace

absl::Status CreateFileGuarded(int directory_fd, const std::string& name, std::string_view bytes,
                               mode_t mode) {
  auto temporary = WriteTemporaryFile(directory_fd, name, bytes, mode);
  if (!temporary.ok()) return temporary.status();
  AtStep("create", name);
  if (const int error = RenameNoReplace(directory_fd, temporary->name, directory_fd, name)) {
    unlinkat(directory_fd, temporary->name.c_str(), 0);
    if (error == EEXIST) {
      return absl::AlreadyExistsError(
          Concat(name, " was created by another program meanwhile; nothing was written"));
    }
    errno = error;
    return FileSystemFailure("create", name);
  }
  return SyncDirectory(directory_fd);
}

absl::Status ReplaceFileGuarded(int directory_fd, const std::string& name, std::string_view bytes,
                                const FileStamp& expected, mode_t mode) {
  auto temporary = WriteTemporaryFile(directory_fd, name, bytes, mode);
  if (!temporary.ok()) return temporary.status();
  // Under a held name from here on: after the exchange it holds the
  // displaced file, which may be another program's, so a crash must not
  // leave it under a name that is deleted as an old temporary file.
  const std::string held = NewWorkingFileName(kHeldPrefix, name);
  if (const int error = RenameNoReplace(directory_fd, temporary->name, directory_fd, held)) {
    unlinkat(directory_fd, temporary->name.c_str(), 0);
    errno = error;
    return FileSystemFailure("replace", name);
  }
  const auto discard_ours = [&](absl::Status status) {
    unlinkat(directory_fd, held.c_str(), 0);
    return status;
  };
  AtStep("replace", name);
  if (renameat2(directory_fd, held.c_str(), directory_fd, name.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno == ENOENT) {
      return discard_ours(
          absl::AbortedError(Concat(ChangedMessage(name, "removed"), "nothing was written")));
    }
    if (errno != EINVAL) return discard_ours(FileSystemFailure("replace", name));
    // No RENAME_EXCHANGE here: check, then rename (a short window remains).
    const std::optional<FileStamp> now = StampAt(directory_fd, name);
    if (!now || !now->SameVersionAs(expected)) {
      return discard_ours(
          absl::AbortedError(Concat(ChangedMessage(name, "replaced"), "nothing was written")));
    }
    if (renameat(directory_fd, held.c_str(), directory_fd, name.c_str()) != 0) {
      return discard_ours(FileSystemFailure("replace", name));
    }
    return SyncDirectory(directory_fd);
  }
  const std::optional<FileStamp> displaced = StampAt(directory_fd, held);
  if (displaced && displaced->SameVersionAs(expected)) {
    unlinkat(directory_fd, held.c_str(), 0);
    return SyncDirectory(directory_fd);
  }
  // Another program's version was displaced: undo the exchange.
  AtStep("put-back", name);
  std::string where;
  if (renameat2(directory_fd, held.c_str(), directory_fd, name.c_str(), RENAME_EXCHANGE) == 0) {
    const std::optional<FileStamp> back = StampAt(directory_fd, held);
    if (back && back->SameVersionAs(temporary->stamp)) {
      unlinkat(directory_fd, held.c_str(), 0);
      where = Concat("their version was kept as ", name);
    } else {
      // A third write replaced ours in the meantime: keep it too.
      const std::string conflict = ConflictName(name, absl::Now());
      where = Concat(
          "their version was kept as ", name, " and a later one as ",
          RenameNoReplace(directory_fd, held, directory_fd, conflict) == 0 ? conflict : held);
    }
  } else {
    // Ours was removed in the meantime: theirs goes back if the name is free.
    where = Restore(directory_fd, held, name);
  }
  SyncDirectory(directory_fd).IgnoreError();
  return absl::AbortedError(Concat(ChangedMessage(name, "replaced"), where, "; nothing written"));
}

absl::Status MoveFileGuarded(int from_fd, const std::string& from_name, int to_fd,
                             const std::string& to_name, const FileStamp& expected) {
  AtStep("move", from_name);
  if (const int error = RenameNoReplace(from_fd, from_name, to_fd, to_name)) {
    if (error == EEXIST) return absl::AlreadyExistsError(Concat(to_name, " already exists"));
    if (error == ENOENT) return absl::NotFoundError(Concat(from_name, " is gone"));
    errno = error;
    return FileSystemFailure("move", from_name);
  }
  const std::optional<FileStamp> moved = StampAt(to_fd, to_name);
  if (moved && moved->SameVersionAs(expected)) return absl::OkStatus();
  // Another version had taken its place just before: it goes back.
  AtStep("put-back", from_name);
  std::string where;
  if (RenameNoReplace(to_fd, to_name, from_fd, from_name) == 0) {
    where = "it was left in place";
  } else {
    const std::string conflict = ConflictName(from_name, absl::Now());
    where = RenameNoReplace(to_fd, to_name, from_fd, conflict) == 0
                ? Concat("it is kept as ", conflict)
                : Concat("it is kept as ", to_name);
  }
  return absl::AbortedError(
      Concat(from_name, " was changed by another program since it was read; ", where));
}

absl::Status RemoveFileGuarded(int directory_fd, const std::string& name,
                               const FileStamp& expected) {
  const std::string held = NewWorkingFileName(kHeldPrefix, name);
  if (absl::Status moved = MoveFileGuarded(directory_fd, name, directory_fd, held, expected);
      !moved.ok()) {
    return moved;
  }
  if (unlinkat(directory_fd, held.c_str(), 0) != 0) return FileSystemFailure("remove", name);
  return absl::OkStatus();
}

void SetGuardedWriteHookForTesting(
    std::function<void(std::string_view step, const std::string&)> hook) {
  Hook() = std::move(hook);
}

}  // namespace sidecard::engine
