#include "server/engine/ops/export.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/documents/operations.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/ops/tree_documents.h"

namespace sidecard::engine {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

constexpr std::array<std::string_view, 9> kTableColumns = {"image",   "sidecar",    "format",
                                                           "valid",   "operations", "faces",
                                                           "objects", "detections", "success"};

Value Text(std::string_view text, Allocator& allocator) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

std::string PathOf(const DirectoryScan& directory, const GroupFile& file) {
  return DisplayPath(directory.AbsolutePathOf(file.file->name));
}

std::optional<std::string> ImageOf(const DirectoryScan& directory, const GroupDocument& group) {
  if (!group.image) return std::nullopt;
  return DisplayPath(directory.AbsolutePathOf(directory.images[*group.image].name));
}

// For each operation whose payloads report success: whether all of them
// succeeded.
std::map<std::string, bool> SuccessOf(const DocumentFacts& facts) {
  std::map<std::string, bool> success;
  for (const PayloadFacts& payload : facts.payloads) {
    if (!payload.success) continue;
    auto [it, inserted] = success.try_emplace(payload.operation, *payload.success);
    if (!inserted) it->second = it->second && *payload.success;
  }
  return success;
}

// The CSV spelling of SuccessOf: `operation=true|false;...`.
std::string SuccessText(const std::map<std::string, bool>& success) {
  std::string text;
  for (const auto& [operation, ok] : success) {
    text += Concat(text.empty() ? "" : ";", operation, ok ? "=true" : "=false");
  }
  return text;
}

std::string JoinOperations(const std::vector<std::string>& operations) {
  std::string text;
  for (const std::string& operation : operations) {
    text += Concat(text.empty() ? "" : ";", operation);
  }
  return text;
}

// The flat facts of one image (ExportTableColumns). CSV joins the list
// columns with `;`; JSON writes an array and an object.
struct TableRow {
  std::optional<std::string> image;
  std::string sidecar;
  std::string format;
  bool valid = true;
  std::vector<std::string> operations;
  int64_t faces = 0;
  int64_t objects = 0;
  int64_t detections = 0;
  std::map<std::string, bool> success;
};

TableRow MakeRow(const DirectoryScan& directory, const GroupDocument& group) {
  const GroupFile& best = *group.best();
  TableRow row;
  row.image = ImageOf(directory, group);
  row.sidecar = PathOf(directory, best);
  row.format = std::string(FormatName(best.inspection.format));
  row.valid = std::all_of(group.files.begin(), group.files.end(),
                          [](const GroupFile& file) { return file.inspection.valid(); });
  row.operations = group.facts.operations;
  row.faces = group.facts.faces();
  row.objects = group.facts.objects();
  row.detections = group.facts.detection_count();
  row.success = SuccessOf(group.facts);
  return row;
}

std::string RowAsJson(const TableRow& row) {
  rapidjson::Document item(rapidjson::kObjectType);
  Allocator& allocator = item.GetAllocator();
  item.AddMember("image", row.image ? Text(*row.image, allocator) : Value(), allocator);
  item.AddMember("sidecar", Text(row.sidecar, allocator), allocator);
  item.AddMember("format", Text(row.format, allocator), allocator);
  item.AddMember("valid", row.valid, allocator);
  Value operations(rapidjson::kArrayType);
  for (const std::string& operation : row.operations) {
    operations.PushBack(Text(operation, allocator), allocator);
  }
  item.AddMember("operations", operations, allocator);
  item.AddMember("faces", row.faces, allocator);
  item.AddMember("objects", row.objects, allocator);
  item.AddMember("detections", row.detections, allocator);
  Value success(rapidjson::kObjectType);
  for (const auto& [operation, ok] : row.success) {
    success.AddMember(Text(operation, allocator), Value(ok), allocator);
  }
  item.AddMember("success", success, allocator);
  return CanonicalJson(item);
}

void AppendCsvField(std::string_view field, std::string& out) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string CsvLine(std::span<const std::string> fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(fields[i], line);
  }
  line.append("\r\n");
  return line;
}

std::string RowAsCsv(const TableRow& row) {
  const std::array<std::string, kTableColumns.size()> fields = {row.image.value_or(""),
                                                                row.sidecar,
                                                                row.format,
                                                                row.valid ? "true" : "false",
                                                                JoinOperations(row.operations),
                                                                std::to_string(row.faces),
                                                                std::to_string(row.objects),
                                                                std::to_string(row.detections),
                                                                SuccessText(row.success)};
  return CsvLine(fields);
}

