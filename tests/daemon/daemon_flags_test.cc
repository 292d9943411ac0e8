// The daemon's flags as Abseil flags: --flagfile, repeated parses from the
// defaults (tests, SIGHUP reloads), repeatable flags, and the order of the
// command line and its files.
#include "server/daemon/daemon_flags.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/daemon/daemon_options.h"
#include "support/temp_tree.h"

namespace sidecard {
namespace {

std::string ErrorOf(const absl::StatusOr<DaemonOptions>& options) {
  return options.ok() ? "parsed" : std::string(options.status().message());
}

TEST(DaemonFlags, EachParseStartsFromTheDefaults) {
  auto options = ParseDaemonOptions({"--allowed-root=/a", "--allowed-root=/b", "--workers=5",
                                     "--read-only", "--listen=unix:/tmp/x.sock",
                                     "--image-extension=jpg", "--tls-cert=/c", "--tls-key=/k"});
  ASSERT_TRUE(options.ok()) << options.status();
  // A failed parse leaves values behind in the registry; the next must not see them.
  EXPECT_FALSE(ParseDaemonOptions({"--allowed-root=/c", "--workers=7", "--log-level=loud"}).ok());
  options = ParseDaemonOptions({"--allowed-root=/d"});
  ASSERT_TRUE(options.ok()) << options.status();
  const DaemonOptions defaults;
  EXPECT_EQ(options->allowed_roots, std::vector<std::string>{"/d"});
  EXPECT_EQ(options->listen, std::vector<std::string>{kDefaultListen});
  EXPECT_EQ(options->workers, defaults.workers);
  EXPECT_EQ(options->read_only, defaults.read_only);
  EXPECT_EQ(options->log_level, defaults.log_level);
  EXPECT_TRUE(options->image_extensions.empty());
  EXPECT_TRUE(options->tls_cert.empty());
  EXPECT_EQ(options->max_sidecar_bytes, defaults.max_sidecar_bytes);
  EXPECT_EQ(options->grace_period_seconds, defaults.grace_period_seconds);
}

TEST(DaemonFlags, TheDefaultsAreTheStructsDefaults) {
  const auto options = ParseDaemonOptions({"--allowed-root=/p"});
  ASSERT_TRUE(options.ok()) << options.status();
  const DaemonOptions defaults;
  EXPECT_EQ(options->listen, std::vector<std::string>{kDefaultListen});
  EXPECT_EQ(options->workers, defaults.workers);
  EXPECT_EQ(options->log_level, defaults.log_level);
  EXPECT_EQ(options->grace_period_seconds, defaults.grace_period_seconds);
  EXPECT_EQ(options->max_sidecar_bytes, defaults.max_sidecar_bytes);
  EXPECT_EQ(options->max_payload_bytes, defaults.max_payload_bytes);
  EXPECT_EQ(options->save_format, defaults.save_format);
  EXPECT_EQ(options->cache_max_bytes, defaults.cache_max_bytes);
  EXPECT_EQ(options->watch, defaults.watch);
  EXPECT_EQ(options->max_watches, defaults.max_watches);
  EXPECT_EQ(options->drain_notice_seconds, defaults.drain_notice_seconds);
  EXPECT_EQ(options->max_concurrent_calls, defaults.max_concurrent_calls);
  EXPECT_EQ(options->default_deadline_seconds, defaults.default_deadline_seconds);
  EXPECT_EQ(options->max_files_per_request, defaults.max_files_per_request);
}

TEST(DaemonFlags, RepeatableFlagsKeepEveryItemWhole) {
  const auto options =
      ParseDaemonOptions({"--allowed-root", "/srv/Trip, 2020", "--allowed-root=/srv/a\\b",
                          "--listen=unix:/tmp/a.sock", "--listen", "unix:/tmp/b,c.sock"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->allowed_roots, (std::vector<std::string>{"/srv/Trip, 2020", "/srv/a\\b"}));
  EXPECT_EQ(options->listen, (std::vector<std::string>{"unix:/tmp/a.sock", "unix:/tmp/b,c.sock"}));
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/p", "--listen="})),
            "--listen: an address is required");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/p", "--image-extension="})),
            "--image-extension: an extension is required");
}

TEST(DaemonFlags, UnderscoresAndOnlyTheDaemonsFlags) {
  const auto options = ParseDaemonOptions({"--allowed_root=/p", "--read_only", "--log_level=warn"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->read_only);
  EXPECT_EQ(options->log_level, "warn");
  for (const absl::CommandLineFlag* flag : daemon::DaemonFlags()) {
    EXPECT_EQ(daemon::FindDaemonFlag(daemon::CommandLineName(*flag)), flag);
  }
  EXPECT_EQ(daemon::FindDaemonFlag("no-such-flag"), nullptr);
  // Abseil's own --noNAME form is not the daemon's (--no-NAME is).
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/p", "--nowatch"})),
            "unknown flag --nowatch (see --help)");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/p", "--flagfile"})),
            "--flagfile: a value is required");
}

