// The daemon's deadline for calls whose client set none (--default-deadline),
// so a forgotten or stuck call cannot hold a slot, a thread and its files
// forever. When it passes, the call's cancellation fires: the engine stops at
// its next check and the handler ends with DEADLINE_EXCEEDED. A handler that
// cannot notice, because it is blocked writing to a client that stopped
// reading, is cancelled through gRPC a grace period later.
#ifndef SIDECARD_SERVER_SERVICE_DEFAULT_DEADLINE_H_
#define SIDECARD_SERVER_SERVICE_DEFAULT_DEADLINE_H_

#include <grpcpp/server_context.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sidecard::service {

class DefaultDeadline {
 public:
  // One call without a deadline of its own.
  class Watched {
   public:
    explicit Watched(const grpc::ServerContext& context) : context_(context) {}
    // The default deadline passed.
    bool expired() const { return expired_.load(std::memory_order_relaxed); }

   private:
    friend class DefaultDeadline;
    const grpc::ServerContext& context_;
    absl::Time when_;  // guarded by DefaultDeadline::mutex_
    std::atomic<bool> expired_{false};
  };

  // `deadline` zero: calls without a deadline run as long as they take.
  explicit DefaultDeadline(absl::Duration deadline, absl::Duration cancel_after = absl::Seconds(5));
  ~DefaultDeadline();
  DefaultDeadline(const DefaultDeadline&) = delete;
  DefaultDeadline& operator=(const DefaultDeadline&) = delete;

  absl::Duration deadline() const { return deadline_; }

  // Starts watching a call; null when it carries its own deadline or there
  // is no default. Forget it before the call ends.
  std::shared_ptr<Watched> Watch(const grpc::ServerContext& context);
  void Forget(const std::shared_ptr<Watched>& watched);

 private:
  using Entry = std::pair<absl::Time, std::shared_ptr<Watched>>;
  void Run();

  const absl::Duration deadline_;
  const absl::Duration cancel_after_;
  absl::Mutex mutex_;
  absl::CondVar changed_;
  std::set<Entry> pending_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_DEFAULT_DEADLINE_H_
