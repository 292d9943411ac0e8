#include "server/daemon/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace sidecard::daemon {
namespace {

// Sends `state` (newline-separated assignments); a failure is only logged:
// losing a status line must never stop the daemon.
void Notify(const std::string& state) {
  const int sent = sd_notify(/*unset_environment=*/0, state.c_str());
  if (sent < 0) spdlog::warn("cannot notify systemd ({}): {}", state, std::strerror(-sent));
}

std::string WithStatus(std::string_view state, std::string_view status) {
  std::string message(state);
  message += "\nSTATUS=";
  message += status;
  return message;
}

}  // namespace

void NotifyReady(std::string_view status) { Notify(WithStatus("READY=1", status)); }

void NotifyReloading(std::string_view status) { Notify(WithStatus("RELOADING=1", status)); }

void NotifyStopping(std::string_view status) { Notify(WithStatus("STOPPING=1", status)); }

void NotifyStatus(std::string_view status) { Notify("STATUS=" + std::string(status)); }

void NotifyWatchdog() { Notify("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> WatchdogTimeout() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace sidecard::daemon
