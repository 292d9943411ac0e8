#include "server/daemon/daemon_usage.h"

#include <sstream>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/daemon/daemon_flags.h"

namespace sidecard {
namespace {

constexpr size_t kWidth = 80;
constexpr char kIndent[] = "      ";

// `text` in lines of at most kWidth columns, each indented.
std::string Wrap(const std::string& text) {
  std::string out;
  std::string line = kIndent;
  for (const absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > sizeof(kIndent) - 1 && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = kIndent;
    }
    if (line.size() > sizeof(kIndent) - 1) line += ' ';
    line.append(word.data(), word.size());
  }
  return out + line + "\n";
}

// The flags the parser reads itself rather than from the registry.
struct Directive {
  const char* usage;
  const char* help;
};
constexpr Directive kDirectives[] = {
    {"--config FILE",
     "read flags from FILE, one per line (`--listen=...` or `listen=...`; # starts a comment), "
     "in order with the command line; files may name more files, 4 levels deep"},
    {"--flagfile FILE",
     "read flags from FILE in Abseil's format: one whole `--name=value` (or a switch `--name`) "
     "per line, # starts a comment"},
    {"--version", "print the version and exit"},
    {"--help", "print this text and exit"},
};

}  // namespace

std::string DaemonUsage() {
  std::ostringstream out;
  out << "sidecard: serves the sidecar files of a photo library over gRPC.\n\n"
      << "usage: sidecard --allowed-root DIR [--allowed-root DIR ...] [flags]\n\n"
      << "Flags are written --name=value or --name value; a switch alone means true,\n"
      << "--no-NAME turns it off.\n"
      << "TCP listeners need --tls-cert and --tls-key (or --insecure) and --token-file;\n"
      << "the Unix socket relies on its file permissions.\n\n";
  for (const absl::CommandLineFlag* flag : daemon::DaemonFlags()) {
    out << "  --" << daemon::CommandLineName(*flag);
    if (const std::string value = flag->DefaultValue(); !value.empty()) {
      out << " (default " << value << ")";
    }
    out << "\n" << Wrap(flag->Help());
  }
  out << "\n";
  for (const Directive& directive : kDirectives) {
    out << "  " << directive.usage << "\n" << Wrap(directive.help);
  }
  out << "\nMessages: a request may be at most --max-payload-bytes + 1 MiB, a response at\n"
      << "most 2 x --max-sidecar-bytes + 1 MiB (gRPC refuses larger ones with\n"
      << "RESOURCE_EXHAUSTED). Streams are written as the client reads them: a client\n"
      << "that stops reading holds its call, not the daemon's memory.\n"
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
