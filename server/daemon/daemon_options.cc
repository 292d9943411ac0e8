#include "server/daemon/daemon_options.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <type_traits>

namespace sidecard {
namespace {

using Setter = std::function<absl::Status(DaemonOptions&, const std::string&)>;

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

template <typename Number>
absl::Status ParseNumber(const std::string& flag, const std::string& text, Number& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Invalid("--" + flag + ": '" + text + "' is not a number");
  }
  // from_chars accepts "nan" and "inf", which slip past every range check.
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(out))
      return Invalid("--" + flag + ": '" + text + "' is not a finite number");
  }
  return absl::OkStatus();
}

// HOST:PORT with a numeric port; HOST may be a bracketed IPv6 address.
absl::Status CheckHostPort(const std::string& flag, const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Invalid("--" + flag + ": '" + text + "' is not HOST:PORT");
  }
  int port = -1;
  if (auto s = ParseNumber(flag, text.substr(colon + 1), port);
      !s.ok() || port < 0 || port > 65535) {
    return Invalid("--" + flag + ": '" + text + "' needs a port number 0..65535");
  }
  return absl::OkStatus();
}

// Security: file flags, switches, and what TCP listeners need.
absl::Status SetFile(const std::string& flag, const std::string& value, std::string& out) {
  if (value.empty()) return Invalid("--" + flag + ": a file is required");
  out = value;
  return absl::OkStatus();
}

// `--name` alone means true; `--name=true|false` (or yes/no, 1/0) says.
bool IsSwitch(const std::string& name) {
  return name == "insecure" || name == "read-only" || name == "watch";
}

absl::Status ParseSwitch(const std::string& flag, const std::string& value, bool& out) {
  if (value == "true" || value == "yes" || value == "1") {
    out = true;
  } else if (value == "false" || value == "no" || value == "0") {
    out = false;
  } else {
    return Invalid("--" + flag + ": '" + value + "' is not true or false");
  }
  return absl::OkStatus();
}

absl::Status CheckSecurity(const DaemonOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Invalid("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return Invalid("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
  }
  for (const std::string& address : o.listen) {
    if (IsUnixSocketAddress(address)) continue;
    if (o.tls_cert.empty() && !o.insecure) {
      return Invalid("--listen " + address +
                     ": a network listener needs TLS (--tls-cert and --tls-key); "
                     "--insecure allows plaintext, for a trusted network only");
    }
    if (o.token_file.empty()) {
      return Invalid("--listen " + address +
                     ": a network listener needs --token-file (bearer tokens with roles); "
                     "only the Unix socket relies on file permissions");
    }
  }
  return absl::OkStatus();
}

