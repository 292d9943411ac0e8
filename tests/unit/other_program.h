// Another program that writes sidecars the usual way (its own temporary file
// renamed over the name), landed exactly where a guarded write checks and
// acts (guarded_write.h's test hook). The race tests of the write paths use
// it; the hook is reset when the OtherProgram goes.
#ifndef SIDECARD_TESTS_UNIT_OTHER_PROGRAM_H_
#define SIDECARD_TESTS_UNIT_OTHER_PROGRAM_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "server/engine/fs/guarded_write.h"
#include "support/temp_tree.h"

namespace sidecard::engine {

class OtherProgram {
 public:
  explicit OtherProgram(sidecard::testing::TempTree& tree) : tree_(tree) {}
  ~OtherProgram() { SetGuardedWriteHookForTesting(nullptr); }
  OtherProgram(const OtherProgram&) = delete;
  OtherProgram& operator=(const OtherProgram&) = delete;

  // Writes `content` as `rel` now.
  void Write(const std::string& rel, const std::string& content) {
    tree_.WriteFile("other-program.tmp", content);
    ASSERT_EQ(std::rename(tree_.Path("other-program.tmp").c_str(), tree_.Path(rel).c_str()), 0);
  }

  // Writes `content` as `rel` when a guarded write first reaches `step`.
  void WriteAt(std::string_view step, const std::string& rel, const std::string& content) {
    SetGuardedWriteHookForTesting([this, step = std::string(step), rel, content, done = false](
                                      std::string_view at, const std::string&) mutable {
      if (at != step || done) return;
      done = true;
      Write(rel, content);
    });
  }

 private:
  sidecard::testing::TempTree& tree_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_TESTS_UNIT_OTHER_PROGRAM_H_
