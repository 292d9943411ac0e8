// Whether inotify on a directory of a given filesystem sees every change to
// it. It sees every change made through this machine's kernel; it does not
// see writes made by other machines to network and cluster filesystems
// (NFS, SMB/CIFS, Ceph, 9p, AFS, Lustre, GPFS, ...) or by the server of a
// FUSE filesystem behind the kernel's back. A directory on one of those is
// never trusted by watch: its files are proven by their stamps every time,
// as with watching turned off (directory_watcher.h).
#ifndef SIDECARD_SERVER_ENGINE_CACHE_WATCHABLE_FILESYSTEM_H_
#define SIDECARD_SERVER_ENGINE_CACHE_WATCHABLE_FILESYSTEM_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace sidecard::engine {

// Decides from a filesystem's type (statfs f_type) whether its directories
// may be trusted by watch.
using WatchPolicy = std::function<bool(int64_t filesystem_type)>;

// The default policy: every filesystem except the ones named above.
bool InotifySeesEveryChange(int64_t filesystem_type);

// The name of a filesystem type the default policy refuses, for messages;
// nullopt for the others.
std::optional<std::string_view> UnwatchableFilesystemName(int64_t filesystem_type);

// The type of the filesystem holding the open file or directory `fd`;
// nullopt when fstatfs fails.
std::optional<int64_t> FilesystemTypeOf(int fd);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_WATCHABLE_FILESYSTEM_H_
