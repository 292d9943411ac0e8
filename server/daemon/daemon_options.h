// The daemon's command line: `--name=value` or `--name value`, repeatable
// list flags, `--config FILE` with the same flags one per line, and
// `--flagfile FILE` (Abseil's format: one `--name=value` per line). The flags
// themselves are Abseil flags (daemon_flags.cc); each parse starts from their
// defaults, so a SIGHUP reload parses the same arguments again (re-reading
// the files) and compares the result.
#ifndef SIDECARD_SERVER_DAEMON_DAEMON_OPTIONS_H_
#define SIDECARD_SERVER_DAEMON_DAEMON_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecard {

inline constexpr char kDefaultListen[] = "unix:/run/sidecard/sidecard.sock";

struct DaemonOptions {
  std::vector<std::string> listen;         // unix:PATH or HOST:PORT; default kDefaultListen
  std::vector<std::string> allowed_roots;  // required
  int workers = 0;                         // 0: one per core
  std::string log_level = "info";
  double grace_period_seconds = 10;
  std::vector<std::string> image_extensions;  // empty: the built-in list
  size_t max_sidecar_bytes = 256u << 20;
  size_t max_payload_bytes = 16u << 20;
  std::string save_format = "bin";      // bin, rkyv or json
  size_t cache_max_bytes = 512u << 20;  // metadata cache bound; 0 disables it
  bool watch = true;                    // inotify watching of cached directories
  size_t max_watches = 0;               // cap on watches; 0: the kernel's limit
  size_t watch_queue_events = 4096;     // changes waiting per Watch client before a reset
  std::string metrics_listen;           // HOST:PORT of the Prometheus endpoint; empty: none
  double drain_notice_seconds = 0;      // NOT_SERVING while still serving, before draining
  // Security: TCP listeners need TLS (or --insecure) and bearer tokens; the
  // Unix socket relies on its file permissions.
  std::string tls_cert;       // PEM certificate chain of TCP listeners
  std::string tls_key;        // PEM private key of tls_cert
  std::string tls_client_ca;  // PEM CA: clients must present a certificate it signed
  std::string token_file;     // lines `read-only TOKEN` / `read-write TOKEN`
  bool insecure = false;      // allows plaintext TCP listeners (logged loudly)
  bool read_only = false;     // every call that changes files is refused
  std::string health_listen;  // HOST:PORT of a plaintext listener with only health
  // Limits: what one call, or all of them together, may take.
  int max_concurrent_calls = 64;               // calls beyond are refused (RESOURCE_EXHAUSTED)
  double default_deadline_seconds = 3600;      // for calls that carry no deadline; 0: none
  int64_t max_files_per_request = 10'000'000;  // images + sidecars a tree call may find; 0: none
  bool help = false;
  bool version = false;
};

// Parses argv (without argv[0]). Errors are InvalidArgument with a message
// for the user, including a TCP listener without TLS (and no --insecure) or
// without --token-file.
absl::StatusOr<DaemonOptions> ParseDaemonOptions(const std::vector<std::string>& args);

// Whether `address` (a --listen value) is a Unix socket with a path, whose
// file permissions say who may connect. Everything else (TCP, abstract
// sockets) is a network listener: TLS and bearer tokens.
bool IsUnixSocketAddress(const std::string& address);

// The largest gRPC messages the daemon receives and sends, in bytes, each at
// most INT_MAX (gRPC's own bound). A request holds at most one SaveSidecar
// payload (--max-payload-bytes) plus paths and names. A response holds at
// most one ReadSidecar document, from a file of up to --max-sidecar-bytes, as
// compact JSON (about the file's length or shorter; twice it leaves room for
// numbers the file spells shorter, 1e15 for 1000000000000000.0), or a bounded
// batch. The service refuses a longer document itself, naming the file; the
// clients accept messages of any size, so whatever the daemon may send is read.
struct MessageLimits {
  int max_receive_bytes;
  int max_send_bytes;
};
MessageLimits MessageLimitsFor(const DaemonOptions& options);

}  // namespace sidecard

#endif  // SIDECARD_SERVER_DAEMON_DAEMON_OPTIONS_H_
