// TempTree: a throwaway directory tree for tests.
//
// Creates a unique directory `sidecard-test-XXXXXX` under $TMPDIR (or /tmp) and
// removes it recursively when destroyed. Removal never follows symlinks and
// copes with files and directories whose mode is 000 (directories are chmod-ed
// back to 0700 first). Depends only on the C++ standard library and POSIX.
//
// All `rel` arguments are paths relative to root() ("" means root() itself);
// an absolute `rel` is rejected. Every failing call throws std::system_error
// (a std::runtime_error) whose message names the operation, the path and the
// errno text.
//
//   sidecard::testing::TempTree tree;
//   tree.WriteFile("originals/IMG_0001.jpg", "jpeg bytes");
//   tree.WriteBin("originals/IMG_0001.bin", R"({"sidecar_info":{}})");
//   tree.Symlink("games/g1/IMG_0001.jpg", "../../originals/IMG_0001.jpg");
//   Run(tree.Path("originals"));

#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>
#include <string_view>

namespace sidecard::testing {

class TempTree {
 public:
  TempTree();
  ~TempTree();

  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  TempTree(TempTree&&) = delete;
  TempTree& operator=(TempTree&&) = delete;

  // Absolute, symlink-free path of the tree's top directory (realpath of the
  // directory mkdtemp made, so it compares equal to paths a resolver returns).
  const std::string& root() const { return root_; }

  // root() + "/" + rel, or root() when rel is empty. Nothing is checked on disk.
  std::string Path(std::string_view rel) const;

  // Creates or truncates the file `rel` (mode 0644), creating missing parent
  // directories (mode 0755), and writes `bytes` to it.
  void WriteFile(std::string_view rel, std::string_view bytes);

  // Writes a .bin sidecar: the 8-byte little-endian length of `json`, then `json`.
  void WriteBin(std::string_view rel, std::string_view json);

  // Creates the symlink `rel_link` whose target is `target` written verbatim
  // (it may be relative, dangling or absolute), creating missing parent dirs.
  void Symlink(std::string_view rel_link, std::string_view target);

  // Creates the directory `rel` and any missing parents (like mkdir -p).
  void MakeDir(std::string_view rel);

  // Whether `rel` names an entry (lstat: a dangling symlink exists).
  bool Exists(std::string_view rel) const;

  // The whole content of the file `rel` (follows symlinks).
  std::string ReadFile(std::string_view rel) const;

  // chmod(Path(rel), mode).
  void SetMode(std::string_view rel, mode_t mode);

  // Sets the modification time of the entry `rel` itself (a symlink is not
  // followed); the access time is left alone.
  void SetMtime(std::string_view rel, time_t seconds_since_epoch);

 private:
  std::string root_;
};

}  // namespace sidecard::testing
