// Counters and latency histograms of the calls the daemon serves, their
// admission (draining, --max-concurrent-calls, --default-deadline), and the
// scope that logs one line per call (method, peer, root, files seen,
// duration, status).
#ifndef SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
#define SIDECARD_SERVER_SERVICE_CALL_METRICS_H_

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/base/cancellation.h"
#include "server/service/default_deadline.h"
#include "server/service/latency_histogram.h"

namespace sidecard::service {

// What calls may take (the daemon's "Limits" flags).
struct CallLimits {
  int max_concurrent_calls = 0;                            // 0: no limit
  absl::Duration default_deadline = absl::ZeroDuration();  // zero: none
};

// What one call found, for the per-method totals (outside CallMetrics so it
// can be a default argument there).
struct CallFound {
  int64_t files = 0;
  int64_t invalid_sidecars = 0;
  int64_t orphans = 0;
};

class CallMetrics {
 public:
  explicit CallMetrics(CallLimits limits = {});

  // What one method has served since start.
  struct MethodFigures {
    int64_t calls = 0;
    int64_t failed_calls = 0;                      // status other than OK
    std::map<std::string, int64_t> calls_by_code;  // "OK", "NOT_FOUND", ...
    LatencyHistogram latency;
    int64_t files = 0;             // files examined (the log line's files=)
    int64_t invalid_sidecars = 0;  // sidecars found invalid
    int64_t orphans = 0;           // sidecars found without their image
  };
  using Found = CallFound;
  struct Snapshot {
    std::map<std::string, MethodFigures> methods;  // by method name
    int64_t failed_calls = 0;
    int32_t active_calls = 0;
  };

  enum class Admission { kAdmitted, kDraining, kBusy };
  // Counts a call in, unless the daemon is draining or already serves
  // max_concurrent_calls calls (the call must then be refused).
  Admission TryStart();
  // From now on TryStart refuses calls.
  void BeginDraining();
  // Waits until no call is running or `deadline` passes; true when idle.
  bool WaitUntilIdle(absl::Time deadline);
  // Counts a finished call of `method` that ended with `code` after
  // `seconds`; `admitted`: it had been counted in by TryStart.
  void Finished(const std::string& method, grpc::StatusCode code, double seconds, bool admitted,
                const Found& found = {});
  Snapshot Get() const;

  const CallLimits& limits() const { return limits_; }
  DefaultDeadline& default_deadline() { return default_deadline_; }

 private:
  const CallLimits limits_;
  DefaultDeadline default_deadline_;
  mutable absl::Mutex mutex_;
  std::map<std::string, MethodFigures> methods_ ABSL_GUARDED_BY(mutex_);
  int64_t failed_ ABSL_GUARDED_BY(mutex_) = 0;
  int32_t active_ ABSL_GUARDED_BY(mutex_) = 0;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
};

// Lives for one call; on Finish it counts the call and logs its line.
class CallScope {
 public:
  // What a call may take: the daemon's default deadline applies to calls
  // that set none, except to a stream that runs until its client leaves
  // (Watch).
  enum class Length { kBounded, kUntilClientLeaves };
  CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context,
            Length length = Length::kBounded);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // False when the daemon is draining or busy: return Finish(refusal()).
  bool admitted() const { return admitted_; }
  const std::string& method() const { return method_; }
  const grpc::Status& refusal() const { return refusal_; }

  // Fires when the client goes away, its deadline passes, or, for a call
  // without one, the daemon's default deadline passes.
  engine::Cancellation cancellation() const;

  void set_root(std::string root) { root_ = std::move(root); }
  void add_files(int64_t files) { found_.files += files; }
  void add_invalid_sidecars(int64_t count) { found_.invalid_sidecars += count; }
  void add_orphans(int64_t count) { found_.orphans += count; }
  // Counts and logs the call; returns `status` for `return scope.Finish(...)`
  // (DEADLINE_EXCEEDED instead of a failure once the default deadline passed).
  grpc::Status Finish(grpc::Status status);

 private:
  CallMetrics& metrics_;
  std::string method_;
  std::string peer_;
  std::string root_;
  CallMetrics::Found found_;
  const grpc::ServerContext& context_;
  std::chrono::steady_clock::time_point start_;
  bool admitted_ = false;
  bool counted_ = false;  // admitted, or refused as busy (counted as RESOURCE_EXHAUSTED)
  grpc::Status refusal_;
  std::shared_ptr<DefaultDeadline::Watched> watched_;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_CALL_METRICS_H_
