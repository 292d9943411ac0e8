// Lets a long engine operation notice that nobody waits for it any more (the
// client went away or its deadline passed) and stop early.
#ifndef SIDECARD_SERVER_ENGINE_BASE_CANCELLATION_H_
#define SIDECARD_SERVER_ENGINE_BASE_CANCELLATION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"

namespace sidecard::engine {

class Cancellation {
 public:
  // Never cancelled.
  Cancellation() = default;
  // Cancelled once `is_cancelled` returns true. It is asked at most once per
  // millisecond (asking gRPC takes a lock, and the engine checks per file),
  // and a cancellation, once seen, is remembered.
  explicit Cancellation(std::function<bool()> is_cancelled)
      : state_(std::make_shared<State>(std::move(is_cancelled))) {}

  // Thread-safe.
  bool cancelled() const {
    if (state_ == nullptr) return false;
    if (state_->seen.load(std::memory_order_relaxed)) return true;
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t next = state_->next_poll_ns.load(std::memory_order_relaxed);
    if (now < next || !state_->next_poll_ns.compare_exchange_strong(next, now + kPollNs)) {
      return false;  // asked recently (by this or another thread)
    }
    if (!state_->is_cancelled()) return false;
    state_->seen.store(true, std::memory_order_relaxed);
    return true;
  }

  // Cancelled status for operations that stop early.
  static absl::Status Status() { return absl::CancelledError("the request was cancelled"); }

 private:
  static constexpr int64_t kPollNs = 1'000'000;

  struct State {
    explicit State(std::function<bool()> fn) : is_cancelled(std::move(fn)) {}
    std::function<bool()> is_cancelled;
    std::atomic<bool> seen{false};
    std::atomic<int64_t> next_poll_ns{0};
  };
  std::shared_ptr<State> state_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_CANCELLATION_H_
