// `sidecarctl health`, the probe systemd, scripts and load balancers use:
// exit 0 while serving, 1 (NOT_SERVING) while draining, 3 once the daemon is
// down.
#include <csignal>
#include <thread>

#include "support/daemon_process.h"
#include "support/sidecar_documents.h"

namespace sidecard::testing {
namespace {

constexpr char kServiceName[] = "sidecar.v1.SidecarService";

v1::ValidateRequest ValidateEverything(const std::string& root) {
  v1::ValidateRequest request;
  request.set_root(root);
  request.set_batch_size(1);
  return request;
}

class HealthTest : public ::testing::Test {
 protected:
  RunResult Health(const std::string& service = "") {
    std::vector<std::string> args = {"--timeout", "5", "health"};
    if (!service.empty()) args.insert(args.end(), {"--service", service});
    return daemon_.Ctl(args);
  }

  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "--- sidecard log ---\n%s", daemon_.Log().c_str());
  }

  testing::TempTree photos_;
  DaemonProcess daemon_;
};

TEST_F(HealthTest, ServingThenNotServingDuringTheDrainNoticeThenDown) {
  ASSERT_TRUE(daemon_.StartWith({"--allowed-root", photos_.root(), "--drain-notice", "30"}));
  for (const std::string& service : {std::string(), std::string(kServiceName)}) {
    const RunResult serving = Health(service);
    EXPECT_EQ(serving.exit_code, 0) << serving;
    EXPECT_EQ(serving.out, "SERVING\n");
  }
  const RunResult unknown = Health("no.such.Service");
  EXPECT_NE(unknown.exit_code, 0) << unknown;

  const auto stop_requested = std::chrono::steady_clock::now();
  daemon_.Signal(SIGTERM);
  ASSERT_TRUE(daemon_.WaitForLog("reporting NOT_SERVING"));
  for (const std::string& service : {std::string(), std::string(kServiceName)}) {
    const RunResult draining = Health(service);
    EXPECT_EQ(draining.exit_code, 1) << draining;
    EXPECT_EQ(draining.out, "NOT_SERVING\n");
  }
  // Calls are still answered during the notice.
  v1::GetServerInfoResponse info;
  EXPECT_TRUE(MakeClient(daemon_.address())->GetServerInfo(&info).ok());

  // A second SIGTERM cuts the notice short.
  daemon_.Signal(SIGTERM);
  EXPECT_EQ(daemon_.WaitExit(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_requested, 20s);
  const RunResult down = Health();
  EXPECT_EQ(down.exit_code, 3) << down;
}

TEST_F(HealthTest, NotServingWhileInFlightCallsDrain) {
  // Enough reports that the stream fills gRPC's flow-control window when the
  // client reads none of them: the call stays in flight until the grace
  // period cuts it off.
  for (int i = 0; i < 1000; ++i) {
    photos_.WriteBin("p/IMG_" + std::to_string(i) + ".bin", kFaceDoc);
  }
  ASSERT_TRUE(daemon_.StartWith({"--allowed-root", photos_.root(), "--grace-period", "4"}));
  {
    auto channel = grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials());
    auto stub = v1::SidecarService::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->Validate(&context, ValidateEverything(photos_.root()));
    v1::ValidateResponse first;
    ASSERT_TRUE(stream->Read(&first));  // the call runs; now stop reading

    daemon_.Signal(SIGTERM);
    ASSERT_TRUE(daemon_.WaitForLog("draining"));
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(daemon_.running()) << "the held call did not keep the daemon draining";
    // Probes are still answered while running calls drain; new calls are not.
    const RunResult draining = Health();
    EXPECT_EQ(draining.exit_code, 1) << draining;
    EXPECT_EQ(draining.out, "NOT_SERVING\n");
    v1::GetServerInfoResponse info;
    // One attempt: the client's retries would outlast the refusal.
    Client once({.address = daemon_.address(), .timeout = 10s, .max_attempts = 1});
    EXPECT_EQ(once.GetServerInfo(&info).error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_TRUE(daemon_.running()) << "the daemon ended before the probe: the test proves nothing";
    // Hang up: the daemon waits for open connections too.
    context.TryCancel();
  }
  EXPECT_EQ(daemon_.WaitExit(), 0);
  EXPECT_EQ(Health().exit_code, 3);
}

}  // namespace
}  // namespace sidecard::testing
