// A fixed set of threads, created at start-up and shared by every request,
// that does the per-file work (reading, decoding, analysing).
//
// Requests hand it batches with ParallelFor. The calling thread works on its
// own batch too, so a request always progresses even when every worker is
// busy with other requests, and the queue stays bounded: at most one helper
// task per worker per batch is queued, and when the queue is full the caller
// simply does more of the work itself.
#ifndef SIDECARD_SERVER_ENGINE_BASE_WORKER_POOL_H_
#define SIDECARD_SERVER_ENGINE_BASE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sidecard::engine {

class WorkerPool {
 public:
  // `threads` == 0 means one per core. `max_queued` bounds waiting tasks.
  explicit WorkerPool(size_t threads, size_t max_queued = 1024);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Calls `fn(i)` for every i in [0, count), spread over the workers and the
  // calling thread; returns when all calls have finished. `fn` must not throw.
  void ParallelFor(size_t count, const std::function<void(size_t)>& fn);

  size_t size() const { return threads_.size(); }
  // Tasks waiting for a worker right now.
  size_t queued() const;

 private:
  bool TryEnqueue(std::function<void()> task);
  void WorkerLoop();

  mutable absl::Mutex mutex_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  const size_t max_queued_;
  std::vector<std::thread> threads_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_WORKER_POOL_H_
