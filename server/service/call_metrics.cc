#include "server/service/call_metrics.h"

#include <spdlog/spdlog.h>

#include "server/service/status_mapping.h"

namespace sidecard::service {

CallMetrics::CallMetrics(CallLimits limits)
    : limits_(limits), default_deadline_(limits.default_deadline) {}

CallMetrics::Admission CallMetrics::TryStart() {
  absl::MutexLock lock(&mutex_);
  if (draining_) return Admission::kDraining;
  if (limits_.max_concurrent_calls > 0 && active_ >= limits_.max_concurrent_calls) {
    return Admission::kBusy;
  }
  ++active_;
  return Admission::kAdmitted;
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

void CallMetrics::Finished(const std::string& method, grpc::StatusCode code, double seconds,
                           bool admitted, const Found& found) {
  absl::MutexLock lock(&mutex_);
  if (admitted) --active_;
  MethodFigures& figures = methods_[method];
  ++figures.calls;
  ++figures.calls_by_code[StatusCodeName(code)];
  figures.latency.Record(seconds);
  figures.files += found.files;
  figures.invalid_sidecars += found.invalid_sidecars;
  figures.orphans += found.orphans;
  if (code != grpc::StatusCode::OK) {
    ++figures.failed_calls;
    ++failed_;
  }
}

CallMetrics::Snapshot CallMetrics::Get() const {
  absl::MutexLock lock(&mutex_);
  return Snapshot{methods_, failed_, active_};
}

CallScope::CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context,
                     Length length)
    : metrics_(metrics),
      method_(std::move(method)),
      peer_(context.peer()),
      context_(context),
      start_(std::chrono::steady_clock::now()) {
  switch (metrics_.TryStart()) {
    case CallMetrics::Admission::kAdmitted:
      admitted_ = counted_ = true;
      if (length == Length::kBounded) watched_ = metrics_.default_deadline().Watch(context);
      break;
    case CallMetrics::Admission::kDraining:
      refusal_ = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "sidecard is shutting down; retry against a running daemon");
      break;
    case CallMetrics::Admission::kBusy:
      counted_ = true;
      refusal_ =
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       std::to_string(metrics_.limits().max_concurrent_calls) +
                           " calls already in progress (--max-concurrent-calls); retry later");
      break;
  }
}

CallScope::~CallScope() { metrics_.default_deadline().Forget(watched_); }

engine::Cancellation CallScope::cancellation() const {
  return engine::Cancellation([context = &context_, watched = watched_] {
    return context->IsCancelled() || (watched != nullptr && watched->expired());
  });
}

grpc::Status CallScope::Finish(grpc::Status status) {
  if (!status.ok() && watched_ != nullptr && watched_->expired()) {
    status = grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        "the call set no deadline and ran past the daemon's default of " +
            absl::FormatDuration(metrics_.default_deadline().deadline()) +
            " (--default-deadline); set a deadline (sidecarctl --timeout) or ask for less");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (counted_) metrics_.Finished(method_, status.error_code(), seconds, admitted_, found_);
  const auto level = status.ok() ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "call method={} peer={} root={} files={} duration_ms={:.1f} status={}{}{}",
              method_, peer_, root_.empty() ? "-" : root_, found_.files, seconds * 1000,
              StatusCodeName(status.error_code()),
              status.ok() ? "" : " message=", status.error_message());
  return status;
}

}  // namespace sidecard::service
