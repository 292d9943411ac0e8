// `sportball-sidecar-rust` / `image-sidecar-rust`: the old Rust tool's command
// line, answered by the sidecard daemon, as a native program so that a caller
// that shells out once per question (sportball does) waits milliseconds, not
// the Python interpreter's start-up. Arguments (rust_cli_args.h), output
// (JSON as Python's json.dumps(indent=2) wrote it: python_json.h and
// proto_json.h's kPython layout; the one-line reports callers parse) and exit
// codes are those of the Python implementation, sidecard.compat.rust_cli,
// which stays the reference:
//
//   0 success (invalid sidecars are findings, not failures)
//   1 the daemon could not be reached or refused the request, a file could
//     not be written, or some files could not be removed or converted
//   2 usage error
//
// The daemon is found as every client finds it ($SIDECARD_ADDRESS,
// $SIDECARD_TOKEN[_FILE], $SIDECARD_TLS[_CA|_CERT|_KEY], $SIDECARD_TIMEOUT).
// With $SIDECARD_AUTOSTART set (start a private daemon when none answers)
// the Python implementation runs instead: starting daemons is its job.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "client/cpp/client.h"
#include "client/cpp/current_directory.h"
#include "client/cpp/proto_json.h"
#include "client/cpp/python_json.h"
#include "client/cpp/request_path.h"
#include "client/cpp/rust_cli_args.h"
#include "client/cpp/sidecarctl_atomic_output.h"
#include "client/cpp/sidecarctl_exit.h"
#include "client/cpp/sidecarctl_output_pipe.h"
#include "client/cpp/sidecarctl_security.h"
#include "google/protobuf/descriptor.h"

