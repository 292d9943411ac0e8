#include "server/daemon/daemon_flags.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "server/daemon/flag_types.h"

// The checks of the flags' values: what is wrong, or nothing. The parser
// puts "--name: " in front.
namespace sidecard::daemon {
namespace {

std::string AnAddress(absl::string_view v) { return v.empty() ? "an address is required" : ""; }

std::string AbsolutePath(absl::string_view v) {
  return !v.empty() && v.front() == '/' ? "" : "'" + std::string(v) + "' must be an absolute path";
}

std::string AnExtension(absl::string_view v) { return v.empty() ? "an extension is required" : ""; }

std::string AFile(absl::string_view v) { return v.empty() ? "a file is required" : ""; }

// HOST:PORT with a numeric port; HOST may be a bracketed IPv6 address.
std::string HostPort(absl::string_view v) {
  const size_t colon = v.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return "'" + std::string(v) + "' is not HOST:PORT";
  }
  int port = -1;
  if (!ReadNumber(v.substr(colon + 1), port).empty() || port < 0 || port > 65535) {
    return "'" + std::string(v) + "' needs a port number 0..65535";
  }
  return "";
}

std::string LogLevel(absl::string_view v) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (v == level) return "";
  }
  return "'" + std::string(v) + "' is not one of trace, debug, info, warn, error, off";
}

std::string SaveFormat(absl::string_view v) {
  return v == "bin" || v == "rkyv" || v == "json"
             ? ""
             : "'" + std::string(v) + "' is not one of bin, rkyv, json";
}

std::string Workers(int n) { return n >= 0 && n <= 1024 ? "" : "must be 0..1024"; }

std::string NotNegative(double s) { return s >= 0 ? "" : "must not be negative"; }

std::string DrainNotice(double s) { return s >= 0 && s <= 3600 ? "" : "must be 0..3600 seconds"; }

std::string ConcurrentCalls(int n) { return n >= 1 && n <= 10000 ? "" : "must be 1..10000"; }

std::string DefaultDeadline(double s) {
  return s >= 0 && s <= 7 * 86400 ? "" : "must be 0..604800 seconds (0: none)";
}

std::string FilesPerRequest(int64_t n) {
  return n >= 0 ? "" : "must not be negative (0: no limit)";
}

}  // namespace
}  // namespace sidecard::daemon

// Flags are global names (Abseil wants them outside any namespace).
using sidecard::daemon::List;
using sidecard::daemon::Number;
using sidecard::daemon::Switch;
using sidecard::daemon::Text;
namespace checks = sidecard::daemon;

ABSL_FLAG(List, allowed_root, List({}, checks::AbsolutePath),
          "a directory sidecard may read and change (required, repeatable); every path in a "
          "request must lie inside one");
ABSL_FLAG(List, listen, List({sidecard::kDefaultListen}, checks::AnAddress),
          "unix:PATH or HOST:PORT (repeatable; the first replaces the default)");
ABSL_FLAG(Number<int>, workers, Number<int>(0, checks::Workers),
          "threads of the shared worker pool (0: one per core)");
ABSL_FLAG(Text, log_level, Text("info", checks::LogLevel),
          "trace, debug, info, warn, error or off");
ABSL_FLAG(Number<double>, grace_period, Number<double>(10, checks::NotNegative),
          "on SIGTERM/SIGINT, how many seconds in-flight calls may finish");
ABSL_FLAG(List, image_extension, List({}, checks::AnExtension),
          "an image extension (repeatable; replaces the built-in list: jpg jpeg png tif tiff bmp "
          "webp gif heic heif cr2 cr3 nef arw dng orf rw2 raf)");
ABSL_FLAG(Number<size_t>, max_sidecar_bytes, Number<size_t>(256u << 20),
          "larger sidecar files are reported, not read; a ReadSidecar response carries a "
          "document of up to twice this (plus 1 MiB) as JSON");
ABSL_FLAG(Text, save_format, Text("bin", checks::SaveFormat),
          "format SaveSidecar writes unless a request says: bin, rkyv or json");
ABSL_FLAG(Number<size_t>, max_payload_bytes, Number<size_t>(16u << 20),
          "largest SaveSidecar payload accepted; a larger one gets RESOURCE_EXHAUSTED");
ABSL_FLAG(Number<size_t>, cache_max_bytes, Number<size_t>(512u << 20),
          "memory bound of the metadata cache (0 turns the cache off)");
ABSL_FLAG(Switch, watch, true,
          "watch cached directories with inotify, so unchanged ones need no stat per file and "
          "summary-only Validate and Stats count them from what they remembered; checks stamps "
          "instead where watches run out, events are lost, a file has other hard links or the "
          "filesystem gets writes inotify cannot see (NFS, SMB, FUSE, ...); --no-watch turns "
          "it off");
ABSL_FLAG(Number<size_t>, max_watches, Number<size_t>(0),
          "most directories watched at once (0: as many as fs.inotify.max_user_watches allows)");
ABSL_FLAG(Number<size_t>, watch_queue_events, Number<size_t>(4096),
          "changes that may wait for one Watch client before it is reset as too slow (it then "
          "resynchronises); the daemon never waits for a slow client");
ABSL_FLAG(Text, metrics_listen, Text("", checks::HostPort),
          "HOST:PORT: serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks a free "
          "port, logged; default: off)");
