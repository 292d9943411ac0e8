// An output file replaced atomically, for the command-line clients
// (`sidecarctl export --output`, the old tool's `--output`): the text goes
// to `PATH.tmp-<pid>-<n>` in the same directory, which is renamed over PATH
// only when complete. On failure (or SIGINT, SIGTERM, SIGHUP) the temporary
// file is removed and PATH is left as it was.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_ATOMIC_OUTPUT_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_ATOMIC_OUTPUT_H_

#include <csignal>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sidecard::ctl {

class AtomicOutput {
 public:
  AtomicOutput() = default;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput() { Abandon(); }

  // Creates the temporary file beside `path`.
  absl::Status Open(const std::string& path);
  // Appends `text`.
  absl::Status Write(absl::string_view text);
  // Flushes the text to disk and renames the file over the path.
  absl::Status Commit();
  // Removes the temporary file, if any.
  void Abandon();

 private:
  using SignalHandler = void (*)(int);
  static constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

  // Removes the temporary file on the signals that end a program, except
  // those it ignores (under nohup, a hangup must not stop the export).
  void InstallSignalHandlers();
  void RestoreSignalHandlers();

  std::string path_;
  // The temporary file; empty when there is none to remove.
  std::string temp_;
  int fd_ = -1;
  bool handlers_installed_ = false;
  SignalHandler previous_handlers_[std::size(kCleanupSignals)] = {};
};

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_ATOMIC_OUTPUT_H_
