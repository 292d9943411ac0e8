#include "server/engine/documents/file_inspection.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/engine/base/text.h"
#include "server/engine/base/unique_fd.h"

namespace sidecard::engine {
namespace {

// Reads the whole file behind `fd` (already known to hold `size` bytes; a file
// that grows or shrinks meanwhile is read to its actual end). The probe for
// growth reads into a small buffer, so the usual file is read straight into
// `out` with no reallocation.
bool ReadAll(int fd, size_t size, std::string& out, std::string& error) {
  out.resize(size);
  size_t done = 0;
  char probe[4096];
  while (true) {
    const bool at_expected_end = done >= out.size();
    char* into = at_expected_end ? probe : out.data() + done;
    const size_t room = at_expected_end ? sizeof probe : out.size() - done;
    const ssize_t n = read(fd, into, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = Concat("cannot read: ", std::strerror(errno));
      return false;
    }
    if (n == 0) break;
    if (at_expected_end) {
      out.append(probe, static_cast<size_t>(n));
      done = out.size();
    } else {
      done += static_cast<size_t>(n);
    }
  }
  out.resize(done);
  return true;
}

}  // namespace

std::string SidecarInspection::FirstError() const {
  if (!decoded) return error;
  if (!facts.problems.empty()) return facts.problems.front();
  return {};
}

absl::StatusOr<std::string> ReadRegularFileAt(int directory_fd, const std::string& name,
                                              size_t max_bytes, FileStamp& stamp) {
  UniqueFd fd(openat(directory_fd, name.c_str(),
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    const int error = errno;
    const std::string message = Concat("cannot open: ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
    if (error == ELOOP) return absl::FailedPreconditionError("a symlink, not a regular file");
    return absl::UnavailableError(message);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return absl::UnavailableError(Concat("cannot stat: ", std::strerror(errno)));
  }
  stamp = FileStamp::FromStat(st);
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(Concat(
        "too large to read: ", static_cast<int64_t>(st.st_size), " bytes (limit ", max_bytes, ")"));
  }
  std::string bytes;
  std::string error;
  if (!ReadAll(fd.get(), static_cast<size_t>(st.st_size), bytes, error)) {
    return absl::UnavailableError(error);
  }
  return bytes;
}

SidecarInspection InspectSidecarAt(int directory_fd, const std::string& name, SidecarFormat format,
                                   size_t max_bytes) {
  SidecarInspection inspection;
  inspection.format = format;
  auto bytes = ReadRegularFileAt(directory_fd, name, max_bytes, inspection.stamp);
  if (!bytes.ok()) {
    inspection.error = std::string(bytes.status().message());
    return inspection;
  }
  // Only the facts are kept, so the contents of arrays (encodings) are skipped.
  auto decoded = DecodeSidecar(format, *bytes, NumberPrecision::kFactsOnly);
  if (!decoded.ok()) {
    inspection.error = std::string(decoded.status().message());
    return inspection;
  }
  inspection.decoded = true;
  inspection.decode_warnings = std::move(decoded->warnings);
  inspection.facts = AnalyzeDocument(decoded->document);
  return inspection;
}

LoadedSidecar LoadSidecarAt(int directory_fd, const std::string& name, SidecarFormat format,
                            size_t max_bytes) {
  LoadedSidecar loaded;
  SidecarInspection& inspection = loaded.inspection;
  inspection.format = format;
  auto bytes = ReadRegularFileAt(directory_fd, name, max_bytes, inspection.stamp);
  if (!bytes.ok()) {
    loaded.vanished = absl::IsNotFound(bytes.status());
    inspection.error = std::string(bytes.status().message());
    return loaded;
  }
  auto decoded = DecodeSidecar(format, *bytes);
  if (!decoded.ok()) {
    inspection.error = std::string(decoded.status().message());
    return loaded;
  }
  inspection.decoded = true;
  inspection.decode_warnings = std::move(decoded->warnings);
  inspection.facts = AnalyzeDocument(decoded->document);
  loaded.document.Swap(decoded->document);
  return loaded;
}

}  // namespace sidecard::engine
