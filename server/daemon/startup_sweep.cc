#include "server/daemon/startup_sweep.h"

#include <spdlog/spdlog.h>

#include <string>

#include "server/engine/fs/path_text.h"

namespace sidecard::daemon {
namespace {

// "removed", "would restore to IMG_1.bin", ... for the log.
std::string Describe(const engine::StrayResolution& resolution) {
  const char* would = resolution.done ? "" : "would be ";
  switch (resolution.outcome) {
    case engine::StrayOutcome::kRemoved:
      return resolution.done ? "removed" : "would remove";
    case engine::StrayOutcome::kQuarantined:
      return std::string(would) + "quarantined";
    case engine::StrayOutcome::kRestored:
      return std::string(resolution.done ? "restored to " : "would restore to ") +
             engine::DisplayPath(resolution.new_name);
    case engine::StrayOutcome::kKeptAsConflict:
      return std::string(resolution.done ? "kept as conflict " : "would keep as conflict ") +
             engine::DisplayPath(resolution.new_name);
    case engine::StrayOutcome::kChanged:
      return "kept (changed since it was found)";
    case engine::StrayOutcome::kTooRecent:
      return "kept (too recent: a write may own it)";
    case engine::StrayOutcome::kFailed:
      return "kept, failed";
  }
  return "kept";
}

void Log(const std::string& path, const engine::StrayResolution& resolution) {
  std::string line = Describe(resolution);
  if (!resolution.note.empty()) line += " (" + engine::DisplayPath(resolution.note) + ")";
  switch (resolution.outcome) {
    case engine::StrayOutcome::kTooRecent:
      spdlog::debug("working file {}: {}", engine::DisplayPath(path), line);
      break;
    case engine::StrayOutcome::kFailed:
      spdlog::warn("working file {}: {}", engine::DisplayPath(path), line);
      break;
    default:
      spdlog::info("working file {}: {}", engine::DisplayPath(path), line);
  }
}

}  // namespace

StartupSweep::StartupSweep(engine::AllowedRoots roots, bool dry_run, engine::ImageLocks* locks,
                           engine::SweepProgress* progress)
    : progress_(progress), thread_([this, roots = std::move(roots), dry_run, locks]() mutable {
        Run(std::move(roots), dry_run, locks);
      }) {}

StartupSweep::~StartupSweep() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void StartupSweep::Run(engine::AllowedRoots roots, bool dry_run, engine::ImageLocks* locks) {
  engine::SweepOptions options;
  options.dry_run = dry_run;
  options.locks = locks;
  options.stop = [this] { return stop_.load(std::memory_order_relaxed); };
  options.on_file = [](const std::string& path, const engine::WorkingFile&,
                       const engine::StrayResolution& resolution) { Log(path, resolution); };
  options.on_directory_error = [](const std::string& path, const std::string& reason) {
    spdlog::warn("working file sweep: {}: {}", engine::DisplayPath(path),
                 engine::DisplayPath(reason));
  };
  const engine::SweepFigures figures = engine::SweepWorkingFiles(roots, options, progress_);
  spdlog::info(
      "working file sweep {}{}: {} working files in {} directories, {} strays: {} removed, {} "
      "restored, {} kept as conflict, {} failed; {} unreadable directories; {:.3f}s",
      figures.finished ? "done" : "stopped at shutdown", dry_run ? " (--read-only: dry run)" : "",
      figures.working_files, figures.directories, figures.strays, figures.removed, figures.restored,
      figures.kept_as_conflict, figures.failed, figures.unreadable_directories,
      figures.duration_seconds);
}

}  // namespace sidecard::daemon
