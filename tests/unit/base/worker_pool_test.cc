#include "server/engine/base/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace sidecard::engine {
namespace {

TEST(WorkerPoolTest, RunsEveryIndexExactlyOnce) {
  WorkerPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(hits.size(), [&](size_t i) { hits[i].fetch_add(1); });
  for (const auto& hit : hits) EXPECT_EQ(hit.load(), 1);
}

TEST(WorkerPoolTest, UsesWorkerThreads) {
  WorkerPool pool(2);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  pool.ParallelFor(200, [&](size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_GE(threads.size(), 2u);
}

// Many requests share the pool; each one still finishes because its caller
// works on its own batch, even when the queue is full.
TEST(WorkerPoolTest, ConcurrentCallersAllFinishWithATinyQueue) {
  WorkerPool pool(2, /*max_queued=*/1);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        pool.ParallelFor(50, [&](size_t) { total.fetch_add(1); });
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(total.load(), 8 * 20 * 50);
}

TEST(WorkerPoolTest, ZeroThreadsMeansOnePerCore) {
  WorkerPool pool(0);
  EXPECT_EQ(pool.size(), std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace sidecard::engine