ABSL_FLAG(Number<double>, drain_notice, Number<double>(0, checks::DrainNotice),
          "on SIGTERM/SIGINT, first report NOT_SERVING for this many seconds while still "
          "answering calls, so probes and load balancers move away; then drain");

// Security: TCP listeners need TLS (or --insecure) and bearer tokens; the Unix
// socket relies on its file permissions.
ABSL_FLAG(Text, tls_cert, Text("", checks::AFile), "PEM certificate (chain) of the TCP listeners");
ABSL_FLAG(Text, tls_key, Text("", checks::AFile), "PEM private key of --tls-cert");
ABSL_FLAG(Text, tls_client_ca, Text("", checks::AFile),
          "PEM CA certificates: TCP clients must present a certificate signed by one (mutual "
          "TLS)");
ABSL_FLAG(Text, token_file, Text("", checks::AFile),
          "bearer tokens, one per line: `read-only TOKEN` or `read-write TOKEN` (# comments); "
          "owned by the user sidecard runs as, mode 0600 or 0400; required with a TCP listener; "
          "re-read on SIGHUP");
ABSL_FLAG(Switch, insecure, false,
          "allow TCP listeners without TLS (tokens still required; logged as a warning): "
          "trusted networks only");
ABSL_FLAG(Switch, read_only, false,
          "refuse every call that changes files, on every listener (PERMISSION_DENIED); "
          "reloadable");
ABSL_FLAG(Text, health_listen, Text("", checks::HostPort),
          "HOST:PORT of a plaintext listener serving only grpc.health.v1 (and reflection), for "
          "probes that cannot do TLS (default: off)");

// Limits: a call over one gets RESOURCE_EXHAUSTED saying which.
ABSL_FLAG(Number<int>, max_concurrent_calls, Number<int>(64, checks::ConcurrentCalls),
          "calls served at once; more are refused at once with RESOURCE_EXHAUSTED. gRPC's own "
          "threads are capped a little above it, so a flood cannot add threads");
ABSL_FLAG(Number<double>, default_deadline, Number<double>(3600, checks::DefaultDeadline),
          "deadline in seconds of calls whose client set none; past it the call stops with "
          "DEADLINE_EXCEEDED (0: none)");
ABSL_FLAG(Number<int64_t>, max_files_per_request,
          Number<int64_t>(10'000'000, checks::FilesPerRequest),
          "images and sidecar files one Validate, Stats, Cleanup, Export or Convert may find; "
          "past it the call stops with RESOURCE_EXHAUSTED, after reporting what it did (0: no "
          "limit)");

namespace sidecard::daemon {
namespace {

// Abseil records where a flag is defined, without leading slashes.
bool DefinedHere(const absl::CommandLineFlag& flag) {
  absl::string_view here = __FILE__;
  here.remove_prefix(std::min(here.find_first_not_of('/'), here.size()));
  return flag.Filename() == here;
}

}  // namespace

std::vector<absl::CommandLineFlag*> DaemonFlags() {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (DefinedHere(*flag)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  return flags;
}

absl::CommandLineFlag* FindDaemonFlag(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  return flag != nullptr && DefinedHere(*flag) ? flag : nullptr;
}

std::string CommandLineName(const absl::CommandLineFlag& flag) {
  std::string name(flag.Name());
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

DaemonOptions OptionsFromFlags() {
  DaemonOptions o;
  o.listen = absl::GetFlag(FLAGS_listen).items;
  o.allowed_roots = absl::GetFlag(FLAGS_allowed_root).items;
  o.workers = absl::GetFlag(FLAGS_workers).value;
  o.log_level = absl::GetFlag(FLAGS_log_level).value;
  o.grace_period_seconds = absl::GetFlag(FLAGS_grace_period).value;
  o.image_extensions = absl::GetFlag(FLAGS_image_extension).items;
  o.max_sidecar_bytes = absl::GetFlag(FLAGS_max_sidecar_bytes).value;
  o.max_payload_bytes = absl::GetFlag(FLAGS_max_payload_bytes).value;
  o.save_format = absl::GetFlag(FLAGS_save_format).value;
  o.cache_max_bytes = absl::GetFlag(FLAGS_cache_max_bytes).value;
  o.watch = absl::GetFlag(FLAGS_watch).value;
  o.max_watches = absl::GetFlag(FLAGS_max_watches).value;
  o.watch_queue_events = std::max<size_t>(1, absl::GetFlag(FLAGS_watch_queue_events).value);
  o.metrics_listen = absl::GetFlag(FLAGS_metrics_listen).value;
  o.drain_notice_seconds = absl::GetFlag(FLAGS_drain_notice).value;
  o.tls_cert = absl::GetFlag(FLAGS_tls_cert).value;
  o.tls_key = absl::GetFlag(FLAGS_tls_key).value;
  o.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca).value;
  o.token_file = absl::GetFlag(FLAGS_token_file).value;
  o.insecure = absl::GetFlag(FLAGS_insecure).value;
  o.read_only = absl::GetFlag(FLAGS_read_only).value;
  o.health_listen = absl::GetFlag(FLAGS_health_listen).value;
  o.max_concurrent_calls = absl::GetFlag(FLAGS_max_concurrent_calls).value;
  o.default_deadline_seconds = absl::GetFlag(FLAGS_default_deadline).value;
  o.max_files_per_request = absl::GetFlag(FLAGS_max_files_per_request).value;
  return o;
}

}  // namespace sidecard::daemon
