#include "server/engine/ops/prune.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/documents/document_facts.h"
#include "server/engine/documents/operations.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/fs/atomic_file.h"
#include "server/engine/fs/file_stamp.h"
#include "server/engine/fs/guarded_write.h"
#include "server/engine/fs/make_directories.h"
#include "server/engine/library/directory_scan.h"
#include "server/engine/library/naming.h"
#include "server/engine/ops/cleanup.h"
#include "server/engine/ops/parallel_inspection.h"
#include "server/engine/ops/quarantine_batches.h"
#include "server/engine/store/sidecar_store.h"

namespace sidecard::engine {
namespace {

using rapidjson::Value;

std::string_view View(const Value& value) {
  return std::string_view(value.GetString(), value.GetStringLength());
}

// Removes every member named `key` (a repeated key counts as its last copy
// everywhere else, so all its copies go).
bool RemoveAll(Value& object, std::string_view key) {
  bool removed = false;
  const Value name(rapidjson::StringRef(key.data(), key.size()));
  for (auto it = object.FindMember(name); it != object.MemberEnd(); it = object.FindMember(name)) {
    object.EraseMember(it);  // keeps the order of the other members
    removed = true;
  }
  return removed;
}

// How a decoded document holds the operation.
struct Plan {
  enum Kind { kAbsent, kRemovable, kLayout } kind = kAbsent;
  std::vector<std::string> keys;  // the top-level keys holding it
  std::string why;                // for kLayout
};

Plan PlanRemoval(const SidecarFile& file, const rapidjson::Document& document,
                 const PruneOptions& options) {
  Plan plan;
  if (!document.IsObject()) return plan;
  const bool has_backend = !options.backend.empty();
  const DocumentFacts facts = AnalyzeDocument(document);
  const bool has_payload =
      std::any_of(facts.payloads.begin(), facts.payloads.end(), [&](const PayloadFacts& p) {
        return p.operation == options.operation && p.backend == options.backend;
      });
  // The top-level key: the operation itself, or an old script's name of it.
  for (const auto& member : document.GetObject()) {
    const std::string_view key = View(member.name);
    if (key == kSidecarInfoKey) continue;
    if (key == options.operation || OperationForLegacyKey(key) == options.operation) {
      // A backend is a member of the operation's map that the analysis took
      // for a backend payload, never a field of a payload held directly.
      if (has_backend && !(has_payload && member.value.IsObject() &&
                           member.value.HasMember(options.backend.c_str()))) {
        continue;
      }
      if (std::find(plan.keys.begin(), plan.keys.end(), key) == plan.keys.end()) {
        plan.keys.emplace_back(key);
      }
    }
  }
  if (!plan.keys.empty()) {
    plan.kind = Plan::kRemovable;
    return plan;
  }
  const bool held = has_backend ? has_payload : facts.HasOperation(options.operation);
  if (held && facts.layout == DocumentLayout::kEnvelope) {
    plan.kind = Plan::kLayout;
    plan.why = "old envelope layout: the whole file is this operation's result; nothing removed";
  } else if (file.legacy_operation_file && !has_backend) {
    const auto legacy = SplitLegacyOperationStem(SplitName(file.name).stem);
    if (legacy && legacy->operation == options.operation) {
      plan.kind = Plan::kLayout;
      plan.why =
          "old per-operation file: its whole content is this operation's result; nothing removed "
          "(a sidecar is never deleted by a prune)";
    }
  }
  return plan;
}

// Applies `plan` to `document` and tells `sidecar_info`.
void Remove(const Plan& plan, const PruneOptions& options, rapidjson::Document& document) {
  auto& allocator = document.GetAllocator();
  for (const std::string& key : plan.keys) {
    if (options.backend.empty()) {
      RemoveAll(document, key);
      continue;
    }
    for (auto& member : document.GetObject()) {
      if (View(member.name) == key && member.value.IsObject()) {
        RemoveAll(member.value, options.backend);
      }
    }
    // An operation left with no backend holds nothing.
    auto it = document.FindMember(key.c_str());
    if (it != document.MemberEnd() && it->value.IsObject() && it->value.MemberCount() == 0) {
      RemoveAll(document, key);
    }
  }
  const std::string removed =
      options.backend.empty() ? options.operation : Concat(options.operation, ".", options.backend);
  auto info = document.FindMember(kSidecarInfoKey.data());
  if (info == document.MemberEnd()) {
    document.AddMember(CopiedString(kSidecarInfoKey, allocator), Value(rapidjson::kObjectType),
                       allocator);
    info = document.FindMember(kSidecarInfoKey.data());
  }
  if (!info->value.IsObject()) return;  // not ours to repair
  SetMember(info->value, "last_updated", CopiedString(Rfc3339(options.now), allocator), allocator);
  SetMember(info->value, "last_pruned", CopiedString(removed, allocator), allocator);
}

class Pruner {
 public:
  Pruner(const std::string& root, const PruneOptions& options, ImageLocks& locks,
         PruneSummary& summary)
      : root_(root), options_(options), locks_(locks), summary_(summary) {}

