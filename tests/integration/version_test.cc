// Versions: `sidecard --version`, `sidecarctl --version`, and `sidecarctl
// version`, which asks the real daemon for its own.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"

#ifndef SIDECARD_VERSION
#error "SIDECARD_VERSION must be defined (tests/CMakeLists.txt does)"
#endif

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;

TEST(VersionFlagTest, BothProgramsPrintTheProjectVersionWithoutADaemon) {
  const RunResult daemon = RunProcess({SIDECARD_BINARY, "--version"});
  EXPECT_EQ(daemon.exit_code, 0) << daemon;
  EXPECT_EQ(daemon.out, "sidecard " SIDECARD_VERSION "\n");
  // No daemon listens at this address: --version makes no call.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--version"},
                                               {"--address", "unix:/nonexistent.sock", "--version"},
                                               {"info", "--version"}}) {
    std::vector<std::string> argv = {SIDECARCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult client = RunProcess(argv);
    EXPECT_EQ(client.exit_code, 0) << client;
    EXPECT_EQ(client.out, "sidecarctl " SIDECARD_VERSION "\n");
  }
}

class VersionCommandTest : public DaemonTest {};

TEST_F(VersionCommandTest, PrintsTheClientsAndTheDaemonsVersion) {
  const RunResult run = Ctl({"version"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "sidecarctl " SIDECARD_VERSION "\nsidecard " SIDECARD_VERSION "\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(VersionCommandTest, Json) {
  const RunResult run = Ctl({"--json", "version"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "{\n  \"sidecarctl\": \"" SIDECARD_VERSION
                     "\",\n  \"sidecard\": \"" SIDECARD_VERSION "\"\n}\n");
}

TEST_F(VersionCommandTest, UnreachableDaemonStillShowsTheClientAndExitsThree) {
  const std::string nowhere = "unix:" + daemon_.run_dir().Path("nothing-listens.sock");
  const RunResult run =
      RunProcess({SIDECARCTL_BINARY, "--address", nowhere, "--timeout", "5", "version"});
  EXPECT_EQ(run.exit_code, 3) << run;
  EXPECT_EQ(run.out, "sidecarctl " SIDECARD_VERSION "\n");
  EXPECT_THAT(run.err, HasSubstr("cannot reach the daemon")) << run;
}

TEST_F(VersionCommandTest, ListedInHelpAndRefusesArguments) {
  const RunResult help = Ctl({"--help"});
  EXPECT_THAT(help.out, HasSubstr("  version     print sidecarctl's version and the daemon's\n"));
  const RunResult extra = Ctl({"version", "now"});
  EXPECT_EQ(extra.exit_code, 2) << extra;
  EXPECT_THAT(extra.err, HasSubstr("unexpected argument 'now'"));
}

}  // namespace
}  // namespace sidecard::testing
