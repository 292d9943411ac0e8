// Which changed settings a SIGHUP reload cannot apply: the daemon names them
// and keeps running with the old values (tests/deploy/reload_test.cc shows it).
#include "gtest/gtest.h"
#include "server/daemon/daemon_options.h"
#include "server/daemon/reload.h"

namespace sidecard {
namespace {

TEST(FlagsNeedingRestart, NamesEveryChangedRestartOnlyFlag) {
  DaemonOptions running;
  DaemonOptions wanted;
  wanted.log_level = "warn";
  wanted.allowed_roots = {"/elsewhere"};
  EXPECT_TRUE(daemon::FlagsNeedingRestart(running, wanted).empty());
  wanted.workers = 3;
  wanted.listen = {"127.0.0.1:1"};
  wanted.metrics_listen = "127.0.0.1:2";
  EXPECT_EQ(daemon::FlagsNeedingRestart(running, wanted),
            (std::vector<std::string>{"listen", "workers", "metrics-listen"}));
}

}  // namespace
}  // namespace sidecard
