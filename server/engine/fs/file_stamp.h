// What proves a file unchanged: device, inode, size, and modification and
// change times in nanoseconds. The change time catches content rewritten with
// size and mtime restored afterwards.
#ifndef SIDECARD_SERVER_ENGINE_FS_FILE_STAMP_H_
#define SIDECARD_SERVER_ENGINE_FS_FILE_STAMP_H_

#include <sys/stat.h>

#include <cstdint>

namespace sidecard::engine {

struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  static FileStamp FromStat(const struct stat& st);
  bool operator==(const FileStamp&) const = default;

  // The same file in the same version, by what survives a rename: device,
  // inode, size and modification time (a rename changes the change time).
  bool SameVersionAs(const FileStamp& other) const {
    return device == other.device && inode == other.inode && size == other.size &&
           mtime_ns == other.mtime_ns;
  }
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_FILE_STAMP_H_