  void set_root_fd(int fd) { root_fd_ = fd; }

  // Decides and, when applying, acts on one inspected file. False when it
  // needs no report line (foreign, or without the operation).
  bool Process(const InspectedSidecar& item, PruneResult& result) {
    const DirectoryScan& dir = *item.ref.directory;
    const SidecarFile& file = item.ref.file();
    const SidecarInspection& inspection = *item.inspection;
    const SidecarRole role = ClassifySidecar(file, inspection);
    if (role == SidecarRole::kForeign) {
      ++summary_.foreign_files;
      return false;
    }
    ++summary_.sidecars_examined;
    result = PruneResult{};
    result.path = dir.AbsolutePathOf(file.name);
    result.size_bytes = inspection.stamp.size;
    if (!inspection.decoded || inspection.facts.layout == DocumentLayout::kNotAnObject) {
      result.action = PruneAction::kSkippedUnreadable;
      result.error = inspection.FirstError();
      ++summary_.unreadable;
      ++summary_.skipped;
      return true;
    }
    if (!MayHold(file, inspection)) return false;
    std::optional<ImageLocks::Guard> guard;
    if (options_.apply) guard.emplace(locks_.Lock(dir.absolute_path, file.group_key));
    const bool report = Prune(dir, file, result);
    if (!report) return false;
    if (result.action != PruneAction::kSkippedUnreadable) ++summary_.matched;
    switch (result.action) {
      case PruneAction::kWouldPrune:
      case PruneAction::kPruned:
        ++summary_.pruned;
        summary_.bytes_removed += result.size_bytes - result.new_size_bytes;
        break;
      case PruneAction::kFailed:
        ++summary_.failed;
        break;
      case PruneAction::kSkippedUnreadable:
        ++summary_.unreadable;
        ++summary_.skipped;
        break;
      default:
        ++summary_.skipped;
    }
    return true;
  }

 private:
  // The inspection's facts (read fast, perhaps from the cache) rule out the
  // files that cannot hold a known operation without reading them again.
  bool MayHold(const SidecarFile& file, const SidecarInspection& inspection) const {
    if (!IsKnownOperation(options_.operation)) return true;  // facts may not list it
    if (file.legacy_operation_file) return true;
    return inspection.facts.HasOperation(options_.operation);
  }

