#include "server/daemon/reload.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_join.h"
#include "server/daemon/token_file.h"

namespace sidecard::daemon {

Reloader::Reloader(std::vector<std::string> args, DaemonOptions running, Targets targets,
                   service::TokenTable tokens)
    : args_(std::move(args)),
      running_(std::move(running)),
      targets_(std::move(targets)),
      tokens_(std::move(tokens)) {}

absl::Status Reloader::Reload() {
  absl::StatusOr<DaemonOptions> wanted = ParseDaemonOptions(args_);
  absl::StatusOr<engine::AllowedRoots> roots =
      wanted.ok() ? engine::AllowedRoots::Create(wanted->allowed_roots) : wanted.status();
  if (!roots.ok()) {
    spdlog::error("reload failed, keeping the old settings: {}",
                  std::string(roots.status().message()));
    return roots.status();
  }
  // Security: the token file is read again even under the same name.
  service::TokenTable tokens;
  if (!wanted->token_file.empty()) {
    absl::StatusOr<service::TokenTable> read = ReadTokenFile(wanted->token_file);
    if (!read.ok()) {
      spdlog::error("reload failed, keeping the old settings: {}",
                    std::string(read.status().message()));
      return read.status();
    }
    tokens = *std::move(read);
  }

  for (const std::string& flag : FlagsNeedingRestart(running_, *wanted)) {
    spdlog::warn("reload: --{} changed; it takes effect at the next restart", flag);
  }
  std::vector<std::string> changes;
  if (wanted->log_level != running_.log_level) {
    changes.push_back("log level " + running_.log_level + " -> " + wanted->log_level);
  }
  if (wanted->allowed_roots != running_.allowed_roots) {
    changes.push_back("allowed roots " + absl::StrJoin(wanted->allowed_roots, ", "));
  }
  if (wanted->read_only != running_.read_only) {
    changes.push_back(wanted->read_only ? "read-only on" : "read-only off");
  }
  if (!(tokens == tokens_) || wanted->token_file != running_.token_file) {
    changes.push_back("bearer tokens " + DescribeTokens(tokens));
  }
  // Roots are re-resolved even when their names are unchanged: a symlinked
  // root may point elsewhere now.
  targets_.set_allowed_roots(*std::move(roots));
  if (targets_.set_access) targets_.set_access(wanted->read_only, tokens);
  const std::string outcome = "reloaded: " + (changes.empty() ? std::string("nothing changed")
                                                              : absl::StrJoin(changes, "; "));
  // Said at the old level when the new one is quieter, else at the new one.
  const bool quieter =
      spdlog::level::from_str(wanted->log_level) > spdlog::level::from_str(running_.log_level);
  if (quieter) spdlog::info("{}", outcome);
  targets_.set_log_level(wanted->log_level);
  if (!quieter) spdlog::info("{}", outcome);
  running_.log_level = wanted->log_level;
  running_.allowed_roots = wanted->allowed_roots;
  running_.read_only = wanted->read_only;
  running_.token_file = wanted->token_file;
  tokens_ = std::move(tokens);
  return absl::OkStatus();
}

std::vector<std::string> FlagsNeedingRestart(const DaemonOptions& running,
                                             const DaemonOptions& wanted) {
  std::vector<std::string> flags;
  const auto check = [&flags](const char* flag, const auto& a, const auto& b) {
    if (a != b) flags.push_back(flag);
  };
  check("listen", running.listen, wanted.listen);
  check("workers", running.workers, wanted.workers);
  check("grace-period", running.grace_period_seconds, wanted.grace_period_seconds);
  check("drain-notice", running.drain_notice_seconds, wanted.drain_notice_seconds);
  check("image-extension", running.image_extensions, wanted.image_extensions);
  check("max-sidecar-bytes", running.max_sidecar_bytes, wanted.max_sidecar_bytes);
  check("max-payload-bytes", running.max_payload_bytes, wanted.max_payload_bytes);
  check("save-format", running.save_format, wanted.save_format);
  check("cache-max-bytes", running.cache_max_bytes, wanted.cache_max_bytes);
  check("watch", running.watch, wanted.watch);
  check("max-watches", running.max_watches, wanted.max_watches);
  check("watch-queue-events", running.watch_queue_events, wanted.watch_queue_events);
  check("metrics-listen", running.metrics_listen, wanted.metrics_listen);
  check("tls-cert", running.tls_cert, wanted.tls_cert);
  check("tls-key", running.tls_key, wanted.tls_key);
  check("tls-client-ca", running.tls_client_ca, wanted.tls_client_ca);
  check("insecure", running.insecure, wanted.insecure);
  check("health-listen", running.health_listen, wanted.health_listen);
  // Limits
  check("max-concurrent-calls", running.max_concurrent_calls, wanted.max_concurrent_calls);
  check("default-deadline", running.default_deadline_seconds, wanted.default_deadline_seconds);
  check("max-files-per-request", running.max_files_per_request, wanted.max_files_per_request);
  return flags;
}

}  // namespace sidecard::daemon
