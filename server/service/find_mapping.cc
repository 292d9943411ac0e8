#include "server/service/find_mapping.h"

#include <string>

#include "server/engine/fs/path_text.h"
#include "server/service/proto_mapping.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

absl::Status AddOperations(std::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& texts,
                           std::vector<engine::OperationRef>& out) {
  for (const std::string& text : texts) {
    auto ref = engine::ParseOperationRef(field, text);
    if (!ref.ok()) return ref.status();
    out.push_back(*std::move(ref));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<engine::FindPredicates> FindPredicatesOf(const v1::FindRequest& request) {
  engine::FindPredicates predicates;
  for (const auto& [field, texts, out] :
       {std::tuple{"has", &request.has(), &predicates.has},
        std::tuple{"missing", &request.missing(), &predicates.missing},
        std::tuple{"failed", &request.failed(), &predicates.failed}}) {
    if (auto added = AddOperations(field, *texts, *out); !added.ok()) return added;
  }
  if (request.has_min_faces()) predicates.min_faces = request.min_faces();
  if (request.has_min_objects()) predicates.min_objects = request.min_objects();
  predicates.object_classes.assign(request.object_classes().begin(),
                                   request.object_classes().end());
  if (!request.format().empty()) {
    auto format = engine::ParseFindFormat(request.format());
    if (!format.ok()) return format.status();
    predicates.format = *format;
  }
  predicates.invalid = request.invalid();
  predicates.orphans = request.orphans();
  predicates.no_sidecar = request.no_sidecar();
  if (!request.changed_since().empty()) {
    auto since = engine::ParseChangedSince(request.changed_since());
    if (!since.ok()) return since.status();
    predicates.changed_since_ns = *since;
  }
  if (auto checked = engine::CheckFindPredicates(predicates); !checked.ok()) return checked;
  return predicates;
}

void FillFoundImage(const engine::FoundImage& found, v1::FoundImage& out) {
  if (!found.image.empty()) FillPath(found.image, *out.mutable_image());
  if (!found.sidecar.empty()) FillPath(found.sidecar, *out.mutable_sidecar());
  if (found.format) out.set_format(ToProto(*found.format));
  for (const std::string& name : found.operations) out.add_operations(engine::DisplayPath(name));
  for (const std::string& name : found.backends) out.add_backends(engine::DisplayPath(name));
  for (const std::string& name : found.failed) out.add_failed(engine::DisplayPath(name));
  out.set_face_count(found.faces);
  out.set_object_count(found.objects);
  for (const auto& [name, count] : found.object_classes) {
    (*out.mutable_object_classes())[engine::DisplayPath(name)] = count;
  }
  out.set_valid(found.valid());
  if (!found.invalid_sidecar.empty())
    FillPath(found.invalid_sidecar, *out.mutable_invalid_sidecar());
  out.set_sidecar_files(found.sidecar_files);
  out.set_modified_unix_seconds(static_cast<double>(found.modified_ns) / 1e9);
  out.set_orphan(found.orphan());
}

const std::string& ListedPath(const engine::FindPredicates& predicates,
                              const engine::FoundImage& found) {
  if (predicates.invalid) return found.invalid_sidecar;
  return predicates.orphans ? found.sidecar : found.image;
}

engine::EncodedMatches EncodeFoundPaths(const engine::FindPredicates& predicates,
                                        int32_t batch_size,
                                        std::span<const engine::FoundImage* const> matches) {
  engine::EncodedMatches encoded;
  v1::FoundPaths group;
  std::string_view directory;
  int64_t names = 0;
  const auto seal = [&] {
    if (names == 0) return;
    encoded.pieces.push_back({group.SerializeAsString(), names});
    group.Clear();
    names = 0;
  };
  for (const engine::FoundImage* found : matches) {
    const std::string& path = ListedPath(predicates, *found);
    const std::string_view dir = engine::Dirname(path);
    if (names == batch_size || dir != directory) {
      seal();
      directory = dir;
      FillPath(std::string(dir), *group.mutable_directory());
    }
    std::string& out = *group.mutable_names();
    out.append(engine::Basename(path));
    out.push_back('\0');
    ++names;
  }
  seal();
  return encoded;
}

void FillFindSummary(const engine::FindSummary& summary, const engine::FindPredicates& predicates,
                     v1::FindSummary& out) {
  constexpr size_t kMaxDirectoryErrors = 100;
  out.set_root(engine::DisplayPath(summary.root));
  out.set_images(summary.images);
  out.set_orphans(summary.orphans);
  out.set_matched(summary.matched);
  for (const std::string& predicate : predicates.Describe()) {
    out.add_predicates(engine::DisplayPath(predicate));
  }
  out.set_unreadable_directories(static_cast<int64_t>(summary.directory_errors.size()));
  for (size_t i = 0; i < summary.directory_errors.size() && i < kMaxDirectoryErrors; ++i) {
    const auto& error = summary.directory_errors[i];
    out.add_directory_errors(engine::DisplayPath(error.path) + ": " + error.reason);
  }
  out.set_duration_seconds(summary.duration_seconds);
}

}  // namespace sidecard::service
