// Find: the images under a root whose sidecar facts match a query.
#include <span>
#include <string>

#include "server/engine/fs/path_text.h"
#include "server/engine/ops/find.h"
#include "server/service/find_mapping.h"
#include "server/service/request_checks.h"
#include "server/service/sidecar_service.h"
#include "server/service/status_mapping.h"
#include "server/service/streaming.h"

namespace sidecard::service {

namespace v1 = ::sidecar::v1;

grpc::Status SidecarService::Find(grpc::ServerContext* context, const v1::FindRequest* request,
                                  grpc::ServerWriter<v1::FindResponse>* writer) {
  CallScope call(metrics_, "Find", *context);
  if (auto refused = Admit(call, *context, Access::kRead); !refused.ok()) {
    return call.Finish(refused);
  }
  int32_t batch_size = 0;
  if (auto checked = CheckBatchSize(request->batch_size(), batch_size); !checked.ok()) {
    return call.Finish(ToGrpcStatus(checked));
  }
  engine::FindOptions options;
  options.recursive = !request->non_recursive();
  auto predicates = FindPredicatesOf(*request);
  if (!predicates.ok()) return call.Finish(ToGrpcStatus(predicates.status()));
  options.predicates = *std::move(predicates);
  const auto allowed = roots();
  auto root = ResolveRequestRoot(*request, *allowed);
  if (!root.ok()) return call.Finish(ToGrpcStatus(root.status()));
  call.set_root(engine::DisplayPath(*root));

  if (request->paths_only()) {
    // A path is a few dozen bytes: paths go in the largest messages allowed
    // unless the caller asked otherwise.
    if (request->batch_size() == 0) batch_size = kMaxBatchSize;
    // Listings are encoded once per unchanged directory and query, then
    // copied (FindOptions::encode).
    options.encode = [&predicates = options.predicates,
                      batch_size](std::span<const engine::FoundImage* const> matches) {
      return EncodeFoundPaths(predicates, batch_size, matches);
    };
    options.encoding_key = "paths/" + std::to_string(batch_size);
  }

  BatchWriter<v1::FindResponse> batches(writer, batch_size);
  const auto send = [&](const engine::DirectoryMatches& directory) {
    if (directory.encoded != nullptr) {
      for (const engine::EncodedMatches::Piece& piece : directory.encoded->pieces) {
        v1::FindResponse* message = batches.NextGroup(static_cast<int32_t>(piece.matches));
        if (message == nullptr) return false;
        // On the wire, an unknown field under `paths` is the next element.
        message->GetReflection()->MutableUnknownFields(message)->AddLengthDelimited(
            v1::FindResponse::kPathsFieldNumber, piece.bytes);
      }
      return true;
    }
    for (const engine::FoundImage* found : directory.matches) {
      v1::FindResponse* message = batches.Next();
      if (message == nullptr) return false;
      FillFoundImage(*found, *message->add_matches());
    }
    return true;
  };
  auto summary =
      engine::FindImages(*root, options, MakeContext(*allowed), call.cancellation(), send);
  if (!summary.ok()) {
    batches.Flush();
    return call.Finish(StoppedStatus(context, summary.status()));
  }
  call.add_files(summary->images + summary->orphans);
  v1::FindResponse final_message;
  FillFindSummary(*summary, options.predicates, *final_message.mutable_summary());
  if (!batches.WriteFinal(final_message)) return call.Finish(ClientGone());
  return call.Finish(grpc::Status::OK);
}

}  // namespace sidecard::service
