#include "server/engine/recovery/working_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "server/engine/fs/atomic_file.h"

namespace sidecard::engine {
namespace {

// The start of every name the daemon makes for itself.
constexpr std::string_view kReservedPrefix = ".sidecard-";

// The counter is a uint64 and a pid far shorter: more digits is not ours.
constexpr size_t kMaxDigits = 20;

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > kMaxDigits) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Removes `.<digits>` from the end of `text`; false if it does not end so.
bool StripNumberSuffix(std::string_view& text) {
  const size_t dot = text.rfind('.');
  if (dot == std::string_view::npos || !AllDigits(text.substr(dot + 1))) return false;
  text = text.substr(0, dot);
  return true;
}

}  // namespace

std::optional<WorkingFileName> ParseWorkingFileName(std::string_view name) {
  WorkingFileKind kind;
  if (name.starts_with(kTemporaryPrefix)) {
    kind = WorkingFileKind::kTemporary;
    name.remove_prefix(kTemporaryPrefix.size());
  } else if (name.starts_with(kHeldPrefix)) {
    kind = WorkingFileKind::kHeld;
    name.remove_prefix(kHeldPrefix.size());
  } else {
    return std::nullopt;
  }
  if (!StripNumberSuffix(name) || !StripNumberSuffix(name)) return std::nullopt;
  // `..` would make a restore leave the directory; `/` cannot be in a name.
  // The daemon never works on its own names (working files, the
  // quarantine): restoring to one could make it a tmp stray, later deleted.
  if (name.empty() || name == "." || name == ".." || name.starts_with(kReservedPrefix) ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return std::nullopt;
  }
  return WorkingFileName{kind, name};
}

bool WorkingFile::IsStray(absl::Time now) const { return now - modified() > kWorkingFileWindow; }

std::optional<WorkingFile> RecognizeWorkingFile(int directory_fd, std::string_view name) {
  const auto parsed = ParseWorkingFileName(name);
  if (!parsed) return std::nullopt;
  const std::string entry(name);
  struct stat st {};
  if (fstatat(directory_fd, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return WorkingFile{entry, parsed->kind, std::string(parsed->concerns), FileStamp::FromStat(st)};
}

int64_t CountStrays(const std::vector<WorkingFile>& files, absl::Time now) {
  int64_t strays = 0;
  for (const WorkingFile& file : files) strays += file.IsStray(now) ? 1 : 0;
  return strays;
}

}  // namespace sidecard::engine