  // Reads the file again exactly (numbers as written), plans, and applies.
  // False when the file turns out not to hold the operation.
  bool Prune(const DirectoryScan& dir, const SidecarFile& file, PruneResult& result) {
    const int dir_fd = dir.fd.get();
    FileStamp stamp;
    auto bytes = ReadRegularFileAt(dir_fd, file.name, options_.max_sidecar_bytes, stamp);
    if (!bytes.ok()) {
      if (absl::IsNotFound(bytes.status())) return false;  // removed meanwhile
      result.action = PruneAction::kSkippedUnreadable;
      result.error = std::string(bytes.status().message());
      return true;
    }
    result.size_bytes = static_cast<int64_t>(bytes->size());
    auto decoded = DecodeSidecar(file.format, *bytes);
    if (!decoded.ok() || !decoded->document.IsObject()) {
      result.action = PruneAction::kSkippedUnreadable;
      result.error = decoded.ok() ? "the document is not a JSON object"
                                  : std::string(decoded.status().message());
      return true;
    }
    rapidjson::Document& document = decoded->document;
    const Plan plan = PlanRemoval(file, document, options_);
    if (plan.kind == Plan::kAbsent) return false;
    if (plan.kind == Plan::kLayout) {
      result.action = PruneAction::kSkippedLayout;
      result.error = plan.why;
      return true;
    }
    for (const std::string& key : plan.keys) {
      result.removed += Concat(result.removed.empty() ? "" : ", ", key,
                               options_.backend.empty() ? "" : ".", options_.backend);
    }
    Remove(plan, options_, document);
    result.remaining_operations = AnalyzeDocument(document).operations;
    const std::string pruned = EncodeSidecar(file.format, document);
    result.new_size_bytes = static_cast<int64_t>(pruned.size());
    result.action = PruneAction::kWouldPrune;
    if (options_.apply) Apply(dir, file, *bytes, stamp, pruned, result);
    return true;
  }

