#include "server/daemon/token_file.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

namespace sidecard::daemon {
namespace {

constexpr off_t kMaxTokenFileBytes = 1 << 20;

absl::Status Refused(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError("--token-file " + path + ": " + why);
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// "nobody (uid 65534)", or "uid 65534" for a uid without a user.
std::string UserText(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) == 0 && found != nullptr) {
    return std::string(found->pw_name) + " (uid " + std::to_string(uid) + ")";
  }
  return "uid " + std::to_string(uid);
}

// Visible ASCII, as an HTTP/2 header value can carry it without spaces.
bool IsTokenText(const std::string& token) {
  for (const char c : token) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// The whitespace-separated fields of `line`.
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

// Reads the whole file, refusing one that group or others may access, or that
// another user owns (who could then change the tokens, or read them).
absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Refused(path, std::string("cannot open: ") + std::strerror(errno));
  std::string content;
  absl::Status status;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    status = Refused(path, std::string("cannot stat: ") + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Refused(path, "not a regular file");
  } else if (st.st_uid != geteuid()) {
    status = Refused(path, "owned by " + UserText(st.st_uid) + ", not by " + UserText(geteuid()) +
                               ", the user sidecard runs as; chown it to that user");
  } else if ((st.st_mode & 077) != 0) {
    status = Refused(path, "mode " + ModeText(st.st_mode) +
                               " lets group or others access the tokens; chmod 600 it");
  } else if (st.st_size > kMaxTokenFileBytes) {
    status = Refused(path, "larger than 1 MiB");
  } else {
    char buffer[4096];
    ssize_t got = 0;
    while ((got = read(fd, buffer, sizeof(buffer))) > 0) content.append(buffer, got);
    if (got < 0) status = Refused(path, std::string("cannot read: ") + std::strerror(errno));
  }
  close(fd);
  if (!status.ok()) return status;
  return content;
}

}  // namespace

absl::StatusOr<service::TokenTable> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadPrivateFile(path);
  if (!content.ok()) return content.status();
  std::vector<service::TokenEntry> entries;
  std::vector<int> line_of_entry;
  std::istringstream lines(*content);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const std::string where = "line " + std::to_string(number) + ": ";
    const std::vector<std::string> fields = Fields(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    if (fields.size() != 2) {
      return Refused(path, where + "expected `read-only TOKEN` or `read-write TOKEN`");
    }
    service::TokenEntry entry;
    if (fields[0] == "read-only") {
      entry.role = service::Role::kReadOnly;
    } else if (fields[0] == "read-write") {
      entry.role = service::Role::kReadWrite;
    } else {
      return Refused(path,
                     where + "unknown role '" + fields[0] + "' (roles: read-only, read-write)");
    }
    entry.token = fields[1];
    if (!IsTokenText(entry.token)) {
      return Refused(path, where + "a token is printable ASCII without spaces");
    }
    if (entry.token.size() < kMinTokenLength) {
      return Refused(path, where + "the token is shorter than " + std::to_string(kMinTokenLength) +
                               " characters (try `openssl rand -hex 32`)");
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].token == entry.token) {
        return Refused(path, where + "the same token as line " + std::to_string(line_of_entry[i]));
      }
    }
    entries.push_back(std::move(entry));
    line_of_entry.push_back(number);
  }
  if (entries.empty()) return Refused(path, "holds no token");
  return service::TokenTable(entries);
}

std::string DescribeTokens(const service::TokenTable& tokens) {
  return std::to_string(tokens.size()) + (tokens.size() == 1 ? " token (" : " tokens (") +
         std::to_string(tokens.CountOf(service::Role::kReadOnly)) + " read-only, " +
         std::to_string(tokens.CountOf(service::Role::kReadWrite)) + " read-write)";
}

}  // namespace sidecard::daemon
