// StartupSweep: once the daemon serves, a background thread resolves the
// stray working files an earlier crash left under the allowed roots
// (engine/working_file_sweep.h), logging one line per file acted on and a
// summary; its figures are in GetServerInfo. It never delays readiness and
// stops between files when the daemon shuts down.
#ifndef SIDECARD_SERVER_DAEMON_STARTUP_SWEEP_H_
#define SIDECARD_SERVER_DAEMON_STARTUP_SWEEP_H_

#include <atomic>
#include <thread>

#include "server/engine/fs/allowed_roots.h"
#include "server/engine/recovery/working_file_sweep.h"

namespace sidecard::daemon {

class StartupSweep {
 public:
  // Starts the sweep of `roots`, publishing to `progress` (which outlives
  // it); with `dry_run` (--read-only) strays are only counted and logged.
  // A held stray is resolved under `locks` (the service's image locks).
  StartupSweep(engine::AllowedRoots roots, bool dry_run, engine::ImageLocks* locks,
               engine::SweepProgress* progress);
  // Stops it (at the next file or directory) and waits for the thread.
  ~StartupSweep();

  StartupSweep(const StartupSweep&) = delete;
  StartupSweep& operator=(const StartupSweep&) = delete;

 private:
  void Run(engine::AllowedRoots roots, bool dry_run, engine::ImageLocks* locks);

  engine::SweepProgress* const progress_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_STARTUP_SWEEP_H_
