// Watch: the change feed (engine/feed/change_feed.h) as a server stream.
#include <memory>

#include "server/engine/feed/change_cursor.h"
#include "server/engine/feed/change_feed.h"
#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"
#include "server/service/streaming.h"

namespace sidecard::service {
namespace v1 = sidecar::v1;
namespace {

// How often a quiet stream looks whether its client is gone.
constexpr absl::Duration kClientCheckInterval = absl::Milliseconds(200);
// Changes per message.
constexpr int kChangesPerMessage = 256;

v1::ChangeKind KindToProto(engine::ChangeKind kind) {
  switch (kind) {
    case engine::ChangeKind::kCreated:
      return v1::CHANGE_KIND_CREATED;
    case engine::ChangeKind::kChanged:
      return v1::CHANGE_KIND_CHANGED;
    case engine::ChangeKind::kRemoved:
      return v1::CHANGE_KIND_REMOVED;
  }
  return v1::CHANGE_KIND_UNSPECIFIED;
}

v1::WatchResetReason ReasonToProto(engine::ResetReason reason) {
  switch (reason) {
    case engine::ResetReason::kDaemonRestarted:
      return v1::WATCH_RESET_REASON_DAEMON_RESTARTED;
    case engine::ResetReason::kEventsLost:
      return v1::WATCH_RESET_REASON_EVENTS_LOST;
    case engine::ResetReason::kCursorExpired:
      return v1::WATCH_RESET_REASON_CURSOR_EXPIRED;
    case engine::ResetReason::kNotWatchedThen:
      return v1::WATCH_RESET_REASON_NOT_WATCHED_THEN;
    case engine::ResetReason::kSubscriberTooSlow:
      return v1::WATCH_RESET_REASON_SUBSCRIBER_TOO_SLOW;
  }
  return v1::WATCH_RESET_REASON_UNSPECIFIED;
}

void FillChange(const engine::SidecarChange& change, const std::string& instance,
                v1::SidecarChange& out) {
  out.set_kind(KindToProto(change.kind));
  FillPath(change.path, *out.mutable_path());
  out.set_format(ToProto(change.format));
  for (const std::string& operation : change.operations) out.add_operations(operation);
  out.set_valid(change.valid);
  out.set_error(change.error);
  out.set_cursor(engine::FormatCursor(instance, change.sequence));
}

// Writes one delivery: its reset, then its changes in messages of at most
// kChangesPerMessage. False once the client is gone.
bool WriteDelivery(const engine::Subscription::Delivery& delivery, const std::string& instance,
                   grpc::ServerWriter<v1::WatchResponse>& writer) {
  if (delivery.reset) {
    v1::WatchResponse message;
    v1::WatchReset& reset = *message.mutable_reset();
    reset.set_reason(ReasonToProto(delivery.reset->reason));
    reset.set_message(delivery.reset->message);
    reset.set_cursor(delivery.reset->cursor);
    if (!writer.Write(message)) return false;
  }
  BatchWriter<v1::WatchResponse> batches(&writer, kChangesPerMessage);
  for (const auto& change : delivery.changes) {
    v1::WatchResponse* message = batches.Next();
    if (message == nullptr) return false;
    FillChange(*change, instance, *message->add_changes());
  }
  return batches.Flush();
}

}  // namespace

grpc::Status SidecarService::Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                                   grpc::ServerWriter<v1::WatchResponse>* writer) {
  CallScope call(metrics_, "Watch", *context, CallScope::Length::kUntilClientLeaves);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));
  if (config_.change_feed == nullptr) {
    return call.Finish(
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                     "this daemon does not watch directories (--no-watch, or inotify unavailable): "
                     "Watch cannot report changes"));
  }
  auto subscription = config_.change_feed->Subscribe(allowed, *root, request->cursor());
  if (!subscription.ok()) return call.Finish(ToGrpcStatus(subscription.status()));

  v1::WatchResponse started;
  started.mutable_started()->set_cursor((*subscription)->start_cursor());
  started.mutable_started()->set_instance(config_.change_feed->instance());
  if (!writer->Write(started)) return call.Finish(ClientGone());
  const std::string& instance = config_.change_feed->instance();
  while (true) {
    const engine::Subscription::Delivery delivery = (*subscription)->Next(kClientCheckInterval);
    if (context->IsCancelled() || !WriteDelivery(delivery, instance, *writer)) {
      return call.Finish(ClientGone());
    }
    if (delivery.ended) return call.Finish(ToGrpcStatus(delivery.end_status));
  }
}

}  // namespace sidecard::service
