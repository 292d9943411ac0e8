// Counters of the calls the daemon serves, and the scope that logs one line
// per call (method, peer, root, files seen, duration, status).
#ifndef SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
#define SIDECARD_SERVER_SERVICE_CALL_METRICS_H_

#include <grpcpp/server_context.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"

namespace sidecard::service {

class CallMetrics {
 public:
  struct Snapshot {
    std::map<std::string, int64_t> calls_by_method;
    int64_t failed_calls = 0;
    int32_t active_calls = 0;
  };

  void Started() { active_.fetch_add(1); }
  void Finished(const std::string& method, bool ok);
  Snapshot Get() const;

 private:
  mutable absl::Mutex mutex_;
  std::map<std::string, int64_t> calls_by_method_ ABSL_GUARDED_BY(mutex_);
  int64_t failed_ ABSL_GUARDED_BY(mutex_) = 0;
  std::atomic<int32_t> active_{0};
};

// Lives for one call; on Finish it counts the call and logs its line.
class CallScope {
 public:
  CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context);
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  void set_root(std::string root) { root_ = std::move(root); }
  void add_files(int64_t files) { files_ += files; }
  // Counts and logs the call; returns `status` for `return scope.Finish(...)`.
  grpc::Status Finish(grpc::Status status);

 private:
  CallMetrics& metrics_;
  std::string method_;
  std::string peer_;
  std::string root_;
  int64_t files_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