std::string CsvHeader() {
  const std::vector<std::string> names(kTableColumns.begin(), kTableColumns.end());
  return CsvLine(names);
}

// The documents item. Moves the merged document out of `group`.
std::string DocumentItem(const DirectoryScan& directory, GroupDocument& group) {
  Allocator& allocator = group.document.GetAllocator();
  Value files(rapidjson::kArrayType);
  Value unreadable(rapidjson::kArrayType);
  size_t file_bytes = 0;
  for (const GroupFile& file : group.files) {
    (file.readable() ? files : unreadable)
        .PushBack(Text(PathOf(directory, file), allocator), allocator);
    if (file.readable()) file_bytes += static_cast<size_t>(file.inspection.stamp.size);
  }
  const GroupFile& best = *group.best();
  const std::optional<std::string> image = ImageOf(directory, group);
  Value item(rapidjson::kObjectType);
  item.AddMember("image", image ? Text(*image, allocator) : Value(), allocator);
  item.AddMember("sidecar", Text(PathOf(directory, best), allocator), allocator);
  item.AddMember("format", Text(FormatName(best.inspection.format), allocator), allocator);
  item.AddMember("files", files, allocator);
  item.AddMember("unreadable", unreadable, allocator);
  item.AddMember("document", static_cast<Value&>(group.document), allocator);
  // Rendered, a document is about as long as its files: one allocation, not
  // a doubling series that copies (and faults in) a large document again
  // at each step. Pages reserved but not written are never touched.
  std::string text;
  text.reserve(file_bytes + 4096);
  AppendCanonicalJson(item, text);
  return text;
}

// Cuts the output into chunks of kExportChunkBytes (the last may be
// shorter). Full chunks of a large item go to the sink straight from the
// item's text, so the output held here never exceeds one chunk: a 15 MiB
// document is not copied whole a second time.
class ChunkedOutput {
 public:
  explicit ChunkedOutput(const std::function<bool(std::string_view)>& sink) : sink_(sink) {
    buffer_.reserve(kExportChunkBytes);
  }

  bool Append(std::string_view text) {
    bytes_ += static_cast<int64_t>(text.size());
    if (!buffer_.empty()) {
      const size_t fill = std::min(kExportChunkBytes - buffer_.size(), text.size());
      buffer_.append(text.substr(0, fill));
      text.remove_prefix(fill);
      if (buffer_.size() < kExportChunkBytes) return true;
      if (!sink_(buffer_)) return false;
      buffer_.clear();
    }
    for (; text.size() >= kExportChunkBytes; text.remove_prefix(kExportChunkBytes)) {
      if (!sink_(text.substr(0, kExportChunkBytes))) return false;
    }
    buffer_.append(text);
    return true;
  }
  bool Finish() {
    if (buffer_.empty()) return true;
    const bool ok = sink_(buffer_);
    buffer_.clear();
    return ok;
  }
  int64_t bytes() const { return bytes_; }

 private:
  const std::function<bool(std::string_view)>& sink_;
  std::string buffer_;
  int64_t bytes_ = 0;
};

// Frames items for the chosen encoding.
class ExportWriter {
 public:
  ExportWriter(ExportFormat format, ChunkedOutput& output) : format_(format), output_(output) {}

  bool Begin() {
    switch (format_) {
      case ExportFormat::kJson:
        return output_.Append("[\n");
      case ExportFormat::kJsonLines:
        return true;
      case ExportFormat::kCsv:
        return output_.Append(CsvHeader());
    }
    return true;
  }

  // `item` as rendered (a CSV row already ends its line).
  bool Item(std::string_view item) {
    const bool first = items_++ == 0;
    switch (format_) {
      case ExportFormat::kJson:
        return (first || output_.Append(",\n")) && output_.Append(item);
      case ExportFormat::kJsonLines:
        return output_.Append(item) && output_.Append("\n");
      case ExportFormat::kCsv:
        return output_.Append(item);
    }
    return true;
  }

  bool End() {
    if (format_ == ExportFormat::kJson && !output_.Append(items_ > 0 ? "\n]\n" : "]\n")) {
      return false;
    }
    return output_.Finish();
  }

 private:
  const ExportFormat format_;
  ChunkedOutput& output_;
  int64_t items_ = 0;
};