const std::map<std::string, Setter>& Setters() {
  static const auto* const kSetters = new std::map<std::string, Setter>{
      {"listen",
       [](DaemonOptions& o, const std::string& v) {
         if (v.empty()) return Invalid("--listen: an address is required");
         o.listen.push_back(v);
         return absl::OkStatus();
       }},
      {"allowed-root",
       [](DaemonOptions& o, const std::string& v) {
         if (v.empty() || v.front() != '/') {
           return Invalid("--allowed-root: '" + v + "' must be an absolute path");
         }
         o.allowed_roots.push_back(v);
         return absl::OkStatus();
       }},
      {"workers",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("workers", v, o.workers); !s.ok()) return s;
         if (o.workers < 0 || o.workers > 1024) return Invalid("--workers: must be 0..1024");
         return absl::OkStatus();
       }},
      {"log-level",
       [](DaemonOptions& o, const std::string& v) {
         static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
         for (const char* level : kLevels) {
           if (v == level) {
             o.log_level = v;
             return absl::OkStatus();
           }
         }
         return Invalid("--log-level: '" + v +
                        "' is not one of trace, debug, info, warn, error, off");
       }},
      {"grace-period",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("grace-period", v, o.grace_period_seconds); !s.ok()) return s;
         if (o.grace_period_seconds < 0) return Invalid("--grace-period: must not be negative");
         return absl::OkStatus();
       }},
      {"image-extension",
       [](DaemonOptions& o, const std::string& v) {
         if (v.empty()) return Invalid("--image-extension: an extension is required");
         o.image_extensions.push_back(v);
         return absl::OkStatus();
       }},
      {"max-sidecar-bytes",
       [](DaemonOptions& o, const std::string& v) {
         return ParseNumber("max-sidecar-bytes", v, o.max_sidecar_bytes);
       }},
      {"max-payload-bytes",
       [](DaemonOptions& o, const std::string& v) {
         return ParseNumber("max-payload-bytes", v, o.max_payload_bytes);
       }},
      {"cache-max-bytes",
       [](DaemonOptions& o, const std::string& v) {
         return ParseNumber("cache-max-bytes", v, o.cache_max_bytes);
       }},
      {"watch",
       [](DaemonOptions& o, const std::string& v) { return ParseSwitch("watch", v, o.watch); }},
      {"max-watches",
       [](DaemonOptions& o, const std::string& v) {
         return ParseNumber("max-watches", v, o.max_watches);
       }},
      {"metrics-listen",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = CheckHostPort("metrics-listen", v); !s.ok()) return s;
         o.metrics_listen = v;
         return absl::OkStatus();
       }},
      {"drain-notice",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("drain-notice", v, o.drain_notice_seconds); !s.ok()) return s;
         if (!(o.drain_notice_seconds >= 0 && o.drain_notice_seconds <= 3600)) {
           return Invalid("--drain-notice: must be 0..3600 seconds");
         }
         return absl::OkStatus();
       }},
      {"save-format",
       [](DaemonOptions& o, const std::string& v) {
         if (v != "bin" && v != "rkyv" && v != "json") {
           return Invalid("--save-format: '" + v + "' is not one of bin, rkyv, json");
         }
         o.save_format = v;
         return absl::OkStatus();
       }},
      // Security.
      {"tls-cert",
       [](DaemonOptions& o, const std::string& v) { return SetFile("tls-cert", v, o.tls_cert); }},
      {"tls-key",
       [](DaemonOptions& o, const std::string& v) { return SetFile("tls-key", v, o.tls_key); }},
      {"tls-client-ca",
       [](DaemonOptions& o, const std::string& v) {
         return SetFile("tls-client-ca", v, o.tls_client_ca);
       }},
      {"token-file", [](DaemonOptions& o,
                        const std::string& v) { return SetFile("token-file", v, o.token_file); }},
      {"insecure", [](DaemonOptions& o,
                      const std::string& v) { return ParseSwitch("insecure", v, o.insecure); }},
      {"read-only", [](DaemonOptions& o,
                       const std::string& v) { return ParseSwitch("read-only", v, o.read_only); }},
      {"health-listen",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = CheckHostPort("health-listen", v); !s.ok()) return s;
         o.health_listen = v;
         return absl::OkStatus();
       }},
      // Limits
      {"max-concurrent-calls",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("max-concurrent-calls", v, o.max_concurrent_calls); !s.ok()) {
           return s;
         }
         if (o.max_concurrent_calls < 1 || o.max_concurrent_calls > 10000) {
           return Invalid("--max-concurrent-calls: must be 1..10000");
         }
         return absl::OkStatus();
       }},
      {"default-deadline",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("default-deadline", v, o.default_deadline_seconds); !s.ok()) {
           return s;
         }
         if (!(o.default_deadline_seconds >= 0 && o.default_deadline_seconds <= 7 * 86400)) {
           return Invalid("--default-deadline: must be 0..604800 seconds (0: none)");
         }
         return absl::OkStatus();
       }},
      {"max-files-per-request",
       [](DaemonOptions& o, const std::string& v) {
         if (auto s = ParseNumber("max-files-per-request", v, o.max_files_per_request); !s.ok()) {
           return s;
         }
         if (o.max_files_per_request < 0) {
           return Invalid("--max-files-per-request: must not be negative (0: no limit)");
         }
         return absl::OkStatus();
       }},
  };
  return *kSetters;
}

