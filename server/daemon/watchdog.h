// WatchdogPinger: while it lives, a thread sends WATCHDOG=1 to systemd every
// half of the watchdog timeout (WatchdogSec=), as sd_watchdog_enabled(3)
// advises. If the process freezes or is stopped, the pings stop and systemd
// restarts the service (Restart=on-failure). A single slow or stuck call does
// not stop the pings: calls have their own deadlines and cancellation.
#ifndef SIDECARD_SERVER_DAEMON_WATCHDOG_H_
#define SIDECARD_SERVER_DAEMON_WATCHDOG_H_

#include <chrono>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace sidecard::daemon {

class WatchdogPinger {
 public:
  // Starts pinging at once, then every `timeout` / 2.
  explicit WatchdogPinger(std::chrono::microseconds timeout);
  // Stops the thread (no more pings).
  ~WatchdogPinger();

  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

 private:
  void Run(std::chrono::microseconds interval);

  absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace sidecard::daemon

#endif  // SIDECARD_SERVER_DAEMON_WATCHDOG_H_