namespace sidecard::ctl {
namespace {

namespace v1 = sidecar::v1;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string program_name = "sportball-sidecar-rust";

void Out(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }
void Err(absl::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

// A failure the way the Python implementation reports it: "PROG: message".
int Failed(absl::string_view message) {
  Err(absl::StrCat(program_name, ": ", message, "\n"));
  return kExitFailed;
}

// "NOT_FOUND: root /x does not exist (sidecard at unix:/run/...)", as
// sidecard.errors.SidecardError words it.
int CallFailed(const Client& client, const grpc::Status& status) {
  return Failed(
      absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                   ": ", status.error_message(), " (sidecard at ", client.options().address, ")"));
}

bool EnvFlag(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return false;
  const std::string text = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  return text == "1" || text == "true" || text == "yes" || text == "on";
}

// Python's repr() of a str without quotes or backslashes in it: 'text'.
std::string Repr(absl::string_view text) { return absl::StrCat("'", text, "'"); }

// The path argument as the daemon gets it: joined to the working directory,
// never normalised (`..` after a symlink is the daemon's to resolve).
absl::StatusOr<std::string> Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  absl::StatusOr<std::string> cwd = CurrentDirectory();
  if (!cwd.ok()) return cwd.status();
  return *cwd == "/" ? "/" + path : absl::StrCat(*cwd, "/", path);
}

// A FilePath as the Python client gives it: the exact bytes; None if empty.
void FilePathValue(PythonJsonWriter& out, const v1::FilePath& path) {
  const std::string& text = path.raw_path().empty() ? path.path() : path.raw_path();
  if (text.empty()) {
    out.Null();
  } else {
    out.String(text);
  }
}

std::string FilePathText(const v1::FilePath& path) {
  return path.raw_path().empty() ? path.path() : path.raw_path();
}

// An enum value as sidecard._convert.enum_name gives it: its short name,
// None for UNSPECIFIED, the number when the descriptor does not know it.
void EnumValue(PythonJsonWriter& out, const EnumDescriptor& type, int number) {
  const EnumValueDescriptor* value = type.FindValueByNumber(number);
  if (value == nullptr) {
    out.Int(number);
    return;
  }
  const std::string name = EnumValueJsonName(*value);
  if (name == "unspecified") {
    out.Null();
  } else {
    out.String(name);
  }
}

// Writes `json` (plus a newline) to stdout, or atomically to the file
// `output` and says so: "<what> written to: FILE".
int Emit(const std::string& json, const std::string& output, absl::string_view what) {
  const std::string text = json + "\n";
  if (output == "-") {
    Out(text);
    return kExitOk;
  }
  AtomicOutput file;
  absl::Status status = file.Open(output);
  if (status.ok()) status = file.Write(text);
  if (status.ok()) status = file.Commit();
  if (!status.ok()) return Failed(status.message());
  Out(absl::StrCat(what, " written to: ", output, "\n"));
  return kExitOk;
}

template <typename Request>
absl::Status SetRootFromInput(Request& request, const std::string& input) {
  absl::StatusOr<std::string> root = Absolute(input);
  if (!root.ok()) return root.status();
  SetRoot(request, *root);
  return absl::OkStatus();
}

// Makes the streamed `call`, handing each message to `on_message`, and
// returns the summary its last message carried. On failure, reports it and
// returns nullopt with the exit status it calls for in `*exit_status`.
template <typename Request, typename Response, typename OnMessage>
auto StreamToSummary(Client& client,
                     grpc::Status (Client::*call)(const Request&,
                                                  const std::function<void(const Response&)>&),
                     const Request& request, OnMessage on_message, int* exit_status)
    -> std::optional<std::decay_t<decltype(std::declval<Response>().summary())>> {
  std::optional<std::decay_t<decltype(std::declval<Response>().summary())>> summary;
  const grpc::Status status = (client.*call)(request, [&](const Response& message) {
    on_message(message);
    if (message.has_summary()) summary = message.summary();
  });
  if (!status.ok()) {
    *exit_status = CallFailed(client, status);
    return std::nullopt;
  }
  if (!summary) *exit_status = Failed("the daemon ended the stream without a summary");
  return summary;
}

// One Validate report in the old tool's result shape, plus sidecard's
// extras (sidecard.compat._legacy.validation_result).
void LegacyResult(PythonJsonWriter& out, const v1::FileReport& report, const std::string& filter) {
  const auto text_or_null = [&](const std::string& text) {
    if (text.empty()) {
      out.Null();
    } else {
      out.String(text);
    }
  };
  out.BeginObject();
  out.Key("file_path");
  FilePathValue(out, report.file());
  out.Key("is_valid");
  out.Bool(report.valid());
  out.Key("error");
  text_or_null(!report.error().empty() ? report.error() : absl::StrJoin(report.problems(), "; "));
  out.Key("processing_time");
  out.Double(0.0);  // the daemon does not time single files
  out.Key("file_size");
  out.Int(report.size_bytes());
  out.Key("detection_count");
  out.Int(report.detection_count());
  out.Key("tool_name");
  text_or_null(absl::StrJoin(report.tool_names(), ", "));
  out.Key("operation_type");
  text_or_null(!filter.empty() ? filter : report.operations().empty() ? "" : report.operations(0));
  out.Key("format");
  EnumValue(out, *v1::SidecarFormat_descriptor(), report.format());
  for (const auto& [key, list] : {std::pair{"operations", &report.operations()},
                                  {"tool_names", &report.tool_names()},
                                  {"problems", &report.problems()},
                                  {"warnings", &report.warnings()}}) {
    out.Key(key);
    out.BeginArray();
    for (const std::string& item : *list) out.String(item);
    out.EndArray();
  }
  out.Key("image_path");
  if (report.has_image()) {
    FilePathValue(out, report.image());
  } else {
    out.Null();
  }
  out.Key("orphan");
  out.Bool(report.orphan());
  out.EndObject();
}

int RunValidate(Client& client, const RustCliArgs& args) {
  v1::ValidateRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  const std::string filter = args.operation_type.value_or("");
  request.set_operation_filter(filter);
  // The counts come first in the output and last in the stream.
  std::vector<v1::FileReport> reports;
  int exit_status = kExitOk;
  const auto summary = StreamToSummary(
      client, &Client::Validate, request,
      [&](const v1::ValidateResponse& message) {
        for (const v1::FileReport& report : message.reports()) reports.push_back(report);
      },
      &exit_status);
  if (!summary) return exit_status;
  PythonJsonWriter out;
  out.BeginObject();
  out.Key("total_files");
  out.Int(summary->total_files());
  out.Key("valid_files");
  out.Int(summary->valid_files());
  out.Key("invalid_files");
  out.Int(summary->invalid_files());
  out.Key("results");
  out.BeginArray();
  for (const v1::FileReport& report : reports) LegacyResult(out, report, filter);
  out.EndArray();
  out.EndObject();
  return Emit(out.Take(), args.output, "Validation results");
}

int RunStats(Client& client, const RustCliArgs& args) {
  v1::StatsRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  request.set_operation_filter(args.operation_type.value_or(""));
  v1::StatsResponse stats;
  const grpc::Status status = client.Stats(request, &stats);
  if (!status.ok()) return CallFailed(client, status);
  std::string json = MessageToJson(stats, JsonLayout::kPython);
  // The old tool's "filter_applied": null when no filter was applied.
  if (stats.filter_applied().empty()) {
    const std::string empty = "\"filter_applied\": \"\"";
    if (const size_t at = json.find(empty); at != std::string::npos) {
      json.replace(at, empty.size(), "\"filter_applied\": null");
    }
  }
  return Emit(json, args.output, "Statistics");
}

// Now in UTC as Python's datetime.isoformat() writes it.
std::string IsoNowUtc() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out = text;
  if (const int64_t fraction = micros % 1000000; fraction != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%06lld", static_cast<long long>(fraction));
    out += digits;
  }
  return out + "+00:00";
}

