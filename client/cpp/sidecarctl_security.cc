#include "client/cpp/sidecarctl_security.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sidecard::ctl {
namespace {

// The value of environment variable `name`, or "" when unset.
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// `flag` when given, else the variable; `source` says which, for messages.
std::string Pick(const std::string& flag, const char* flag_name, const char* variable,
                 std::string& source) {
  if (!flag.empty()) {
    source = absl::StrCat("--", flag_name);
    return flag;
  }
  source = absl::StrCat("$", variable);
  return Env(variable);
}

absl::StatusOr<std::string> ReadFile(const std::string& source, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(source, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The token of a client token file: its first line that is neither blank nor
// a # comment, alone.
absl::StatusOr<std::string> ReadToken(const std::string& source, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(source, path);
  if (!text.ok()) return text.status();
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    const absl::string_view token = absl::StripAsciiWhitespace(line);
    if (token.empty() || token.front() == '#') continue;
    for (const char c : token) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": ", path,
                         " must hold the token alone on its line (a client token file, "
                         "not the daemon's `ROLE TOKEN` lines)"));
      }
    }
    return std::string(token);
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, " holds no token"));
}

}  // namespace

absl::Status ApplySecurity(const SecurityFlags& flags, ClientOptions& options) {
  std::string source;
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken("--token-file", flags.token_file);
    if (!token.ok()) return token.status();
    options.token = *std::move(token);
  } else if (const std::string token = Env("SIDECARD_TOKEN"); !token.empty()) {
    options.token = token;
  } else if (const std::string path = Env("SIDECARD_TOKEN_FILE"); !path.empty()) {
    absl::StatusOr<std::string> read = ReadToken("$SIDECARD_TOKEN_FILE", path);
    if (!read.ok()) return read.status();
    options.token = *std::move(read);
  }

  options.tls = flags.tls;
  const struct {
    const std::string& flag;
    const char* flag_name;
    const char* variable;
    std::string& out;
  } files[] = {
      {flags.tls_ca, "tls-ca", "SIDECARD_TLS_CA", options.tls_root_certificates},
      {flags.tls_cert, "tls-cert", "SIDECARD_TLS_CERT", options.tls_client_certificate},
      {flags.tls_key, "tls-key", "SIDECARD_TLS_KEY", options.tls_client_key},
  };
  for (const auto& file : files) {
    const std::string path = Pick(file.flag, file.flag_name, file.variable, source);
    if (path.empty()) continue;
    absl::StatusOr<std::string> pem = ReadFile(source, path);
    if (!pem.ok()) return pem.status();
    file.out = *std::move(pem);
    options.tls = true;
  }
  if (options.tls_client_certificate.empty() != options.tls_client_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key (or $SIDECARD_TLS_CERT and $SIDECARD_TLS_KEY) go together");
  }
  return absl::OkStatus();
}

}  // namespace sidecard::ctl
