// The configuration people edit: every daemon flag is in `sidecard --help`,
// deploy/sidecard.conf and deploy/OPERATING.md, the example parses, and the
// daemon-layer flags are checked.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/daemon/daemon_flags.h"
#include "server/daemon/daemon_options.h"
#include "server/daemon/daemon_usage.h"
#include "support/temp_tree.h"

#ifndef SIDECARD_SOURCE_DIR
#error "SIDECARD_SOURCE_DIR must be defined (tests/CMakeLists.txt does)"
#endif

namespace sidecard {
namespace {

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(SIDECARD_SOURCE_DIR) + "/" + rel);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The daemon's flags (without "--"), from the flag registry.
std::set<std::string> DaemonFlagNames() {
  std::set<std::string> flags;
  for (const absl::CommandLineFlag* flag : daemon::DaemonFlags()) {
    flags.insert(daemon::CommandLineName(*flag));
  }
  return flags;
}

// `text` with every run of white space made one space: --help wraps lines.
std::string Words(const std::string& text) {
  return absl::StrJoin(absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
}

TEST(DaemonUsage, ListsEveryFlagWithItsDefaultAndHelp) {
  const std::vector<absl::CommandLineFlag*> flags = daemon::DaemonFlags();
  ASSERT_GE(flags.size(), 24u);
  const std::string usage = Words(DaemonUsage());
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string name = daemon::CommandLineName(*flag);
    ASSERT_FALSE(flag->Help().empty()) << name;
    const std::string default_value = flag->DefaultValue();
    const std::string heading =
        "--" + name + (default_value.empty() ? "" : " (default " + default_value + ")");
    EXPECT_NE(usage.find(" " + heading + " " + Words(flag->Help())), std::string::npos)
        << heading << "\n"
        << usage;
  }
  for (const char* directive : {"--config FILE", "--flagfile FILE", "--version", "--help"}) {
    EXPECT_NE(usage.find(directive), std::string::npos) << directive;
  }
  EXPECT_NE(usage.find("--listen (default unix:/run/sidecard/sidecard.sock)"), std::string::npos);
}

TEST(DaemonUsage, LinesFitInEightyColumns) {
  for (const absl::string_view line : absl::StrSplit(DaemonUsage(), '\n')) {
    EXPECT_LE(line.size(), 80u) << line;
  }
}

TEST(ConfigExample, DocumentsEveryFlag) {
  std::set<std::string> flags = DaemonFlagNames();
  ASSERT_GE(flags.size(), 24u);
  flags.insert("config");  // the parser's own: more flags from a file
  const std::string example = ReadSource("deploy/sidecard.conf");
  const std::string operating = ReadSource("deploy/OPERATING.md");
  for (const std::string& flag : flags) {
    EXPECT_NE(example.find("\n#" + flag + "="), std::string::npos) << flag;
    EXPECT_NE(operating.find("`" + flag + "="), std::string::npos) << flag;
  }
}

TEST(ConfigExample, EveryCommentedSettingParses) {
  // Uncomment every `#name=value` line (but the nested config) and parse.
  std::istringstream lines(ReadSource("deploy/sidecard.conf"));
  std::string uncommented;
  int settings = 0;
  const std::regex setting(R"(#([a-z-]+=.*))");
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, match, setting) && match[1].str().rfind("config=", 0) != 0) {
      uncommented += match[1].str() + "\n";
      ++settings;
    }
  }
  EXPECT_GE(settings, 13);
  testing::TempTree dir;
  dir.WriteFile("sidecard.conf", uncommented);
  const auto options = ParseDaemonOptions({"--config", dir.Path("sidecard.conf")});
  ASSERT_TRUE(options.ok()) << options.status() << "\n" << uncommented;
  EXPECT_EQ(options->allowed_roots, std::vector<std::string>{"/srv/photos"});
  EXPECT_EQ(options->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(options->drain_notice_seconds, 0);
}

TEST(ConfigExample, AsShippedItNeedsAnAllowedRoot) {
  // Installed untouched, the daemon refuses to start and says why.
  const auto options =
      ParseDaemonOptions({"--config", std::string(SIDECARD_SOURCE_DIR) + "/deploy/sidecard.conf"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("--allowed-root is required"), std::string::npos);
  // Naming the file to edit (what `systemctl status` shows of the refusal).
  EXPECT_NE(options.status().message().find("no allowed roots configured: edit " +
                                            std::string(SIDECARD_SOURCE_DIR) +
                                            "/deploy/sidecard.conf and add allowed-root=DIR"),
            std::string::npos)
      << options.status();
}

TEST(DaemonFlags, MetricsListenAndDrainNotice) {
  auto options = ParseDaemonOptions(
      {"--allowed-root", "/p", "--metrics-listen", "[::1]:9464", "--drain-notice", "2.5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->metrics_listen, "[::1]:9464");
  EXPECT_EQ(options->drain_notice_seconds, 2.5);
  for (const char* bad : {"9464", ":9464", "localhost", "localhost:http", "localhost:70000"}) {
    EXPECT_FALSE(ParseDaemonOptions({"--allowed-root", "/p", "--metrics-listen", bad}).ok()) << bad;
  }
  for (const char* bad : {"-1", "3601", "nan", "soon"}) {
    EXPECT_FALSE(ParseDaemonOptions({"--allowed-root", "/p", "--drain-notice", bad}).ok()) << bad;
  }
}

TEST(DaemonFlags, Limits) {
  auto defaults = ParseDaemonOptions({"--allowed-root", "/p"});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->max_concurrent_calls, 64);
  EXPECT_EQ(defaults->default_deadline_seconds, 3600);
  EXPECT_EQ(defaults->max_files_per_request, 10'000'000);
  auto options = ParseDaemonOptions({"--allowed-root", "/p", "--max-concurrent-calls", "8",
                                     "--default-deadline", "0.5", "--max-files-per-request", "0"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->max_concurrent_calls, 8);
  EXPECT_EQ(options->default_deadline_seconds, 0.5);
  EXPECT_EQ(options->max_files_per_request, 0);
  for (const char* bad : {"0", "-1", "10001", "many"}) {
    EXPECT_FALSE(ParseDaemonOptions({"--allowed-root", "/p", "--max-concurrent-calls", bad}).ok())
        << bad;
  }
  for (const char* bad : {"-1", "604801", "nan", "soon"}) {
    EXPECT_FALSE(ParseDaemonOptions({"--allowed-root", "/p", "--default-deadline", bad}).ok())
        << bad;
  }
  for (const char* bad : {"-1", "1e6", "lots"}) {
    EXPECT_FALSE(ParseDaemonOptions({"--allowed-root", "/p", "--max-files-per-request", bad}).ok())
        << bad;
  }
}

TEST(DaemonFlags, Regression_NotANumberIsNotAGracePeriod) {
  // "nan" passed the `< 0` check and made the drain wait undefined.
  for (const char* bad : {"nan", "-nan", "inf", "infinity"}) {
    auto options = ParseDaemonOptions({"--allowed-root", "/p", "--grace-period", bad});
    ASSERT_FALSE(options.ok()) << bad;
    EXPECT_NE(std::string(options.status().message()).find("not a finite number"),
              std::string::npos)
        << options.status();
  }
  auto options = ParseDaemonOptions({"--allowed-root", "/p", "--grace-period", "2.5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->grace_period_seconds, 2.5);
}

}  // namespace
}  // namespace sidecard