// Keeps only the top-level keys of `document` named in `operations`, and
// `sidecar_info`. Returns whether one of `operations` was there.
bool Project(const std::vector<std::string>& operations, rapidjson::Document& document) {
  if (!document.IsObject()) return false;
  bool kept_operation = false;
  for (auto it = document.MemberBegin(); it != document.MemberEnd();) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    const bool wanted = std::find(operations.begin(), operations.end(), key) != operations.end();
    kept_operation = kept_operation || wanted;
    if (wanted || key == kSidecarInfoKey) {
      ++it;
    } else {
      it = document.EraseMember(it);
    }
  }
  return kept_operation;
}

}  // namespace

std::span<const std::string_view> ExportTableColumns() { return kTableColumns; }

absl::StatusOr<ExportSummary> ExportTree(const std::string& root, const ExportOptions& options,
                                         const EngineContext& context,
                                         const Cancellation& cancellation,
                                         const std::function<bool(std::string_view chunk)>& sink) {
  if (options.format == ExportFormat::kCsv && options.content == ExportContent::kDocuments) {
    return absl::InvalidArgumentError(
        "content: documents cannot be written as CSV (use the table, or JSON / JSON Lines)");
  }
  const absl::Time start = absl::Now();
  ExportSummary summary;
  summary.root = root;
  ChunkedOutput output(sink);
  ExportWriter writer(options.format, output);
  if (!writer.Begin()) return Cancellation::Status();

  const auto included = [&options](const GroupDocument& group) {
    return group.best() != nullptr &&
           (options.operation_filter.empty() || group.facts.HasOperation(options.operation_filter));
  };
  // Items are rendered on the workers, into the slot of their group, with
  // what became of the group (decided before the projection changes its facts).
  enum class Fate : char { kWritten, kFilteredOut, kWithoutOperations };
  std::vector<std::string> rendered(kGroupBatch);
  std::vector<Fate> fates(kGroupBatch);
  const GroupWork render = [&](const DirectoryScan& directory, GroupDocument& group, size_t slot) {
    fates[slot] = included(group) ? Fate::kWritten : Fate::kFilteredOut;
    if (fates[slot] == Fate::kWritten && !options.operations.empty()) {
      if (Project(options.operations, group.document)) {
        group.facts = AnalyzeDocument(group.document);
      } else {
        fates[slot] = Fate::kWithoutOperations;
      }
    }
    if (fates[slot] == Fate::kWritten) {
      rendered[slot] =
          options.content == ExportContent::kDocuments
              ? DocumentItem(directory, group)
              : (options.format == ExportFormat::kCsv ? RowAsCsv(MakeRow(directory, group))
                                                      : RowAsJson(MakeRow(directory, group)));
    }
    // The sink needs only the files and facts: the decoded document (often
    // larger than its text) is freed now, not while a slow reader is fed.
    rapidjson::Document().Swap(group.document);
  };
  const GroupSink write = [&](const DirectoryScan& directory, std::span<GroupDocument> batch) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const GroupDocument& group = batch[i];
      if (group.files.empty()) continue;
      summary.sidecars_examined += static_cast<int64_t>(group.files.size());
      summary.unreadable += static_cast<int64_t>(group.unreadable_count());
      for (const GroupFile& file : group.files) {
        if (file.readable() || summary.unreadable_files.size() >= kMaxNamedUnreadable) continue;
        summary.unreadable_files.push_back(
            {directory.AbsolutePathOf(file.file->name), file.UnreadableReason()});
      }
      if (group.best() == nullptr) continue;
      if (fates[i] == Fate::kFilteredOut) {
        ++summary.filtered_out;
        continue;
      }
      if (fates[i] == Fate::kWithoutOperations) {
        ++summary.without_operations;
        continue;
      }
      if (!writer.Item(std::exchange(rendered[i], std::string()))) return false;
      ++summary.exported;
    }
    return true;
  };
  GroupWalkOptions walk_options;
  walk_options.recursive = options.recursive;
  walk_options.max_sidecar_bytes = options.max_sidecar_bytes;
  auto directory_errors = ForEachGroup(root, walk_options, context, cancellation, render, write);
  if (!directory_errors.ok()) return directory_errors.status();
  if (!writer.End()) return Cancellation::Status();
  summary.output_bytes = output.bytes();
  summary.unreadable_directories = static_cast<int64_t>(directory_errors->size());
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
