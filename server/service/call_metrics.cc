#include "server/service/call_metrics.h"

#include <spdlog/spdlog.h>

#include "server/service/status_mapping.h"

namespace sidecard::service {

void CallMetrics::Finished(const std::string& method, bool ok) {
  active_.fetch_sub(1);
  absl::MutexLock lock(&mutex_);
  ++calls_by_method_[method];
  if (!ok) ++failed_;
}

CallMetrics::Snapshot CallMetrics::Get() const {
  absl::MutexLock lock(&mutex_);
  return Snapshot{calls_by_method_, failed_, active_.load()};
}

CallScope::CallScope(CallMetrics& metrics, std::string method, const grpc::ServerContext& context)
    : metrics_(metrics),
      method_(std::move(method)),
      peer_(context.peer()),
      start_(std::chrono::steady_clock::now()) {
  metrics_.Started();
}

grpc::Status CallScope::Finish(grpc::Status status) {
  const double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  metrics_.Finished(method_, status.ok());
  const auto level = status.ok() ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "call method={} peer={} root={} files={} duration_ms={:.1f} status={}{}{}",
              method_, peer_, root_.empty() ? "-" : root_, files_, millis,
              StatusCodeName(status.error_code()),
              status.ok() ? "" : " message=", status.error_message());
  return status;
}

}  // namespace sidecard::service
