// Lets a long engine operation notice that nobody waits for it any more (the
// client went away or its deadline passed) and stop early.
#ifndef SIDECARD_SERVER_ENGINE_CANCELLATION_H_
#define SIDECARD_SERVER_ENGINE_CANCELLATION_H_

#include <functional>
#include <utility>

#include "absl/status/status.h"

namespace sidecard::engine {

class Cancellation {
 public:
  // Never cancelled.
  Cancellation() = default;
  // Cancelled once `is_cancelled` returns true; it must be cheap and
  // thread-safe (it is polled from worker threads).
  explicit Cancellation(std::function<bool()> is_cancelled)
      : is_cancelled_(std::move(is_cancelled)) {}

  bool cancelled() const { return is_cancelled_ && is_cancelled_(); }

  // Cancelled status for operations that stop early.
  static absl::Status Status() { return absl::CancelledError("the request was cancelled"); }

 private:
  std::function<bool()> is_cancelled_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CANCELLATION_H_
