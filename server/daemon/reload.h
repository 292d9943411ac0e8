// Reloader: what SIGHUP does. It parses the daemon's command line again
// (re-reading every --config file it names) and applies the settings that can
// change while the daemon serves: the log level, the allowed roots, the
// read-only mode and the bearer tokens (the token file is read again). Calls
// already running keep the roots they started with; connections stay open.
//
// Nothing is applied unless the whole new configuration is valid: a file
// that does not parse, a root that does not exist, or a token file that is
// refused keeps every old setting. Other changed flags (listeners, workers, ...) need a restart; a
// reload logs them and leaves them alone.
#ifndef SIDECARD_SERVER_DAEMON_RELOAD_H_
#define SIDECARD_SERVER_DAEMON_RELOAD_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/daemon/daemon_options.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/service/authorization.h"

namespace sidecard::daemon {

class Reloader {
 public:
  // Where the reloadable settings go.
  struct Targets {
    std::function<void(const std::string& level)> set_log_level;
    std::function<void(engine::AllowedRoots roots)> set_allowed_roots;
    // Security: --read-only and the tokens of --token-file (re-read).
    std::function<void(bool read_only, service::TokenTable tokens)> set_access;
  };

  // `args`: the command line (without argv[0]); `running`: what it parsed
  // to at start; `tokens`: the tokens read at start.
  Reloader(std::vector<std::string> args, DaemonOptions running, Targets targets,
           service::TokenTable tokens = {});

  // Parses `args` again and applies the reloadable settings, logging what
  // changed ("reloaded: log level info -> warn") while the more verbose of
  // the old and new levels is in force, so the line is seen. Returns why the
  // configuration was rejected (InvalidArgument, NotFound, ...), also logged.
  absl::Status Reload();

  // The options in force: the start-up ones with the reloaded settings.
  const DaemonOptions& running() const { return running_; }

 private:
  std::vector<std::string> args_;
  DaemonOptions running_;
  Targets targets_;
  service::TokenTable tokens_;
};

// The flags (without "--") whose value differs between `running` and
// `wanted` and that only a restart applies.
std::vector<std::string> FlagsNeedingRestart(const DaemonOptions& running,
                                             const DaemonOptions& wanted);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_RELOAD_H_
