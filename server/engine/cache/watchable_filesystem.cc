#include "server/engine/cache/watchable_filesystem.h"

#include <sys/vfs.h>

#include <array>
#include <utility>

namespace sidecard::engine {
namespace {

// Magic numbers from linux/magic.h and the filesystems' own sources (some
// are not in that header); written out so the list does not depend on the
// kernel headers of the build machine.
constexpr std::array<std::pair<int64_t, std::string_view>, 17> kUnwatchable{{
    {0x6969, "nfs"},
    {0x517B, "smb"},
    {0xFE534D42, "smb2"},
    {0xFF534D42, "cifs"},
    {0x65735546, "fuse"},
    {0x00C36400, "ceph"},
    {0x01021997, "9p"},
    {0x5346414F, "afs"},
    {0x6B414653, "kafs"},
    {0x73757245, "coda"},
    {0x564C, "ncp"},
    {0x0BD00BD0, "lustre"},
    {0x47504653, "gpfs"},
    {0x01161970, "gfs2"},
    {0x7461636F, "ocfs2"},
    {0x20030528, "orangefs"},
    {0x013111A8, "ibrix"},
}};

}  // namespace

std::optional<std::string_view> UnwatchableFilesystemName(int64_t filesystem_type) {
  // f_type is a signed word; magic numbers above 2^31 may come sign-extended.
  const int64_t type = filesystem_type & 0xFFFFFFFF;
  for (const auto& [magic, name] : kUnwatchable) {
    if (magic == type) return name;
  }
  return std::nullopt;
}

bool InotifySeesEveryChange(int64_t filesystem_type) {
  return !UnwatchableFilesystemName(filesystem_type).has_value();
}

std::optional<int64_t> FilesystemTypeOf(int fd) {
  struct statfs info {};
  if (fstatfs(fd, &info) != 0) return std::nullopt;
  return static_cast<int64_t>(info.f_type);
}

}  // namespace sidecard::engine