absl::Status ParseArgs(const std::vector<std::string>& args, DaemonOptions& options, int depth);

absl::Status ReadConfigFile(const std::string& path, DaemonOptions& options, int depth) {
  if (depth > 4) return Invalid("--config: files include each other too deeply");
  std::ifstream file(path);
  if (!file) return Invalid("--config: cannot read " + path);
  std::vector<std::string> args;
  std::string line;
  while (std::getline(file, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    std::string arg = line.substr(start, end - start + 1);
    if (arg.rfind("--", 0) != 0) arg = "--" + arg;  // `listen=...` is accepted too
    args.push_back(std::move(arg));
  }
  return ParseArgs(args, options, depth + 1);
}

absl::Status ParseArgs(const std::vector<std::string>& args, DaemonOptions& options, int depth) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg == "--version") {
      options.version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return Invalid("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (IsSwitch(name)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Invalid("--" + name + ": a value is required");
    }
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "config") {
      if (auto s = ReadConfigFile(value, options, depth); !s.ok()) return s;
      continue;
    }
    const auto setter = Setters().find(name);
    if (setter == Setters().end()) return Invalid("unknown flag --" + name + " (see --help)");
    if (auto s = setter->second(options, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args) {
  DaemonOptions options;
  if (auto s = ParseArgs(args, options, 0); !s.ok()) return s;
  if (options.help || options.version) return options;
  if (options.allowed_roots.empty()) {
    return Invalid("--allowed-root is required: the directories sidecard may read and change");
  }
  if (options.listen.empty()) options.listen.push_back(kDefaultListen);
  if (auto s = CheckSecurity(options); !s.ok()) return s;
  return options;
}

bool IsUnixSocketAddress(const std::string& address) { return address.rfind("unix:", 0) == 0; }

std::string DaemonUsage() {
  std::ostringstream out;
  out << "sidecard: serves the sidecar files of a photo library over gRPC.\n\n"
      << "usage: sidecard --allowed-root DIR [--allowed-root DIR ...] [options]\n\n"
      << "  --allowed-root DIR      a directory sidecard may read and change (required,\n"
      << "                          repeatable); every path in a request must lie inside one\n"
      << "  --listen ADDR           unix:PATH or HOST:PORT (repeatable; default " << kDefaultListen
      << ")\n"
      << "  --workers N             threads of the shared worker pool (default 0: one per core)\n"
      << "  --log-level LEVEL       trace, debug, info, warn, error or off (default info)\n"
      << "  --grace-period SECONDS  on SIGTERM/SIGINT, how long in-flight calls may finish\n"
      << "                          (default 10)\n"
      << "  --image-extension EXT   an image extension (repeatable; replaces the built-in list:\n"
      << "                          jpg jpeg png tif tiff bmp webp gif heic heif cr2 cr3 nef\n"
      << "                          arw dng orf rw2 raf)\n"
      << "  --max-sidecar-bytes N   larger sidecar files are reported, not read (default "
         "268435456)\n"
      << "  --save-format FORMAT    format SaveSidecar writes unless a request says: bin "
         "(default),\n"
      << "                          rkyv or json\n"
      << "  --max-payload-bytes N   largest SaveSidecar payload accepted; a larger one gets\n"
      << "                          RESOURCE_EXHAUSTED (default 16777216)\n"
      << "  --cache-max-bytes N     memory bound of the metadata cache (default 536870912;\n"
      << "                          0 turns the cache off)\n"
      << "  --watch                 watch cached directories with inotify, so unchanged ones\n"
      << "                          need no stat per file and summary-only Validate and Stats\n"
      << "                          count them from what they remembered; falls back to stat\n"
      << "                          checks where watches run out or events are lost (default\n"
      << "                          off; README: what inotify cannot see)\n"
      << "  --max-watches N         most directories --watch watches (default 0: as many as\n"
      << "                          fs.inotify.max_user_watches allows)\n"
      << "  --metrics-listen HOST:PORT\n"
      << "                          serve Prometheus metrics at http://HOST:PORT/metrics\n"
      << "                          (default: off; port 0 picks a free port, logged)\n"
      << "  --drain-notice SECONDS  on SIGTERM/SIGINT, first report NOT_SERVING for this long\n"
      << "                          while still answering calls, so probes and load\n"
      << "                          balancers move away; then drain (default 0)\n"
      << "\nSecurity (TCP listeners; the Unix socket relies on its file permissions):\n"
      << "  --tls-cert FILE         PEM certificate (chain) of the TCP listeners\n"
      << "  --tls-key FILE          PEM private key of --tls-cert\n"
      << "  --tls-client-ca FILE    PEM CA certificates: TCP clients must present a\n"
      << "                          certificate signed by one (mutual TLS)\n"
      << "  --token-file FILE       bearer tokens, one per line: `read-only TOKEN` or\n"
      << "                          `read-write TOKEN` (# comments); owned by the user\n"
      << "                          sidecard runs as, mode 0600 or 0400; required with a\n"
      << "                          TCP listener; re-read on SIGHUP\n"
      << "  --insecure              allow TCP listeners without TLS (tokens still\n"
      << "                          required; logged as a warning): trusted networks only\n"
      << "  --read-only             refuse every call that changes files, on every\n"
      << "                          listener (PERMISSION_DENIED); reloadable\n"
      << "  --health-listen HOST:PORT\n"
      << "                          a plaintext listener serving only grpc.health.v1\n"
      << "                          (and reflection), for probes that cannot do TLS\n"
      << "\n"
      << "  --config FILE           read flags from FILE, one per line (`--listen=...` or\n"
      << "                          `listen=...`; # starts a comment)\n"
      << "  --version               print the version and exit\n"
      << "  --help                  print this text and exit\n"
      << "\nLimits (a call over one gets RESOURCE_EXHAUSTED saying which):\n"
      << "  --max-concurrent-calls N\n"
      << "                          calls served at once; more are refused at once with\n"
      << "                          RESOURCE_EXHAUSTED (default 64). gRPC's own threads are\n"
      << "                          capped a little above it, so a flood cannot add threads\n"
      << "  --default-deadline SECONDS\n"
      << "                          deadline of calls whose client set none; past it the call\n"
      << "                          stops with DEADLINE_EXCEEDED (default 3600; 0: none)\n"
      << "  --max-files-per-request N\n"
      << "                          images and sidecar files one Validate, Stats, Cleanup,\n"
      << "                          Export or Convert may find; past it the call stops with\n"
      << "                          RESOURCE_EXHAUSTED, after reporting what it did (default\n"
      << "                          10000000; 0: no limit)\n"
      << "  Messages: a request may be at most --max-payload-bytes + 1 MiB, a response at\n"
      << "  most 2 x --max-sidecar-bytes + 1 MiB (gRPC refuses larger ones with\n"
      << "  RESOURCE_EXHAUSTED). Streams are written as the client reads them: a client\n"
      << "  that stops reading holds its call, not the daemon's memory.\n"
      << "\nSignals: SIGTERM or SIGINT drains and exits 0. SIGHUP reads the command line\n"
      << "and its config files again and applies --log-level, --allowed-root, --read-only\n"
      << "and the tokens of --token-file without dropping connections; other changes\n"
      << "need a restart. A configuration that does not parse, or a token file that is\n"
      << "not valid, keeps the old settings (the log says why).\n"
      << "\nUnder systemd (Type=notify) sidecard reports READY=1, RELOADING=1, STOPPING=1,\n"
      << "STATUS= and, when WatchdogSec= is set, WATCHDOG=1 pings; it logs to the journal\n"
      << "with priorities and without its own timestamps.\n";
  return out.str();
}

}  // namespace sidecard