int RunFormatStats(Client& client, const RustCliArgs& args) {
  v1::StatsRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  v1::StatsResponse stats;
  const grpc::Status status = client.Stats(request, &stats);
  if (!status.ok()) return CallFailed(client, status);
  PythonJsonWriter out;
  out.BeginObject();
  out.Key("directory");
  out.String(stats.directory());
  out.Key("format_distribution");
  out.BeginObject();
  int64_t total = 0;
  for (const auto& [format, count] : std::map<std::string, int64_t>(
           stats.files_by_format().begin(), stats.files_by_format().end())) {
    out.Key(format);
    out.Int(count);
    total += count;
  }
  out.EndObject();
  out.Key("total_files");
  out.Int(total);
  out.Key("generated_at");
  out.String(IsoNowUtc());
  out.EndObject();
  return Emit(out.Take(), args.output, "Format statistics");
}

int RunCleanup(Client& client, const RustCliArgs& args) {
  v1::CleanupRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  if (args.dry_run) {
    request.set_mode(v1::CLEANUP_MODE_DRY_RUN);
  } else {
    // As the old tool did, a cleanup deletes, unless the operator asked for
    // a reversible move (sidecard.compat._legacy.cleanup_mode).
    const char* env = std::getenv("SIDECARD_COMPAT_CLEANUP");
    std::string mode = absl::AsciiStrToLower(absl::StripAsciiWhitespace(env ? env : ""));
    if (mode.empty()) mode = "delete";
    if (mode == "delete") {
      request.set_mode(v1::CLEANUP_MODE_DELETE);
    } else if (mode == "quarantine") {
      request.set_mode(v1::CLEANUP_MODE_QUARANTINE);
    } else {
      return Failed(
          absl::StrCat("SIDECARD_COMPAT_CLEANUP=", Repr(mode), " is not delete or quarantine"));
    }
  }
  int64_t would_remove = 0;
  int exit_status = kExitOk;
  const auto summary = StreamToSummary(
      client, &Client::Cleanup, request,
      [&](const v1::CleanupResponse& message) {
        for (const v1::CleanupResult& item : message.results()) {
          if (item.action() == v1::CLEANUP_ACTION_WOULD_REMOVE && !item.working_file()) {
            ++would_remove;
            Err(absl::StrCat("would remove: ", FilePathText(item.file()), "\n"));
          } else if (item.action() == v1::CLEANUP_ACTION_FAILED) {
            Err(absl::StrCat("could not remove ", FilePathText(item.file()), ": ", item.error(),
                             "\n"));
          }
        }
      },
      &exit_status);
  if (!summary) return exit_status;
  if (args.dry_run) {
    Out(absl::StrCat("Removed 0 orphaned sidecar files (dry run: ", would_remove,
                     " would be removed)\n"));
    return kExitOk;
  }
  const std::string moved = summary->quarantine_dir().empty()
                                ? ""
                                : absl::StrCat(" (moved to ", summary->quarantine_dir(), ")");
  Out(absl::StrCat("Removed ", summary->removed(), " orphaned sidecar files", moved, "\n"));
  return summary->failed() > 0 ? kExitFailed : kExitOk;
}

