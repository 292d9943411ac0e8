// SIGHUP (`systemctl reload`) re-reads the configuration file and applies the
// allowed roots and the log level without dropping connections; a bad
// configuration keeps the old settings.
#include <csignal>
#include <filesystem>

#include "support/child_process.h"
#include "support/daemon_process.h"
#include "support/proto_containers.h"
#include "support/sidecar_documents.h"

namespace sidecard::testing {
namespace {

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    first_.WriteBin("a/IMG_1.bin", kFaceDoc);
    first_.WriteFile("a/IMG_1.jpg", "jpeg");
    second_.WriteBin("b/IMG_2.bin", kFaceDoc);
    WriteConfig({"allowed-root=" + first_.root(), "log-level=info"});
    ASSERT_TRUE(daemon_.StartWith({"--config", config_path()}));
    // One connection for the whole test: a reload must not drop it.
    client_ = MakeClient(daemon_.address());
  }

  void TearDown() override {
    client_.reset();
    EXPECT_TRUE(daemon_.Stop());
    if (HasFailure()) std::fprintf(stderr, "--- sidecard log ---\n%s", daemon_.Log().c_str());
  }

  std::string config_path() { return daemon_.run_dir().Path("sidecard.conf"); }

  void WriteConfig(const std::vector<std::string>& lines) {
    std::string text = "# written by reload_test\n";
    for (const std::string& line : lines) text += line + "\n";
    daemon_.run_dir().WriteFile("sidecard.conf", text);
  }

  // SIGHUP, then waits for the daemon to log the reload's outcome.
  void Reload() {
    const auto outcomes = [this] {
      const std::string log = daemon_.Log();
      return Count(log, "reloaded: ") + Count(log, "reload failed");
    };
    const size_t before = outcomes();
    daemon_.Signal(SIGHUP);
    ASSERT_TRUE(Eventually([&] { return outcomes() > before; })) << daemon_.Log();
  }

  static size_t Count(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

  grpc::StatusCode StatsCode(const std::string& root) {
    v1::StatsRequest request;
    request.set_root(root);
    v1::StatsResponse stats;
    return client_->Stats(request, &stats).error_code();
  }

  v1::GetServerInfoResponse Info() {
    v1::GetServerInfoResponse info;
    EXPECT_TRUE(client_->GetServerInfo(&info).ok());
    return info;
  }

  testing::TempTree first_;
  testing::TempTree second_;
  DaemonProcess daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(ReloadTest, AllowedRootsFollowTheConfigFile) {
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::PERMISSION_DENIED);

  WriteConfig({"allowed-root=" + first_.root(), "allowed-root=" + second_.root()});
  Reload();
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::OK);
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
  EXPECT_EQ(StrVec(Info().allowed_roots()),
            (std::vector<std::string>{first_.root(), second_.root()}));

  WriteConfig({"allowed-root=" + second_.root()});
  Reload();
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::OK);
  EXPECT_NE(daemon_.Log().find("reloaded: allowed roots " + second_.root()), std::string::npos);
}

TEST_F(ReloadTest, LogLevelFollowsTheConfigFile) {
  EXPECT_EQ(Info().log_level(), "info");
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
  EXPECT_TRUE(daemon_.WaitForLog("call method=Stats"));

  WriteConfig({"allowed-root=" + first_.root(), "log-level=warn"});
  Reload();
  EXPECT_EQ(Info().log_level(), "warn");
  const std::string log_before = daemon_.Log();
  // Successful calls log at info: no longer shown. Failed calls still are.
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(daemon_.WaitForLog("status=PERMISSION_DENIED"));
  const std::string added = daemon_.Log().substr(log_before.size());
  EXPECT_EQ(added.find("call method=Stats peer=unix: root=" + first_.root()), std::string::npos)
      << added;

  WriteConfig({"allowed-root=" + first_.root(), "log-level=debug"});
  Reload();
  EXPECT_EQ(Info().log_level(), "debug");
}

TEST_F(ReloadTest, BadConfigurationKeepsEverySetting) {
  // A flag that does not exist: nothing applies, not even the valid lines.
  WriteConfig({"allowed-root=" + second_.root(), "log-level=warn", "no-such-flag=1"});
  Reload();
  EXPECT_TRUE(
      daemon_.WaitForLog("reload failed, keeping the old settings: unknown flag --no-such-flag"));
  EXPECT_EQ(Info().log_level(), "info");
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::PERMISSION_DENIED);

  // A root that does not exist.
  WriteConfig({"allowed-root=" + first_.Path("gone")});
  Reload();
  EXPECT_TRUE(daemon_.WaitForLog("reload failed, keeping the old settings: "));
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);

  // A config file that cannot be read.
  std::filesystem::remove(config_path());
  Reload();
  EXPECT_TRUE(daemon_.WaitForLog("--config: cannot read"));
  EXPECT_EQ(StatsCode(first_.root()), grpc::StatusCode::OK);
}

TEST_F(ReloadTest, FlagsThatNeedARestartAreReportedNotApplied) {
  WriteConfig({"allowed-root=" + first_.root(), "workers=7"});
  Reload();
  EXPECT_TRUE(daemon_.WaitForLog("reload: --workers changed; it takes effect at the next restart"));
  EXPECT_NE(Info().workers(), 7);
}

TEST_F(ReloadTest, ConnectionsAndRunningCallsSurviveAReload) {
  for (int i = 0; i < 300; ++i) {
    first_.WriteBin("many/IMG_" + std::to_string(i) + ".bin", kFaceDoc);
  }
  v1::ValidateRequest request;
  request.set_root(first_.root());
  request.set_batch_size(1);
  int messages = 0;
  bool reloaded = false;
  const grpc::Status status = client_->Validate(request, [&](const v1::ValidateResponse&) {
    if (++messages == 1) {
      WriteConfig({"allowed-root=" + first_.root(), "allowed-root=" + second_.root()});
      Reload();
      reloaded = true;
    }
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reloaded);
  EXPECT_GT(messages, 300);
  EXPECT_EQ(StatsCode(second_.root()), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace sidecard::testing
