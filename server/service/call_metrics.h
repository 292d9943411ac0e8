// Counters and latency histograms of the calls the daemon serves, and the
// scope that logs one line per call (method, peer, root, files seen,
// duration, status).
#ifndef SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
#define SIDECARD_SERVER_SERVICE_CALL_METRICS_H_

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/service/latency_histogram.h"

namespace sidecard::service {

class CallMetrics {
 public:
  // What one method has served since start.
  struct MethodFigures {
    int64_t calls = 0;
    int64_t failed_calls = 0;                      // status other than OK
    std::map<std::string, int64_t> calls_by_code;  // "OK", "NOT_FOUND", ...
    LatencyHistogram latency;
  };
  struct Snapshot {
    std::map<std::string, MethodFigures> methods;  // by method name
    int64_t failed_calls = 0;
    int32_t active_calls = 0;
  };

  // Counts a call in; false once draining (the call must be refused).
  bool TryStart();
  // From now on TryStart refuses calls.
  void BeginDraining();
  // Waits until no call is running or `deadline` passes; true when idle.
  bool WaitUntilIdle(absl::Time deadline);
  // Counts a finished call of `method` that ended with `code` after `seconds`.
  void Finished(const std::string& method, grpc::StatusCode code, double seconds);
  Snapshot Get() const;

 private:
  mutable absl::Mutex mutex_;
  std::map<std::string, MethodFigures> methods_ ABSL_GUARDED_BY(mutex_);
  int64_t failed_ ABSL_GUARDED_BY(mutex_) = 0;
  int32_t active_ ABSL_GUARDED_BY(mutex_) = 0;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

// Lives for one call; on Finish it counts the call and logs its line.
class CallScope {
 public:
  CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context);
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // False when the daemon is draining: return Finish(Refused()).
  bool admitted() const { return admitted_; }
  const std::string& method() const { return method_; }
  static grpc::Status Refused();

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
  bool admitted_ = false;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
