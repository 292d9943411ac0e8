#include "server/engine/recovery/working_file_sweep.h"

#include "absl/time/clock.h"
#include "server/engine/library/tree_walk.h"

namespace sidecard::engine {
namespace {

bool InsideAnotherRoot(const std::string& root, const std::vector<std::string>& roots) {
  for (const std::string& other : roots) {
    if (other != root && IsWithin(root, other)) return true;
  }
  return false;
}

class Sweeper {
 public:
  Sweeper(const SweepOptions& options, SweepProgress* progress)
      : options_(options), progress_(progress), start_(absl::Now()) {
    figures_.started = true;
    figures_.dry_run = options.dry_run;
    Publish();
  }

  bool stopped() const { return options_.stop && options_.stop(); }

  void SweepRoot(const AllowedRoots& roots, const std::string& root) {
    WalkOptions walk_options;
    walk_options.stop = options_.stop;
    walk_options.on_directory = [this](const DirectoryScan& scan) {
      OnDirectory(scan);
      return false;  // no sidecar is looked at
    };
    auto walk = TreeWalk::Open(roots, root, std::move(walk_options));
    if (!walk.ok()) {
      ++figures_.unreadable_directories;
      if (options_.on_directory_error) {
        options_.on_directory_error(root, std::string(walk.status().message()));
      }
      return;
    }
    SidecarRef ignored;
    while ((*walk)->Next(ignored)) {
    }
    for (const TreeWalk::DirectoryError& error : (*walk)->directory_errors()) {
      ++figures_.unreadable_directories;
      if (options_.on_directory_error) options_.on_directory_error(error.path, error.reason);
    }
  }

  SweepFigures Finish() {
    figures_.finished = !stopped();
    figures_.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    Publish();
    return figures_;
  }

 private:
  void OnDirectory(const DirectoryScan& scan) {
    ++figures_.directories;
    for (const WorkingFile& file : scan.working_files) {
      if (stopped()) break;
      // The clock per file: a long sweep must not judge by its start.
      StrayOptions stray_options{
          options_.dry_run ? StrayMode::kDryRun : StrayMode::kResolve, absl::Now(), {}};
      stray_options.locks = options_.locks;
      const StrayResolution resolution =
          ResolveStray(scan.fd.get(), scan.absolute_path, file, stray_options);
      Count(resolution);
      if (options_.on_file) options_.on_file(scan.AbsolutePathOf(file.name), file, resolution);
    }
    Publish();
  }

  void Count(const StrayResolution& resolution) {
    ++figures_.working_files;
    if (resolution.outcome == StrayOutcome::kTooRecent) return;
    ++figures_.strays;
    if (!resolution.done) {
      if (resolution.outcome == StrayOutcome::kFailed) ++figures_.failed;
      return;
    }
    switch (resolution.outcome) {
      case StrayOutcome::kRemoved:
      case StrayOutcome::kQuarantined:
        ++figures_.removed;
        break;
      case StrayOutcome::kRestored:
        ++figures_.restored;
        break;
      case StrayOutcome::kKeptAsConflict:
        ++figures_.kept_as_conflict;
        break;
      default:
        break;
    }
  }

  void Publish() {
    if (progress_ != nullptr) progress_->Set(figures_);
  }

  const SweepOptions& options_;
  SweepProgress* const progress_;
  const absl::Time start_;
  SweepFigures figures_;
};

}  // namespace

SweepFigures SweepWorkingFiles(const AllowedRoots& roots, const SweepOptions& options,
                               SweepProgress* progress) {
  Sweeper sweeper(options, progress);
  for (const std::string& root : roots.roots()) {
    if (sweeper.stopped()) break;
    if (!InsideAnotherRoot(root, roots.roots())) sweeper.SweepRoot(roots, root);
  }
  return sweeper.Finish();
}

}  // namespace sidecard::engine
