// Which filesystems' directories are trusted by watch: local ones are;
// network, cluster and FUSE filesystems, where inotify does not see writes
// made elsewhere, are not.
#include "server/engine/cache/watchable_filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/vfs.h>

#include <cstdint>

#include "server/engine/base/unique_fd.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

// f_type as a 32-bit kernel word would hand it over, sign-extended.
int64_t SignExtended(uint32_t magic) { return static_cast<int32_t>(magic); }

TEST(WatchableFilesystemTest, LocalFilesystemsAreTrusted) {
  EXPECT_TRUE(InotifySeesEveryChange(0xEF53));      // ext2/3/4
  EXPECT_TRUE(InotifySeesEveryChange(0x58465342));  // xfs
  EXPECT_TRUE(InotifySeesEveryChange(0x9123683E));  // btrfs
  EXPECT_TRUE(InotifySeesEveryChange(0x01021994));  // tmpfs
  EXPECT_FALSE(UnwatchableFilesystemName(0xEF53).has_value());
}

TEST(WatchableFilesystemTest, NetworkClusterAndFuseFilesystemsAreNot) {
  EXPECT_FALSE(InotifySeesEveryChange(0x6969));
  EXPECT_EQ(UnwatchableFilesystemName(0x6969), "nfs");
  EXPECT_FALSE(InotifySeesEveryChange(0xFF534D42));
  EXPECT_FALSE(InotifySeesEveryChange(SignExtended(0xFF534D42)));  // cifs
  EXPECT_EQ(UnwatchableFilesystemName(SignExtended(0xFE534D42)), "smb2");
  EXPECT_EQ(UnwatchableFilesystemName(0x65735546), "fuse");
  EXPECT_EQ(UnwatchableFilesystemName(0x00C36400), "ceph");
  EXPECT_EQ(UnwatchableFilesystemName(0x01021997), "9p");
}

TEST(WatchableFilesystemTest, ReadsTheTypeOfARealDirectory) {
  sidecard::testing::TempTree tree;
  UniqueFd fd(open(tree.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  struct statfs info {};
  ASSERT_EQ(statfs(tree.root().c_str(), &info), 0);
  EXPECT_EQ(FilesystemTypeOf(fd.get()), static_cast<int64_t>(info.f_type));
  EXPECT_EQ(FilesystemTypeOf(-1), std::nullopt);
}

}  // namespace
}  // namespace sidecard::engine
