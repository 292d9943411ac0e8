#include "server/engine/fs/allowed_roots.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/engine/fs/path_text.h"
#include "support/temp_tree.h"

namespace sidecard::engine {
namespace {

using ::testing::HasSubstr;

TEST(NormalizeLexicallyTest, RemovesDotsAndRepeatedSlashes) {
  EXPECT_EQ(NormalizeLexically("/a/./b/../c//"), "/a/c");
  EXPECT_EQ(NormalizeLexically("/../.."), "/");
  EXPECT_EQ(NormalizeLexically("/"), "/");
}

TEST(IsWithinTest, ComparesWholeComponents) {
  EXPECT_TRUE(IsWithin("/photos", "/photos"));
  EXPECT_TRUE(IsWithin("/photos/a", "/photos"));
  EXPECT_FALSE(IsWithin("/photos2", "/photos"));
  EXPECT_FALSE(IsWithin("/phot", "/photos"));
  EXPECT_TRUE(IsWithin("/anything", "/"));
}

class AllowedRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.MakeDir("photos/2025");
    tree_.MakeDir("elsewhere");
    tree_.WriteFile("photos/file.jpg", "");
    tree_.Symlink("photos/out", "../elsewhere");
    tree_.Symlink("photos/in", "2025");
    auto roots = AllowedRoots::Create({tree_.Path("photos")});
    ASSERT_TRUE(roots.ok()) << roots.status();
    roots_.emplace(*std::move(roots));
  }

  absl::StatusCode CodeOf(const std::string& path) {
    return roots_->ResolveDirectory(path).status().code();
  }

  sidecard::testing::TempTree tree_;
  std::optional<AllowedRoots> roots_;
};

TEST_F(AllowedRootsTest, ResolvesDirectoriesInside) {
  EXPECT_EQ(*roots_->ResolveDirectory(tree_.Path("photos")), tree_.Path("photos"));
  EXPECT_EQ(*roots_->ResolveDirectory(tree_.Path("photos/2025/")), tree_.Path("photos/2025"));
  EXPECT_EQ(*roots_->ResolveDirectory(tree_.Path("photos/in")), tree_.Path("photos/2025"));
}

TEST_F(AllowedRootsTest, OutsideIsPermissionDenied) {
  EXPECT_EQ(CodeOf(tree_.Path("elsewhere")), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(tree_.Path("photos/../elsewhere")), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeOf("/"), absl::StatusCode::kPermissionDenied);
  // A symlink inside that leads outside is refused after resolution.
  auto resolved = roots_->ResolveDirectory(tree_.Path("photos/out"));
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(resolved.status().message()), HasSubstr("outside the allowed roots"));
  // Nothing is revealed about whether an outside path exists.
  EXPECT_EQ(CodeOf("/no/such/place"), absl::StatusCode::kPermissionDenied);
}

// docs/CONTRACT.md §5: "A missing or unreadable directory returned zero results
// and success".
TEST_F(AllowedRootsTest, Regression_MissingRootIsNotFound) {
  EXPECT_EQ(CodeOf(tree_.Path("photos/missing")), absl::StatusCode::kNotFound);
}

TEST_F(AllowedRootsTest, MalformedPathsAreInvalidArguments) {
  EXPECT_EQ(CodeOf(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("photos"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(tree_.Path("photos/file.jpg")), absl::StatusCode::kInvalidArgument);
}

TEST(AllowedRootsCreateTest, RootsMustExist) {
  EXPECT_FALSE(AllowedRoots::Create({}).ok());
  EXPECT_FALSE(AllowedRoots::Create({"/no/such/root"}).ok());
}

TEST(DisplayPathTest, EscapesInvalidUtf8Only) {
  EXPECT_EQ(DisplayPath("/photos/caf\xE9.jpg"), "/photos/caf\\xE9.jpg");
  EXPECT_EQ(DisplayPath("/photos/Pokal\xC3\xBC"
                        "bergabe.jpg"),
            "/photos/Pokal\xC3\xBC"
            "bergabe.jpg");
  EXPECT_EQ(DisplayPath("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(DisplayPath("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate is not UTF-8
  EXPECT_TRUE(IsValidUtf8(DisplayPath("\xFF\xFE")));
}

}  // namespace
}  // namespace sidecard::engine
