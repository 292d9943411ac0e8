#include "server/service/default_deadline.h"

#include <chrono>

#include "absl/time/clock.h"

namespace sidecard::service {

DefaultDeadline::DefaultDeadline(absl::Duration deadline, absl::Duration cancel_after)
    : deadline_(deadline), cancel_after_(cancel_after) {
  if (deadline_ > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
}

DefaultDeadline::~DefaultDeadline() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    changed_.Signal();
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<DefaultDeadline::Watched> DefaultDeadline::Watch(
    const grpc::ServerContext& context) {
  if (deadline_ <= absl::ZeroDuration()) return nullptr;
  // gRPC reports "no deadline" as the largest time point.
  if (context.deadline() != std::chrono::system_clock::time_point::max()) return nullptr;
  auto watched = std::make_shared<Watched>(context);
  absl::MutexLock lock(&mutex_);
  watched->when_ = absl::Now() + deadline_;
  pending_.insert({watched->when_, watched});
  changed_.Signal();
  return watched;
}

void DefaultDeadline::Forget(const std::shared_ptr<Watched>& watched) {
  if (watched == nullptr) return;
  absl::MutexLock lock(&mutex_);
  pending_.erase({watched->when_, watched});
}

void DefaultDeadline::Run() {
  absl::MutexLock lock(&mutex_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    while (!pending_.empty() && pending_.begin()->first <= now) {
      std::shared_ptr<Watched> watched = pending_.begin()->second;
      pending_.erase(pending_.begin());
      if (!watched->expired()) {
        // First the polite stop the handler reports, then the hard one.
        watched->expired_.store(true, std::memory_order_relaxed);
        watched->when_ = now + cancel_after_;
        pending_.insert({watched->when_, watched});
      } else {
        // Still running: blocked on a client that does not read. The
        // context is alive: the call forgets it (under this lock) first.
        watched->context_.TryCancel();
      }
    }
    if (pending_.empty()) {
      changed_.Wait(&mutex_);
    } else {
      changed_.WaitWithDeadline(&mutex_, pending_.begin()->first);
    }
  }
}

}  // namespace sidecard::service
