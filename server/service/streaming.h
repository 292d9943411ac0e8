// What every streaming handler shares: the status of a run that stopped
// early, and a writer that packs streamed items into messages of bounded
// size. (The call's cancellation as the engine sees it: CallScope.)
#ifndef SIDECARD_SERVER_SERVICE_STREAMING_H_
#define SIDECARD_SERVER_SERVICE_STREAMING_H_

#include <google/protobuf/arena.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "server/service/status_mapping.h"

namespace sidecard::service {

// The status of an engine run that stopped early: DEADLINE_EXCEEDED when the
// client's deadline passed, the engine's status otherwise.
inline grpc::Status StoppedStatus(grpc::ServerContext* context, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kCancelled &&
      context->deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed");
  }
  return ToGrpcStatus(status);
}

inline grpc::Status ClientGone() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
}

// Writes streamed items in messages of at most `batch_size` items. Each
// message is built in an arena that is emptied once it is written, so a
// stream of thousands of small items (reports, matches) allocates no
// memory per item.
template <typename Response>
class BatchWriter {
 public:
  BatchWriter(grpc::ServerWriter<Response>* writer, int32_t batch_size)
      : writer_(writer), batch_size_(batch_size), arena_(ArenaOptionsForBatches()) {
    pending_ = google::protobuf::Arena::CreateMessage<Response>(&arena_);
  }

  // The message to add the next item to; writes a full one first. Null once
  // the client is gone.
  Response* Next() { return NextGroup(1); }

  // The message to add a group of `items` items to (at most batch_size):
  // writes the pending one first if the group would overfill it. Null once
  // the client is gone.
  Response* NextGroup(int32_t items) {
    if (count_ > 0 && count_ + items > batch_size_ && !Flush()) return nullptr;
    count_ += items;
    return pending_;
  }

  // Writes what is pending, then `final_message` (the summary).
  bool WriteFinal(const Response& final_message) {
    return Flush() && writer_->Write(final_message);
  }

  // Writes what is pending: before a run that stopped early (at a limit)
  // returns its error, the client learns everything it did.
  bool Flush() {
    if (count_ == 0) return ok_;
    ok_ = ok_ && writer_->Write(*pending_);
    arena_.Reset();
    pending_ = google::protobuf::Arena::CreateMessage<Response>(&arena_);
    count_ = 0;
    return ok_;
  }

 private:
  static google::protobuf::ArenaOptions ArenaOptionsForBatches() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 64 << 10;
    options.max_block_size = 1 << 20;
    return options;
  }

  grpc::ServerWriter<Response>* writer_;
  const int32_t batch_size_;
  google::protobuf::Arena arena_;
  Response* pending_ = nullptr;
  int32_t count_ = 0;
  bool ok_ = true;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_STREAMING_H_
