// Tells systemd how the daemon is doing (Type=notify), through sd_notify(3):
// READY=1 once it listens, RELOADING=1 then READY=1 around a SIGHUP reload,
// STOPPING=1 when draining starts, WATCHDOG=1 pings, and a STATUS= line with
// each for `systemctl status`. Outside systemd (NOTIFY_SOCKET unset) every
// call does nothing. NOTIFY_SOCKET stays in the environment so that later
// calls, from any thread, still reach systemd.
#ifndef SIDECARD_SERVER_DAEMON_SYSTEMD_NOTIFY_H_
#define SIDECARD_SERVER_DAEMON_SYSTEMD_NOTIFY_H_

#include <chrono>
#include <optional>
#include <string_view>

namespace sidecard::daemon {

void NotifyReady(std::string_view status);
void NotifyReloading(std::string_view status);
void NotifyStopping(std::string_view status);
void NotifyStatus(std::string_view status);
void NotifyWatchdog();

// The watchdog timeout systemd set for this process (WatchdogSec=, passed in
// WATCHDOG_USEC and WATCHDOG_PID), or nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> WatchdogTimeout();

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_SYSTEMD_NOTIFY_H_
