#include "server/engine/recovery/working_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "server/engine/base/unique_fd.h"
#include "server/engine/fs/atomic_file.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

TEST(ParseWorkingFileNameTest, NamesTheKindAndTheFileItConcerns) {
  const auto tmp = ParseWorkingFileName(".sidecard-tmp-IMG_0001.bin.4242.7");
  ASSERT_TRUE(tmp.has_value());
  EXPECT_EQ(tmp->kind, WorkingFileKind::kTemporary);
  EXPECT_EQ(tmp->concerns, "IMG_0001.bin");
  const auto held = ParseWorkingFileName(".sidecard-held-a.b.c.json.1.0");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->kind, WorkingFileKind::kHeld);
  EXPECT_EQ(held->concerns, "a.b.c.json");  // the name may hold dots
  // The name may itself look like a suffix: only the last two are ours.
  const auto numeric = ParseWorkingFileName(".sidecard-tmp-x.1.2.3.4");
  ASSERT_TRUE(numeric.has_value());
  EXPECT_EQ(numeric->concerns, "x.1.2");
}

TEST(ParseWorkingFileNameTest, RejectsEverythingElse) {
  for (const std::string name : {
           "",
           "IMG_0001.bin",
           ".sidecard-tmp-",                               // nothing after the prefix
           ".sidecard-tmp-.1.2",                           // empty name
           ".sidecard-tmp-x.bin",                          // no suffix
           ".sidecard-tmp-x.bin.12",                       // one number only
           ".sidecard-tmp-x.bin.12.",                      // empty counter
           ".sidecard-tmp-x.bin..3",                       // empty pid
           ".sidecard-tmp-x.bin.1a.3",                     // not decimal
           ".sidecard-tmp-x.bin.1.-3",                     // a sign
           ".sidecard-tmp-x.bin.1.+3",                     //
           ".sidecard-tmp-x.bin.1.3 ",                     // trailing space
           ".sidecard-tmp-x.bin.1.３",                     // non-ASCII digit
           ".sidecard-tmp-x.bin.1.123456789012345678901",  // longer than any uint64
           ".sidecard-tmp-..1.2",                          // would restore over the parent
           ".sidecard-held-..1.2",                         //
           ".sidecard-held-.1.2",                          //
           ".sidecard-tmpx.bin.1.2",                       // not the prefix
           ".SIDECARD-TMP-x.bin.1.2",                      // case matters
           "sidecard-tmp-x.bin.1.2",                       //
           " .sidecard-tmp-x.bin.1.2",                     //
           ".sidecard-quarantine",                         //
           ".sidecard-held-.sidecard-tmp-a.bin.1.2.3.4",   // would restore as a tmp file
           ".sidecard-held-.sidecard-quarantine.1.2",      //
           ".sidecard-tmp-.sidecard-held-a.bin.1.2.3.4",   //
           ".sidecard-tmp-x.bin.1.2.conflict-20250101T000000.000000Z",
       }) {
    EXPECT_FALSE(ParseWorkingFileName(name).has_value()) << "'" << name << "'";
  }
  EXPECT_FALSE(ParseWorkingFileName(std::string_view(".sidecard-tmp-a\0b.1.2", 21)).has_value());
}

TEST(RecognizeWorkingFileTest, OnlyRegularFilesAreOurs) {
  sidecard::testing::TempTree tree;
  tree.WriteFile(".sidecard-tmp-a.bin.1.2", "partial");
  tree.WriteFile("target", "someone else's");
  tree.Symlink(".sidecard-tmp-b.bin.1.2", "target");
  tree.Symlink(".sidecard-held-c.bin.1.2", "missing");
  tree.MakeDir(".sidecard-held-d.bin.1.2");
  const UniqueFd dir(open(tree.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());

  const auto found = RecognizeWorkingFile(dir.get(), ".sidecard-tmp-a.bin.1.2");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->concerns, "a.bin");
  EXPECT_EQ(found->stamp.size, 7);
  EXPECT_FALSE(RecognizeWorkingFile(dir.get(), ".sidecard-tmp-b.bin.1.2").has_value());
  EXPECT_FALSE(RecognizeWorkingFile(dir.get(), ".sidecard-held-c.bin.1.2").has_value());
  EXPECT_FALSE(RecognizeWorkingFile(dir.get(), ".sidecard-held-d.bin.1.2").has_value());
  EXPECT_FALSE(RecognizeWorkingFile(dir.get(), ".sidecard-tmp-gone.bin.1.2").has_value());
  EXPECT_FALSE(RecognizeWorkingFile(dir.get(), "target").has_value());
}

TEST(RecognizeWorkingFileTest, AStrayIsOlderThanTheWindow) {
  sidecard::testing::TempTree tree;
  tree.WriteFile(".sidecard-tmp-a.bin.1.2", "");
  const UniqueFd dir(open(tree.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const auto file = RecognizeWorkingFile(dir.get(), ".sidecard-tmp-a.bin.1.2");
  ASSERT_TRUE(file.has_value());
  EXPECT_FALSE(file->IsStray(file->modified()));
  EXPECT_FALSE(file->IsStray(file->modified() + kWorkingFileWindow));
  EXPECT_TRUE(file->IsStray(file->modified() + kWorkingFileWindow + absl::Seconds(1)));
  EXPECT_EQ(CountStrays({*file, *file}, file->modified() + absl::Hours(1)), 2);
}

}  // namespace
}  // namespace sidecard::engine
