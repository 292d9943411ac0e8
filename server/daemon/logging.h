// The daemon's log: one spdlog logger, "sidecard", writing to stderr.
//
// Under systemd, stderr is a stream into the journal. systemd announces it in
// JOURNAL_STREAM ("DEVICE:INODE" of that stream); when stderr is still that
// stream, lines carry no timestamp (the journal stamps each line itself) and
// begin with an sd-daemon priority prefix ("<6>" for info, "<4>" for warn,
// ...; sd-daemon(3)), so `journalctl -p warning` sees the levels. Anywhere
// else (a terminal, a file, a test) lines begin with an ISO 8601 local time
// and the level name.
#ifndef SIDECARD_SERVER_DAEMON_LOGGING_H_
#define SIDECARD_SERVER_DAEMON_LOGGING_H_

#include <string>

namespace sidecard::daemon {

// True when stderr is the journal stream systemd connected (JOURNAL_STREAM
// matches stderr's device and inode).
bool StderrIsJournal();

// Makes the "sidecard" logger the default one, at `level` (a --log-level
// name), in the journal or the plain layout as StderrIsJournal() says.
void ConfigureLogging(const std::string& level);

// Changes the level of the default logger (a --log-level name).
void SetLogLevel(const std::string& level);

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_LOGGING_H_