int RunExport(Client& client, const RustCliArgs& args) {
  v1::ExportRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  request.set_operation_filter(args.operation_type.value_or(""));
  request.set_format(args.format == "jsonl" ? v1::EXPORT_FORMAT_JSONL
                     : args.format == "csv" ? v1::EXPORT_FORMAT_CSV
                                            : v1::EXPORT_FORMAT_JSON);
  AtomicOutput file;
  if (absl::Status opened = file.Open(args.output); !opened.ok()) return Failed(opened.message());
  absl::Status written;
  int exit_status = kExitOk;
  const auto summary = StreamToSummary(
      client, &Client::Export, request,
      [&](const v1::ExportResponse& message) {
        if (written.ok() && !message.chunk().empty()) written = file.Write(message.chunk());
      },
      &exit_status);
  if (!summary) return exit_status;
  if (written.ok()) written = file.Commit();
  if (!written.ok()) return Failed(written.message());
  Out(absl::StrCat("Exported ", summary->exported(), " sidecar files to: ", args.output, "\n"));
  return kExitOk;
}

int RunConvert(Client& client, const RustCliArgs& args) {
  v1::ConvertRequest request;
  if (auto s = SetRootFromInput(request, args.input); !s.ok()) return Failed(s.message());
  const std::string target = args.format == "binary" ? "bin" : args.format;
  request.set_target_format(target == "json"   ? v1::SIDECAR_FORMAT_JSON
                            : target == "rkyv" ? v1::SIDECAR_FORMAT_RKYV
                                               : v1::SIDECAR_FORMAT_BIN);
  request.set_apply(!args.dry_run);
  int64_t would_convert = 0;
  int exit_status = kExitOk;
  const auto summary = StreamToSummary(
      client, &Client::Convert, request,
      [&](const v1::ConvertResponse& message) {
        for (const v1::ConvertResult& item : message.results()) {
          const EnumValueDescriptor* value =
              v1::ConvertAction_descriptor()->FindValueByNumber(item.action());
          const std::string action =
              value != nullptr ? EnumValueJsonName(*value) : std::to_string(item.action());
          if (action == "would_convert") ++would_convert;
          if (action == "failed" || action == "skipped_unreadable" ||
              action == "skipped_target_newer") {
            std::vector<std::string> sources;
            for (const v1::FilePath& source : item.sources())
              sources.push_back(FilePathText(source));
            Err(absl::StrCat(action, ": ", absl::StrJoin(sources, ", "), ": ", item.error(), "\n"));
          }
        }
      },
      &exit_status);
  if (!summary) return exit_status;
  if (args.dry_run) {
    Out(absl::StrCat("Dry run: would convert ", would_convert, " sidecar files to ", target, " (",
                     summary->already_target(), " already ", target, ", ", summary->skipped(),
                     " skipped)\n"));
    return kExitOk;
  }
  Out(absl::StrCat("Converted ", summary->converted(), " sidecar files to ", target, "\n"));
  return summary->failed() > 0 ? kExitFailed : kExitOk;
}