TEST(DaemonFlags, LaterSettingsWinInCommandLineOrder) {
  testing::TempTree dir;
  dir.WriteFile("sidecard.conf", "allowed-root=/conf\nworkers=3\nlog-level=warn\n");
  const std::string config = dir.Path("sidecard.conf");
  auto options = ParseDaemonOptions({"--config", config, "--workers=5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workers, 5);
  EXPECT_EQ(options->log_level, "warn");
  options = ParseDaemonOptions({"--workers=5", "--config", config});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workers, 3);
  // Repeatable flags add up across the command line and the file.
  options = ParseDaemonOptions({"--allowed-root=/cli", "--config", config});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->allowed_roots, (std::vector<std::string>{"/cli", "/conf"}));
}

TEST(DaemonFlags, FlagfileInAbseilsFormat) {
  testing::TempTree dir;
  dir.WriteFile("flags",
                "# written --name=value, one a line\n"
                "--allowed-root=/srv/photos\n"
                "\n"
                "  --read-only  \n"
                "--workers=4\r\n"
                "--flagfile=" +
                    dir.Path("more") + "\n");
  dir.WriteFile("more", "--allowed-root=/srv/more\n--log-level=debug\n");
  auto options = ParseDaemonOptions({"--flagfile=" + dir.Path("flags"), "--workers", "2"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->allowed_roots, (std::vector<std::string>{"/srv/photos", "/srv/more"}));
  EXPECT_TRUE(options->read_only);
  EXPECT_EQ(options->workers, 2);
  EXPECT_EQ(options->log_level, "debug");

  // Each line is a whole flag: no bare names, no value on the next line.
  dir.WriteFile("bare", "allowed-root=/srv/photos\n");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--flagfile", dir.Path("bare")})),
            "--flagfile: " + dir.Path("bare") +
                ": 'allowed-root=/srv/photos' is not a "
                "--name=value line");
  dir.WriteFile("split", "--allowed-root\n--workers=3\n");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--flagfile", dir.Path("split")})),
            "--allowed-root: a value is required");
  dir.WriteFile("bad", "--allowed-root=/p\n--workers=2000\n");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--flagfile", dir.Path("bad")})),
            "--workers: must be 0..1024");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--flagfile", dir.Path("absent")})),
            "--flagfile: cannot read " + dir.Path("absent"));
  dir.WriteFile("loop", "--flagfile=" + dir.Path("loop") + "\n");
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--flagfile", dir.Path("loop")})),
            "--flagfile: files include each other too deeply");
  // A config file may name a flagfile and the other way round.
  dir.WriteFile("sidecard.conf", "flagfile=" + dir.Path("more") + "\n");
  options = ParseDaemonOptions({"--config", dir.Path("sidecard.conf")});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->allowed_roots, std::vector<std::string>{"/srv/more"});
}

// Watching is on by default; --no-NAME turns any switch off, on the command
// line or in a config file, and takes no value.
TEST(DaemonFlags, NoNameTurnsASwitchOff) {
  auto options = ParseDaemonOptions({"--allowed-root=/a"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->watch);
  options = ParseDaemonOptions({"--allowed-root=/a", "--no-watch"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->watch);
  options = ParseDaemonOptions({"--allowed-root=/a", "--no-watch", "--watch"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->watch);  // the later setting wins
  options = ParseDaemonOptions({"--allowed-root=/a", "--read-only", "--no-read-only"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->read_only);

  testing::TempTree dir;
  dir.WriteFile("sidecard.conf", "allowed-root=/conf\nno-watch\n");
  options = ParseDaemonOptions({"--config", dir.Path("sidecard.conf")});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->watch);

  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/a", "--no-watch=true"})),
            "--no-watch takes no value");
  // Only switches have a --no- form.
  EXPECT_EQ(ErrorOf(ParseDaemonOptions({"--allowed-root=/a", "--no-workers"})),
            "unknown flag --no-workers (see --help)");
}

TEST(DaemonFlags, ParsesFromSeveralThreadsAtOnce) {
  // The registry is shared: parses take turns, and none sees another's values.
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      const std::string root = "/root" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        const auto options =
            ParseDaemonOptions({"--allowed-root", root, "--workers", std::to_string(t)});
        if (!options.ok() || options->allowed_roots != std::vector<std::string>{root} ||
            options->workers != t) {
          ++wrong[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace sidecard
