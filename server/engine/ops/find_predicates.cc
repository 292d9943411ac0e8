#include "server/engine/ops/find_predicates.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace sidecard::engine {
namespace {

bool IsOperationName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

template <typename Names>
bool Contains(const Names& sorted, std::string_view value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

// `found` holds `ref`: the operation, or a payload under that backend.
bool Holds(const FoundImage& found, const OperationRef& ref) {
  return ref.backend.empty() ? Contains(found.operations, ref.operation)
                             : Contains(found.backends, ref.Spelled());
}

bool Failed(const FoundImage& found, const OperationRef& ref) {
  return Contains(found.failed, ref.Spelled());
}

bool HasClass(const FoundImage& found, std::string_view name) {
  return std::any_of(found.object_classes.begin(), found.object_classes.end(),
                     [name](const auto& entry) { return entry.first == name && entry.second > 0; });
}

}  // namespace

std::vector<std::string> FindPredicates::Describe() const {
  std::vector<std::string> out;
  for (const OperationRef& ref : has) out.push_back("--has " + ref.Spelled());
  for (const OperationRef& ref : missing) out.push_back("--missing " + ref.Spelled());
  for (const OperationRef& ref : failed) out.push_back("--failed " + ref.Spelled());
  if (min_faces) out.push_back(absl::StrCat("--min-faces ", *min_faces));
  if (min_objects) out.push_back(absl::StrCat("--min-objects ", *min_objects));
  for (const std::string& name : object_classes) out.push_back("--class " + name);
  if (format) out.push_back("--format " + std::string(FormatName(*format)));
  if (invalid) out.push_back("--invalid");
  if (orphans) out.push_back("--orphans");
  if (no_sidecar) out.push_back("--no-sidecar");
  if (changed_since_ns) {
    out.push_back("--changed-since " + absl::FormatTime(absl::RFC3339_full,
                                                        absl::FromUnixNanos(*changed_since_ns),
                                                        absl::UTCTimeZone()));
  }
  return out;
}

absl::StatusOr<OperationRef> ParseOperationRef(std::string_view field, std::string_view text) {
  OperationRef ref;
  const size_t dot = text.find('.');
  ref.operation = std::string(text.substr(0, dot));
  if (dot != std::string_view::npos) ref.backend = std::string(text.substr(dot + 1));
  if (!IsOperationName(ref.operation) || (dot != std::string_view::npos && ref.backend.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ": '", std::string(text),
        "' is not an operation (lower-case letters, digits and '_', optionally .backend: "
        "face_detection or face_detection.insightface)"));
  }
  return ref;
}

absl::StatusOr<int64_t> ParseChangedSince(std::string_view text) {
  const std::string whole(text);
  const std::string trimmed(absl::StripAsciiWhitespace(whole));
  const bool numeric = !trimmed.empty() && std::all_of(trimmed.begin(), trimmed.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  double seconds = 0;
  if (numeric && absl::SimpleAtod(trimmed, &seconds) && std::isfinite(seconds) && seconds < 9.2e9) {
    return static_cast<int64_t>(std::llround(seconds * 1e9));
  }
  absl::Time time;
  std::string error;
  if (!numeric && absl::ParseTime(absl::RFC3339_full, trimmed, &time, &error)) {
    const int64_t ns = absl::ToUnixNanos(time);
    if (ns != std::numeric_limits<int64_t>::min() && ns != std::numeric_limits<int64_t>::max()) {
      return ns;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("changed_since: '", std::string(text),
                   "' is not a time (RFC 3339 such as 2026-12-04T18:00:00Z, or unix seconds)"));
}

absl::StatusOr<SidecarFormat> ParseFindFormat(std::string_view text) {
  if (auto format = FormatFromName(text)) return *format;
  return absl::InvalidArgumentError(absl::StrCat("format: '", std::string(text),
                                                 "' is not a sidecar format (bin, rkyv or json)"));
}

absl::Status CheckFindPredicates(const FindPredicates& predicates) {
  if (predicates.min_faces && *predicates.min_faces < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_faces: ", *predicates.min_faces, " is negative"));
  }
  if (predicates.min_objects && *predicates.min_objects < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_objects: ", *predicates.min_objects, " is negative"));
  }
  for (const std::string& name : predicates.object_classes) {
    if (name.empty()) return absl::InvalidArgumentError("object_class: empty class name");
  }
  return absl::OkStatus();
}

bool Matches(const FindPredicates& p, const FoundImage& found) {
  if (found.orphan() != p.orphans) return false;
  if (p.no_sidecar && found.has_sidecar()) return false;
  if (p.invalid && found.valid()) return false;
  if (p.format && found.format != p.format) return false;
  if (p.min_faces && found.faces < *p.min_faces) return false;
  if (p.min_objects && found.objects < *p.min_objects) return false;
  if (p.changed_since_ns && (!found.has_sidecar() || found.modified_ns < *p.changed_since_ns)) {
    return false;
  }
  for (const OperationRef& ref : p.has) {
    if (!Holds(found, ref)) return false;
  }
  for (const OperationRef& ref : p.missing) {
    if (Holds(found, ref)) return false;
  }
  for (const OperationRef& ref : p.failed) {
    if (!Failed(found, ref)) return false;
  }
  for (const std::string& name : p.object_classes) {
    if (!HasClass(found, name)) return false;
  }
  return true;
}

}  // namespace sidecard::engine
