// Guarded writes against another program that writes the same names the
// usual way (a temporary file renamed over the name) at the worst moment:
// the test hook lands its write exactly between sidecard's check and act.
#include "server/engine/fs/guarded_write.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "server/engine/base/unique_fd.h"
#include "server/engine/fs/atomic_file.h"
#include "support/temp_tree.h"
#include "unit/other_program.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class GuardedWriteTest : public ::testing::Test {
 protected:
  GuardedWriteTest() : directory_(open(tree_.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

  int fd() const { return directory_.get(); }

  FileStamp Stamp(const std::string& name) const {
    struct stat st {};
    EXPECT_EQ(fstatat(fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW), 0) << name;
    return FileStamp::FromStat(st);
  }

  void WriteAsOtherProgram(const std::string& name, const std::string& content) {
    other_.Write(name, content);
  }
  void LandAt(std::string_view step, const std::string& name, const std::string& content) {
    other_.WriteAt(step, name, content);
  }

  // Every file of the tree: name → content.
  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(tree_.root())) {
      const std::string name = entry.path().filename().string();
      files[name] = tree_.ReadFile(name);
    }
    return files;
  }

  sidecard::testing::TempTree tree_;
  UniqueFd directory_;
  OtherProgram other_{tree_};
};

TEST_F(GuardedWriteTest, CreateWritesANewNameAndLeavesNoWorkingFile) {
  ASSERT_TRUE(CreateFileGuarded(fd(), "IMG_1.json", "{\"a\":1}").ok());
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "{\"a\":1}"}}));
}

TEST_F(GuardedWriteTest, CreateNeverReplacesAFileAnotherProgramCreatedMeanwhile) {
  LandAt("create", "IMG_1.json", "theirs");
  const absl::Status status = CreateFileGuarded(fd(), "IMG_1.json", "ours");
  EXPECT_TRUE(absl::IsAlreadyExists(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("another program"));
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "theirs"}}));
}

TEST_F(GuardedWriteTest, ReplaceWritesOverTheVersionRead) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  ASSERT_TRUE(ReplaceFileGuarded(fd(), "IMG_1.json", "new", read).ok());
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "new"}}));
}

TEST_F(GuardedWriteTest, ReplaceKeepsAVersionAnotherProgramRenamedInJustBefore) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  LandAt("replace", "IMG_1.json", "theirs");
  const absl::Status status = ReplaceFileGuarded(fd(), "IMG_1.json", "ours", read);
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("another program"));
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "theirs"}}));
}

TEST_F(GuardedWriteTest, ReplaceRefusesAVersionAlreadyChangedBeforeItStarts) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  WriteAsOtherProgram("IMG_1.json", "theirs");
  EXPECT_TRUE(absl::IsAborted(ReplaceFileGuarded(fd(), "IMG_1.json", "ours", read)));
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "theirs"}}));
}

TEST_F(GuardedWriteTest, ReplaceDoesNotBringBackAFileAnotherProgramRemoved) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  SetGuardedWriteHookForTesting([this](std::string_view step, const std::string&) {
    if (step == "replace") {
      ASSERT_EQ(unlink(tree_.Path("IMG_1.json").c_str()), 0);
    }
  });
  EXPECT_TRUE(absl::IsAborted(ReplaceFileGuarded(fd(), "IMG_1.json", "ours", read)));
  EXPECT_TRUE(Files().empty());
}

TEST_F(GuardedWriteTest, ReplaceKeepsBothVersionsWhenTwoOtherWritesLandInTheWindow) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  SetGuardedWriteHookForTesting([this](std::string_view step, const std::string&) {
    if (step == "replace") WriteAsOtherProgram("IMG_1.json", "theirs-1");
    if (step == "put-back") WriteAsOtherProgram("IMG_1.json", "theirs-2");
  });
  const absl::Status status = ReplaceFileGuarded(fd(), "IMG_1.json", "ours", read);
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  const auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files.at("IMG_1.json"), "theirs-1");
  const auto conflict = std::next(files.begin());
  EXPECT_THAT(conflict->first, StartsWith("IMG_1.json.conflict-"));
  EXPECT_EQ(conflict->second, "theirs-2");
  EXPECT_THAT(status.message(), HasSubstr(conflict->first));
}

