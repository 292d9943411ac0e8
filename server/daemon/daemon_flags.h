// The daemon's flags, declared with ABSL_FLAG in daemon_flags.cc: name,
// default, help and valid values in one place. The registry is the one list
// of flags: the parser (daemon_options.cc) finds them there and --help
// (daemon_usage.cc) is written from it.
#ifndef SIDECARD_SERVER_DAEMON_DAEMON_FLAGS_H_
#define SIDECARD_SERVER_DAEMON_DAEMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "server/daemon/daemon_options.h"

namespace sidecard::daemon {

// The daemon's flags in the registry, by name ("allowed_root", ...; the
// command line writes "allowed-root"). Other flags linked into the program
// are not among them.
std::vector<absl::CommandLineFlag*> DaemonFlags();

// The flag `name` ("allowed-root" or "allowed_root"), or null when the
// daemon has no such flag.
absl::CommandLineFlag* FindDaemonFlag(std::string name);

// How the command line writes a flag's name: "allowed-root".
std::string CommandLineName(const absl::CommandLineFlag& flag);

// The flags' current values (the parser sets them), as options.
DaemonOptions OptionsFromFlags();

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_DAEMON_FLAGS_H_