// The Python implementation, beside this program: <bin>/../libexec/sidecard/rust-cli.
[[noreturn]] void RunPythonImplementation(char** argv) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string script = "/usr/libexec/sidecard/rust-cli";
  if (length > 0) {
    std::string dir(self, static_cast<size_t>(length));
    dir.resize(dir.rfind('/'));
    script = dir + "/../libexec/sidecard/rust-cli";
  }
  std::vector<char*> args = {const_cast<char*>("/usr/bin/python3"), script.data()};
  for (char** arg = argv + 1; *arg != nullptr; ++arg) args.push_back(*arg);
  args.push_back(nullptr);
  setenv("SIDECARD_RUST_CLI_NAME", program_name.c_str(), 1);
  execv(args[0], args.data());
  Err(absl::StrCat(program_name, ": cannot run ", script, ": ", std::strerror(errno), "\n"));
  std::exit(kExitFailed);
}

absl::StatusOr<ClientOptions> ClientOptionsFromEnvironment() {
  ClientOptions options{.address = DefaultAddress()};
  if (const char* text = std::getenv("SIDECARD_TIMEOUT"); text != nullptr) {
    const std::string trimmed(absl::StripAsciiWhitespace(text));
    double seconds = 0;
    if (!trimmed.empty() &&
        (!absl::SimpleAtod(trimmed, &seconds) || seconds < 0 || !std::isfinite(seconds))) {
      return absl::InvalidArgumentError(
          absl::StrCat("SIDECARD_TIMEOUT=", Repr(trimmed), " is not a number of seconds"));
    }
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  }
  SecurityFlags security;
  security.tls = EnvFlag("SIDECARD_TLS");
  if (auto s = ApplySecurity(security, options); !s.ok()) return s;
  return options;
}

int RunCommand(Client& client, const RustCliArgs& args) {
  const std::string& command = args.command;
  if (command == "validate") return RunValidate(client, args);
  if (command == "stats") return RunStats(client, args);
  if (command == "cleanup") return RunCleanup(client, args);
  if (command == "export") return RunExport(client, args);
  if (command == "convert") return RunConvert(client, args);
  return RunFormatStats(client, args);
}

int Main(int argc, char** argv) {
  if (argc > 0) {
    program_name = argv[0];
    if (const size_t slash = program_name.rfind('/'); slash != std::string::npos) {
      program_name = program_name.substr(slash + 1);
    }
  }
  const std::vector<std::string> words(argv + 1, argv + argc);
  std::string command_of_error;
  absl::StatusOr<RustCliArgs> args = ParseRustCliArgs(words, &command_of_error);
  if (!args.ok()) {
    Err(absl::StrCat(RustCliUsage(program_name, command_of_error), program_name,
                     command_of_error.empty() ? "" : " ", command_of_error,
                     ": error: ", args.status().message(), "\n"));
    return kExitUsage;
  }
  if (args->help) {
    Out(RustCliHelp(program_name, args->command));
    return kExitOk;
  }
  if (EnvFlag("SIDECARD_AUTOSTART")) RunPythonImplementation(argv);
  absl::StatusOr<ClientOptions> options = ClientOptionsFromEnvironment();
  if (!options.ok()) return Failed(options.status().message());
  WidenStdoutPipe();
  Client client(*std::move(options));
  // Ends in RunCommand, with the client still open: its teardown is time
  // the caller would wait for nothing (sidecarctl_exit.h).
  ExitAfterOutput(RunCommand(client, *args));
}

}  // namespace
}  // namespace sidecard::ctl

int main(int argc, char** argv) { sidecard::ctl::ExitAfterOutput(sidecard::ctl::Main(argc, argv)); }