TEST_F(GuardedWriteTest, RemoveTakesOnlyTheVersionRead) {
  tree_.WriteFile("IMG_1.json", "old");
  ASSERT_TRUE(RemoveFileGuarded(fd(), "IMG_1.json", Stamp("IMG_1.json")).ok());
  EXPECT_TRUE(Files().empty());
}

TEST_F(GuardedWriteTest, RemovePutsBackAVersionAnotherProgramRenamedInJustBefore) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  LandAt("move", "IMG_1.json", "theirs");
  const absl::Status status = RemoveFileGuarded(fd(), "IMG_1.json", read);
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"IMG_1.json", "theirs"}}));
}

TEST_F(GuardedWriteTest, RemoveOfAFileAlreadyGoneIsNotFound) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  ASSERT_EQ(unlink(tree_.Path("IMG_1.json").c_str()), 0);
  EXPECT_TRUE(absl::IsNotFound(RemoveFileGuarded(fd(), "IMG_1.json", read)));
}

TEST_F(GuardedWriteTest, MoveNeverOverwritesItsDestinationAndChecksTheVersion) {
  tree_.WriteFile("IMG_1.json", "old");
  tree_.WriteFile("aside.json", "already there");
  const FileStamp read = Stamp("IMG_1.json");
  EXPECT_TRUE(absl::IsAlreadyExists(MoveFileGuarded(fd(), "IMG_1.json", fd(), "aside.json", read)));
  ASSERT_TRUE(MoveFileGuarded(fd(), "IMG_1.json", fd(), "moved.json", read).ok());
  EXPECT_EQ(Files(), (std::map<std::string, std::string>{{"aside.json", "already there"},
                                                         {"moved.json", "old"}}));
}

TEST_F(GuardedWriteTest, MoveKeepsAVersionThatCannotGoBackAsAConflictFile) {
  tree_.WriteFile("IMG_1.json", "old");
  const FileStamp read = Stamp("IMG_1.json");
  // Their first write lands before the move (so it is what moves), their
  // second takes the name before the first can go back.
  SetGuardedWriteHookForTesting([this](std::string_view step, const std::string&) {
    if (step == "move") WriteAsOtherProgram("IMG_1.json", "theirs-1");
    if (step == "put-back") WriteAsOtherProgram("IMG_1.json", "theirs-2");
  });
  const absl::Status status = MoveFileGuarded(fd(), "IMG_1.json", fd(), "moved.json", read);
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  const auto files = Files();
  ASSERT_EQ(files.size(), 2u) << ::testing::PrintToString(files);
  EXPECT_EQ(files.at("IMG_1.json"), "theirs-2");
  const auto conflict = std::next(files.begin());
  EXPECT_THAT(conflict->first, StartsWith("IMG_1.json.conflict-"));
  EXPECT_EQ(conflict->second, "theirs-1");
  EXPECT_THAT(status.message(), HasSubstr(conflict->first));
}

TEST_F(GuardedWriteTest, WorkingFileNamesAreUniqueAndMarked) {
  const std::string a = NewWorkingFileName(kTemporaryPrefix, "IMG_1.json");
  const std::string b = NewWorkingFileName(kTemporaryPrefix, "IMG_1.json");
  EXPECT_NE(a, b);
  EXPECT_THAT(a, StartsWith(".sidecard-tmp-IMG_1.json." + std::to_string(getpid()) + "."));
  EXPECT_THAT(ConflictName("IMG_1.json", absl::FromUnixSeconds(0)),
              ::testing::Eq("IMG_1.json.conflict-19700101T000000.000000Z"));
}

}  // namespace
}  // namespace sidecard::engine
