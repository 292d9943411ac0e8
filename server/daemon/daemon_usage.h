// The text of `sidecard --help`, written from the flag registry: every flag
// of daemon_flags.cc with its default and help, then the directives the
// parser handles itself (--config, --flagfile, --version, --help).
#ifndef SIDECARD_SERVER_DAEMON_DAEMON_USAGE_H_
#define SIDECARD_SERVER_DAEMON_DAEMON_USAGE_H_

#include <string>

namespace sidecard {

std::string DaemonUsage();

}  // namespace sidecard

#endif  // SIDECARD_SERVER_DAEMON_DAEMON_USAGE_H_
