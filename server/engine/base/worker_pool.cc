#include "server/engine/base/worker_pool.h"

#include <atomic>
#include <memory>

namespace sidecard::engine {
namespace {

// Shared by the caller and the helper tasks of one ParallelFor batch.
struct Batch {
  Batch(size_t count_in, const std::function<void(size_t)>& fn_in) : count(count_in), fn(fn_in) {}

  // Claims indices until none are left.
  void Drain() {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      fn(i);
      if (finished.fetch_add(1) + 1 == count) {
        absl::MutexLock lock(&mutex);
        done = true;
      }
    }
  }

  const size_t count;
  const std::function<void(size_t)>& fn;
  std::atomic<size_t> next{0};
  std::atomic<size_t> finished{0};
  absl::Mutex mutex;
  bool done ABSL_GUARDED_BY(mutex) = false;
};

}  // namespace

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mutex_);
  return queue_.size();
}

bool WorkerPool::TryEnqueue(std::function<void()> task) {
  absl::MutexLock lock(&mutex_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(task));
  return true;
}

void WorkerPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](WorkerPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mutex_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void WorkerPool::ParallelFor(size_t count, const std::function<void(size_t)>& fn) {
  if (count == 0) return;
  // The batch must outlive helper tasks that start after the caller finished
  // the last index, so they share ownership of it.
  auto batch = std::make_shared<Batch>(count, fn);
  const size_t helpers = std::min(threads_.size(), count - 1);
  for (size_t i = 0; i < helpers; ++i) {
    if (!TryEnqueue([batch] { batch->Drain(); })) break;
  }
  batch->Drain();
  absl::MutexLock lock(&batch->mutex);
  batch->mutex.Await(absl::Condition(&batch->done));
}

}  // namespace sidecard::engine
