// The configuration people edit: every flag of `sidecard --help` is in
// deploy/sidecard.conf and in deploy/OPERATING.md, the example parses, and
// the daemon-layer flags are checked.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "server/daemon/daemon_options.h"
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

// The flags `sidecard --help` lists (without "--"), apart from help/version/config.
std::set<std::string> HelpFlags() {
  std::set<std::string> flags;
  const std::string usage = DaemonUsage();
  const std::regex flag(R"(\n  --([a-z-]+))");
  for (std::sregex_iterator it(usage.begin(), usage.end(), flag), end; it != end; ++it) {
    flags.insert((*it)[1]);
  }
  return flags;
}

TEST(ConfigExample, DocumentsEveryFlagOfHelp) {
  const std::set<std::string> flags = HelpFlags();
  ASSERT_GE(flags.size(), 15u);
  const std::string example = ReadSource("deploy/sidecard.conf");
  const std::string operating = ReadSource("deploy/OPERATING.md");
  for (const std::string& flag : flags) {
    if (flag == "help" || flag == "version") continue;
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