  // Runs under the image's lock: the previous version and the record into
  // the quarantine first, then the guarded replace.
  void Apply(const DirectoryScan& dir, const SidecarFile& file, const std::string& previous,
             const FileStamp& stamp, const std::string& pruned, PruneResult& result) {
    const auto fail = [&result](std::string error) {
      result.action = PruneAction::kFailed;
      result.error = std::move(error);
    };
    struct stat st {};
    if (fstatat(dir.fd.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || !(FileStamp::FromStat(st) == stamp)) {
      result.action = PruneAction::kSkippedChanged;
      result.error = "changed since it was read; nothing changed";
      return;
    }
    const mode_t mode = st.st_mode & 07777;
    const std::string relative = dir.RelativePathOf(file.name);
    const std::string parent = BatchFolderOf(root_, summary_.quarantine_dir, relative);
    auto batch_dir = MakeDirectories(root_fd_, parent);
    if (!batch_dir.ok()) {
      return fail(Concat("cannot make the quarantine folder: ", batch_dir.status().message(),
                         "; nothing changed"));
    }
    const std::string kept_as = Concat(summary_.quarantine_dir, "/", relative);
    if (absl::Status kept = CreateFileGuarded(batch_dir->get(), file.name, previous, mode);
        !kept.ok()) {
      return fail(
          absl::IsAlreadyExists(kept)
              ? Concat(kept_as, " already exists in the quarantine; nothing changed")
              : Concat("cannot keep the previous version: ", kept.message(), "; nothing changed"));
    }
    const std::string record_name = Concat(kPruneRecordPrefix, file.name);
    const PruneRecord record{static_cast<int64_t>(pruned.size()), ContentDigest(pruned)};
    const auto discard_kept = [&] {
      unlinkat(batch_dir->get(), record_name.c_str(), 0);
      unlinkat(batch_dir->get(), file.name.c_str(), 0);
    };
    // Written before the replace, so that a crash right after it still leaves
    // a restorable pair.
    if (absl::Status recorded = CreateFileGuarded(batch_dir->get(), record_name,
                                                  EncodePruneRecord(record, result.removed), 0600);
        !recorded.ok()) {
      discard_kept();
      return fail(Concat("cannot record the prune in the quarantine: ", recorded.message(),
                         "; nothing changed"));
    }
    const absl::Status replaced = ReplaceFileGuarded(dir.fd.get(), file.name, pruned, stamp, mode);
    if (!replaced.ok()) {
      discard_kept();  // the file was not replaced, so nothing is to restore
      if (absl::IsAborted(replaced)) {
        result.action = PruneAction::kSkippedChanged;
        result.error = Concat(replaced.message(), "; nothing changed");
      } else {
        fail(Concat(replaced.message(), "; nothing changed"));
      }
      return;
    }
    result.action = PruneAction::kPruned;
    result.quarantined = kept_as;
  }

  const std::string& root_;
  const PruneOptions& options_;
  ImageLocks& locks_;
  PruneSummary& summary_;
  int root_fd_ = -1;
};

// The quarantine batch folder for a run at `now`, a second later while that
// one exists (an earlier run in the same second: a prune never writes into
// another run's batch, where the same file may already be).
std::string FreshBatchDir(const std::string& root, int root_fd, absl::Time now) {
  std::string batch_dir = QuarantineBatchDir(root, now);
  for (int tries = 0; tries < 60; ++tries) {
    const std::string id = batch_dir.substr(batch_dir.rfind('/') + 1);
    const std::string relative = Concat(kQuarantineDirName, "/", id);
    struct stat st {};
    if (fstatat(root_fd, relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) break;
    now += absl::Seconds(1);
    batch_dir = QuarantineBatchDir(root, now);
  }
  return batch_dir;
}

}  // namespace

absl::Status CheckPruneNames(std::string_view operation, std::string_view backend,
                             bool backend_given) {
  if (operation.empty()) return absl::InvalidArgumentError("operation: must not be empty");
  if (operation == kSidecarInfoKey) {
    return absl::InvalidArgumentError(
        "operation: sidecar_info is the sidecar's bookkeeping, not an operation");
  }
  if (backend_given && backend.empty()) {
    return absl::InvalidArgumentError("backend: must not be empty when given");
  }
  return absl::OkStatus();
}

absl::StatusOr<PruneSummary> PruneTree(
    const std::string& root, const PruneOptions& options, const EngineContext& context,
    ImageLocks& locks, const Cancellation& cancellation,
    const std::function<bool(std::span<const PruneResult>)>& sink) {
  if (absl::Status names = CheckPruneNames(options.operation, options.backend, false);
      !names.ok()) {
    return names;
  }
  const absl::Time start = absl::Now();
  PruneSummary summary;
  summary.root = root;
  summary.operation = options.operation;
  summary.backend = options.backend;
  summary.applied = options.apply;
  Pruner pruner(root, options, locks, summary);

  WalkOptions walk_options = WalkOptionsFor(context, options.recursive);
  walk_options.on_directory = [&summary](const DirectoryScan& scan) {
    summary.foreign_files += static_cast<int64_t>(scan.foreign_files.size());  // by name
    return true;
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  pruner.set_root_fd((*walk)->root_fd());
  if (options.apply) summary.quarantine_dir = FreshBatchDir(root, (*walk)->root_fd(), options.now);

  std::vector<PruneResult> results;
  const absl::Status status =
      InspectInOrder(**walk, context, cancellation, [&](std::span<InspectedSidecar> batch) {
        results.clear();
        for (const InspectedSidecar& item : batch) {
          if (cancellation.cancelled()) return false;
          PruneResult result;
          if (pruner.Process(item, result)) results.push_back(std::move(result));
        }
        return results.empty() || sink(results);
      });
  if (!status.ok()) return status;
  summary.unreadable_directories = static_cast<int64_t>((*walk)->directory_errors().size());
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

uint64_t ContentDigest(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  for (const unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string EncodePruneRecord(const PruneRecord& record, std::string_view removed) {
  rapidjson::Document document(rapidjson::kObjectType);
  auto& allocator = document.GetAllocator();
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016" PRIx64, record.written_digest);
  document.AddMember("removed", CopiedString(removed, allocator), allocator);
  document.AddMember("written_size", Value(record.written_size), allocator);
  document.AddMember("written_fnv1a64", CopiedString(digest, allocator), allocator);
  return CanonicalJson(document) + "\n";
}

absl::StatusOr<PruneRecord> DecodePruneRecord(std::string_view text) {
  auto document = ParseJson(text);
  const auto bad = [] { return absl::DataLossError("not a prune record"); };
  if (!document.ok() || !document->IsObject()) return bad();
  auto size = document->FindMember("written_size");
  auto digest = document->FindMember("written_fnv1a64");
  if (size == document->MemberEnd() || !size->value.IsInt64() || digest == document->MemberEnd() ||
      !digest->value.IsString() || digest->value.GetStringLength() != 16) {
    return bad();
  }
  PruneRecord record;
  record.written_size = size->value.GetInt64();
  char* end = nullptr;
  const std::string hex(View(digest->value));
  record.written_digest = std::strtoull(hex.c_str(), &end, 16);
  if (end != hex.c_str() + hex.size()) return bad();
  return record;
}

}  // namespace sidecard::engine
