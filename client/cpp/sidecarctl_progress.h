// A live one-line counter on stderr ("validated 12,345 files…") for commands
// that stream, shown only when stderr is a terminal, so logs and pipes never
// see it.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_PROGRESS_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_PROGRESS_H_

#include <chrono>

#include "absl/strings/string_view.h"

namespace sidecard::ctl {

class Progress {
 public:
  Progress();
  ~Progress() { Clear(); }

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Replaces the line with `text`; redraws at most ten times a second.
  void Update(absl::string_view text);
  // Erases the line, if one is shown.
  void Clear();
  // Call before writing to stdout: erases the line when stdout is the same
  // terminal, so output never lands in the middle of it.
  void BeforeStdout();

 private:
  const bool enabled_;
  const bool stdout_is_terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_drawn_;
};

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_PROGRESS_H_
