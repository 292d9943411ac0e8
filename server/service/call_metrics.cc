#include "server/service/call_metrics.h"

#include <spdlog/spdlog.h>

#include "server/service/status_mapping.h"

namespace sidecard::service {

bool CallMetrics::TryStart() {
  absl::MutexLock lock(&mutex_);
  if (draining_) return false;
  ++active_;
  return true;
}

void CallMetrics::BeginDraining() {
  absl::MutexLock lock(&mutex_);
  draining_ = true;
}

bool CallMetrics::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  return mutex_.AwaitWithDeadline(absl::Condition(
                                      +[](int32_t* active) { return *active == 0; }, &active_),
                                  deadline);
}

void CallMetrics::Finished(const std::string& method, grpc::StatusCode code, double seconds) {
  absl::MutexLock lock(&mutex_);
  --active_;
  MethodFigures& figures = methods_[method];
  ++figures.calls;
  ++figures.calls_by_code[StatusCodeName(code)];
  figures.latency.Record(seconds);
  if (code != grpc::StatusCode::OK) {
    ++figures.failed_calls;
    ++failed_;
  }
}

CallMetrics::Snapshot CallMetrics::Get() const {
  absl::MutexLock lock(&mutex_);
  return Snapshot{methods_, failed_, active_};
}

CallScope::CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context)
    : metrics_(metrics),
      method_(std::move(method)),
      peer_(context.peer()),
      start_(std::chrono::steady_clock::now()),
      admitted_(metrics_.TryStart()) {}

grpc::Status CallScope::Refused() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "sidecard is shutting down; retry against a running daemon");
}

grpc::Status CallScope::Finish(grpc::Status status) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (admitted_) metrics_.Finished(method_, status.error_code(), seconds);
  const auto level = status.ok() ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "call method={} peer={} root={} files={} duration_ms={:.1f} status={}{}{}",
              method_, peer_, root_.empty() ? "-" : root_, files_, seconds * 1000,
              StatusCodeName(status.error_code()),
              status.ok() ? "" : " message=", status.error_message());
  return status;
}

}  // namespace sidecard::service
