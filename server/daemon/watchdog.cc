#include "server/daemon/watchdog.h"

#include "absl/time/time.h"
#include "server/daemon/systemd_notify.h"

namespace sidecard::daemon {

WatchdogPinger::WatchdogPinger(std::chrono::microseconds timeout)
    : thread_([this, timeout] { Run(timeout / 2); }) {}

WatchdogPinger::~WatchdogPinger() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  thread_.join();
}

void WatchdogPinger::Run(std::chrono::microseconds interval) {
  const absl::Duration wait = absl::FromChrono(interval);
  absl::MutexLock lock(&mutex_);
  while (!stop_) {
    NotifyWatchdog();
    // Wakes early only to stop.
    mutex_.AwaitWithTimeout(absl::Condition(&stop_), wait);
  }
}

}  // namespace sidecard::daemon
