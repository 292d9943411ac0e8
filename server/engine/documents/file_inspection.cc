#include "server/engine/documents/file_inspection.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/engine/base/text.h"
#include "server/engine/base/unique_fd.h"

namespace sidecard::engine {
namespace {

// Reads the whole file behind `fd` (`size` bytes when it was stat'ed; a file
// that grew or shrank meanwhile is read to its actual end) into the start of
// `buffer`, which only grows; sets `length`. The buffer holds a byte more than
// the expected size, so the usual read both fills the file and, coming back
// short, shows its end: no second read to find it.
bool ReadAllInto(int fd, size_t size, std::string& buffer, size_t& length, std::string& error) {
  if (buffer.size() < size + 1) buffer.resize(size + 1);
  size_t done = 0;
  while (true) {
    const size_t room = buffer.size() - done;
    const ssize_t n = read(fd, buffer.data() + done, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = Concat("cannot read: ", std::strerror(errno));
      return false;
    }
    done += static_cast<size_t>(n);
    // A regular file reads short only at its end.
    if (n == 0 || (static_cast<size_t>(n) < room && done == size)) break;
    if (done == buffer.size()) buffer.resize(2 * buffer.size());
  }
  length = done;
  return true;
}

// Opens `name` inside `directory_fd` as ReadRegularFileAt describes and reads
// it into `buffer` (see ReadAllInto).
absl::Status ReadRegularFileInto(int directory_fd, const std::string& name, size_t max_bytes,
                                 FileStamp& stamp, uint64_t& links, std::string& buffer,
                                 size_t& length) {
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
  links = st.st_nlink;
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(Concat(
        "too large to read: ", static_cast<int64_t>(st.st_size), " bytes (limit ", max_bytes, ")"));
  }
  std::string error;
  if (!ReadAllInto(fd.get(), static_cast<size_t>(st.st_size), buffer, length, error)) {
    return absl::UnavailableError(error);
  }
  return absl::OkStatus();
}

// A worker's buffer for the files it inspects: reused, so reading a file
// costs no allocation. One that grew for a rare large file is let go.
class InspectionBuffer {
 public:
  std::string& get() { return buffer_; }
  void Release() {
    if (buffer_.size() > kKeptBytes) std::string().swap(buffer_);
  }

 private:
  static constexpr size_t kKeptBytes = 4u << 20;
  std::string buffer_;
};

}  // namespace

std::string SidecarInspection::FirstError() const {
  if (!decoded) return error;
  if (!facts.problems.empty()) return facts.problems.front();
  return {};
}

absl::StatusOr<std::string> ReadRegularFileAt(int directory_fd, const std::string& name,
                                              size_t max_bytes, FileStamp& stamp) {
  std::string bytes;
  size_t length = 0;
  uint64_t links = 0;
  if (absl::Status read =
          ReadRegularFileInto(directory_fd, name, max_bytes, stamp, links, bytes, length);
      !read.ok()) {
    return read;
  }
  bytes.resize(length);
  return bytes;
}

SidecarInspection InspectSidecarAt(int directory_fd, const std::string& name, SidecarFormat format,
                                   size_t max_bytes) {
  SidecarInspection inspection;
  inspection.format = format;
  thread_local InspectionBuffer buffer;
  size_t length = 0;
  if (absl::Status read = ReadRegularFileInto(directory_fd, name, max_bytes, inspection.stamp,
                                              inspection.links, buffer.get(), length);
      !read.ok()) {
    inspection.error = std::string(read.message());
    return inspection;
  }
  // Only the facts are kept, so the contents of arrays (encodings) are skipped.
  auto decoded = DecodeSidecar(format, std::string_view(buffer.get().data(), length),
                               NumberPrecision::kFactsOnly);
  buffer.Release();
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
