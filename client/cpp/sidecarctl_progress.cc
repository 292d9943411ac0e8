#include "client/cpp/sidecarctl_progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace sidecard::ctl {
namespace {

// Carriage return, then "erase to the end of the line".
constexpr char kEraseLine[] = "\r\x1b[K";
constexpr std::chrono::milliseconds kRedrawInterval{100};

}  // namespace

Progress::Progress()
    : enabled_(isatty(STDERR_FILENO) == 1), stdout_is_terminal_(isatty(STDOUT_FILENO) == 1) {}

void Progress::Update(absl::string_view text) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_drawn_ < kRedrawInterval) return;
  const std::string line = absl::StrCat(kEraseLine, text);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  shown_ = true;
  last_drawn_ = now;
}

void Progress::Clear() {
  if (!shown_) return;
  std::fputs(kEraseLine, stderr);
  std::fflush(stderr);
  shown_ = false;
}

void Progress::BeforeStdout() {
  if (stdout_is_terminal_) Clear();
}

}  // namespace sidecard::ctl
