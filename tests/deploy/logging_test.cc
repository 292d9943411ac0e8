// Under systemd (JOURNAL_STREAM names stderr) the daemon writes sd-daemon
// priority prefixes and no timestamps; anywhere else, timestamps and levels.
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "support/daemon_process.h"

namespace sidecard::testing {
namespace {

// "DEVICE:INODE" of `path`, as systemd puts it in JOURNAL_STREAM.
std::string DeviceAndInode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// Runs a daemon that answers one failing call, stops it, returns its log.
std::string LogOfOneRun(const std::vector<std::string>& env_for_log) {
  testing::TempTree photos;
  DaemonProcess daemon;
  std::vector<std::string> env;
  for (const std::string& entry : env_for_log) {
    env.push_back(entry == "JOURNAL_STREAM=<log>"
                      ? "JOURNAL_STREAM=" + DeviceAndInode(daemon.log_path())
                      : entry);
  }
  EXPECT_TRUE(daemon.StartWith({"--allowed-root", photos.root()}, env));
  v1::StatsRequest request;
  request.set_root("/");
  v1::StatsResponse stats;
  EXPECT_EQ(MakeClient(daemon.address())->Stats(request, &stats).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(daemon.Stop());
  return daemon.Log();
}

TEST(Logging, JournalStreamGetsPrioritiesAndNoTimestamps) {
  const std::string log = LogOfOneRun({"JOURNAL_STREAM=<log>"});
  EXPECT_NE(log.find("\n<6>sidecard "), std::string::npos) << log;           // info: listening
  EXPECT_NE(log.find("\n<4>call method=Stats "), std::string::npos) << log;  // warn: failed call
  EXPECT_NE(log.find("\n<6>stopped\n"), std::string::npos) << log;
  // Every line of sidecard's own starts with a priority.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, std::regex(R"(<[0-7]>.*)"))) << line;
  }
  EXPECT_FALSE(std::regex_search(log, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:)"))) << log;
}

TEST(Logging, ElsewhereTimestampsAndLevelNames) {
  // A JOURNAL_STREAM that names another stream (inherited from a parent
  // service, say) does not count.
  for (const std::vector<std::string>& env :
       {std::vector<std::string>{}, std::vector<std::string>{"JOURNAL_STREAM=1:1"}}) {
    const std::string log = LogOfOneRun(env);
    EXPECT_TRUE(std::regex_search(
        log, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} info sidecard )")))
        << log;
    EXPECT_TRUE(std::regex_search(log, std::regex(R"(\n\S+ warning call method=Stats )"))) << log;
    EXPECT_EQ(log.find("<6>"), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace sidecard::testing
