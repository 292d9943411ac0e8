// The daemon's limits, each exceeded against the real daemon: concurrent
// calls, the default deadline, files per request, message sizes, and a slow
// reader of a large stream (the daemon's memory stays bounded while the
// client pauses, and the client still gets everything when it resumes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;

// A sidecar document of about `bytes` bytes (faces with embeddings).
std::string LargeDocument(size_t bytes) {
  std::string doc = R"({"face_detection":{"insightface":{"faces":[)";
  for (int face = 0; doc.size() < bytes; ++face) {
    if (face > 0) doc += ',';
    doc += R"({"face_id":)" + std::to_string(face) + R"(,"embedding":[)";
    for (int i = 0; i < 16; ++i) {
      doc += (i > 0 ? "," : "") + std::to_string(0.001 * (face % 997) + 0.0001 * i);
    }
    doc += "]}";
  }
  doc += R"(],"success":true}},"sidecar_info":{"operation_type":"face_detection"}})";
  return doc;
}

// Under a sanitizer the daemon's memory figures say little (ASan keeps freed
// memory in quarantine, shadow memory grows): the bounds are then only
// printed.
constexpr bool kMemoryFiguresMeaningful = !kUnderSanitizer;

// A figure of /proc/PID/status in bytes (VmRSS: resident memory now; VmHWM:
// its peak since the start), or -1.
int64_t MemoryFigure(pid_t pid, const std::string& name = "VmRSS") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stoll(line.substr(name.size() + 1)) * 1024;
  }
  return -1;
}

// An Export stream the test reads at its own pace.
struct HeldExport {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::ExportResponse>> reader;
};

class LimitsTest : public DaemonTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = extra_args_;
    return options;
  }

  // Restarts the daemon with `args` added.
  void Restart(std::vector<std::string> args) {
    client_.reset();
    if (daemon_.running()) {
      ASSERT_TRUE(daemon_.Stop());
    }
    extra_args_ = std::move(args);
    ASSERT_TRUE(daemon_.Start(MakeDaemonOptions()));
    client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 30s});
  }

  // `images` images below big/, each with a .json sidecar of about
  // `doc_bytes` (hard links of one file, so the disk holds it once), one per
  // folder, or all in big/ when `one_folder`. Returns the size of one sidecar.
  size_t MakeLargeTree(int images, size_t doc_bytes, bool one_folder = false) {
    const std::string doc = LargeDocument(doc_bytes);
    const auto stem = [one_folder](int i) {
      return one_folder ? "big/IMG_" + std::to_string(i) : "big/" + std::to_string(i) + "/IMG";
    };
    tree_.WriteFile(stem(0) + ".json", doc);
    for (int i = 0; i < images; ++i) {
      tree_.WriteFile(stem(i) + ".jpg", "");
      if (i > 0) {
        EXPECT_EQ(link(P(stem(0) + ".json").c_str(), P(stem(i) + ".json").c_str()), 0);
      }
    }
    Share();
    return doc.size();
  }

  // big/: one image with a .json sidecar of about 15 MiB and a few with
  // normal ones. Returns the size of the large sidecar.
  size_t MakeTreeWithOneLargeSidecar() {
    const std::string doc = LargeDocument(15u << 20);
    tree_.WriteFile("big/IMG_big.jpg", "");
    tree_.WriteFile("big/IMG_big.json", doc);
    for (int i = 0; i < 4; ++i) {
      tree_.WriteFile("big/IMG_" + std::to_string(i) + ".jpg", "");
      tree_.WriteBin("big/IMG_" + std::to_string(i) + ".bin", kFaceDoc);
    }
    Share();
    return doc.size();
  }

  std::unique_ptr<HeldExport> StartExport(const std::string& root) {
    if (stub_ == nullptr) {
      stub_ = v1::SidecarService::NewStub(
          grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials()));
    }
    auto held = std::make_unique<HeldExport>();
    v1::ExportRequest request;
    request.set_root(root);
    request.set_format(v1::EXPORT_FORMAT_JSONL);
    held->reader = stub_->Export(&held->context, request);
    return held;
  }

  v1::GetServerInfoResponse Info() {
    v1::GetServerInfoResponse info;
    EXPECT_TRUE(client_->GetServerInfo(&info).ok());
    return info;
  }

  // Waits until the daemon serves no call but the GetServerInfo asking.
  bool WaitUntilIdle() {
    for (int i = 0; i < 500; ++i) {
      if (Info().active_calls() <= 1) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::vector<std::string> extra_args_;
  std::unique_ptr<v1::SidecarService::Stub> stub_;
};

// Two streams held open by clients that do not read fill
// --max-concurrent-calls=2; a third call is refused at once with
// RESOURCE_EXHAUSTED naming the limit, and is served once a slot is free.
TEST_F(LimitsTest, ExcessConcurrentCallsAreRefusedWithTheLimitNamed) {
  MakeLargeTree(32, 1u << 20);
  Restart({"--max-concurrent-calls", "2"});
  std::vector<std::unique_ptr<HeldExport>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(StartExport(P("big")));
    v1::ExportResponse first;
    ASSERT_TRUE(held.back()->reader->Read(&first));  // admitted and running
  }
  v1::StatsRequest request;
  request.set_root(tree_.root());
  v1::StatsResponse stats;
  const grpc::Status refused = client_->Stats(request, &stats);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "2 calls already in progress (--max-concurrent-calls); retry later");

  held[0]->context.TryCancel();
  held[0]->reader->Finish();
  grpc::Status served;
  for (int attempt = 0; attempt < 200; ++attempt) {  // the slot frees as the handler ends
    served = client_->Stats(request, &stats);
    if (served.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(served.ok()) << served.error_message();
  EXPECT_EQ(stats.total_images(), 32);
  held[1]->context.TryCancel();
  held[1]->reader->Finish();
  // The refusal is counted like any other failed call.
  EXPECT_TRUE(WaitUntilIdle());
  const v1::GetServerInfoResponse info = Info();
  int64_t refusals = 0;
  for (const v1::MethodFigures& method : info.methods()) {
    if (method.method() == "Stats") refusals = method.calls_by_status().at("RESOURCE_EXHAUSTED");
  }
  EXPECT_GE(refusals, 1);
}

// A call without a deadline of its own gets the daemon's: a client reading
// a long export slowly is stopped with DEADLINE_EXCEEDED and a message that
// names --default-deadline.
TEST_F(LimitsTest, CallsWithoutDeadlineStopAtTheDefaultDeadline) {
  MakeLargeTree(64, 1u << 20);
  Restart({"--default-deadline", "1"});
  auto held = StartExport(P("big"));
  v1::ExportResponse message;
  int64_t received = 0;
  const auto start = std::chrono::steady_clock::now();
  while (held->reader->Read(&message)) {
    received += static_cast<int64_t>(message.chunk().size());
    std::this_thread::sleep_for(5ms);  // a slow reader, not a stopped one
  }
  const grpc::Status status = held->reader->Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("default deadline: stopped after %.1f s, %lld bytes received\n", seconds,
              static_cast<long long>(received));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("--default-deadline"));
  EXPECT_THAT(status.error_message(), HasSubstr("1s"));
  EXPECT_TRUE(WaitUntilIdle());
  // A call with its own, longer deadline is not cut short by the default.
  v1::ValidateRequest request;
  request.set_root(P("big"));
  request.set_summary_only(true);
  const ValidateRun run = Validate(request);
  EXPECT_TRUE(run.status.ok()) << run.status.error_message();
}

// A client that stops reading entirely (its handler is blocked in a write)
// is cut off a grace period after the default deadline: the call ends and
// frees its slot.
TEST_F(LimitsTest, StoppedReaderWithoutDeadlineIsCutOff) {
  MakeLargeTree(32, 1u << 20);
  Restart({"--default-deadline", "1", "--max-concurrent-calls", "1"});
  auto held = StartExport(P("big"));
  v1::ExportResponse first;
  ASSERT_TRUE(held->reader->Read(&first));
  // Past the deadline and the grace period, the slot is free again.
  grpc::Status served;
  int attempts = 0;
  v1::StatsRequest request;
  request.set_root(P("big"));
  v1::StatsResponse stats;
  for (; attempts < 150; ++attempts) {
    served = client_->Stats(request, &stats);
    if (served.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(served.ok()) << served.error_message();
  EXPECT_GT(attempts, 0);  // it was held for a while first
  v1::ExportResponse rest;
  while (held->reader->Read(&rest)) {
  }
  const grpc::Status status = held->reader->Finish();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(daemon_.Log(), HasSubstr("--default-deadline"));
}

// A tree with more files than --max-files-per-request: every tree operation
// stops with RESOURCE_EXHAUSTED naming the limit and the root; Cleanup
// reports what it did before stopping and touches nothing after; a subfolder
// within the limit is served.
TEST_F(LimitsTest, TreeOperationsStopAtMaxFilesPerRequest) {
  // a/, b/, c/: 3 images with sidecars and 3 orphans each (9 files per folder).
  for (const char* dir : {"a", "b", "c"}) {
    for (int i = 0; i < 3; ++i) {
      const std::string stem = std::string(dir) + "/IMG_" + std::to_string(i);
      tree_.WriteFile(stem + ".jpg", "");
      tree_.WriteBin(stem + ".bin", kFaceDoc);
      tree_.WriteBin(std::string(dir) + "/GONE_" + std::to_string(i) + ".bin", kFaceDoc);
    }
  }
  Share();
  Restart({"--max-files-per-request", "12"});
  const std::string limit_text = "more than 12 files (images and sidecars) under " + tree_.root();

  const ValidateRun validated = Validate(tree_.root());
  EXPECT_EQ(validated.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(validated.status.error_message(), HasSubstr(limit_text));
  EXPECT_THAT(validated.status.error_message(), HasSubstr("--max-files-per-request"));
  EXPECT_EQ(validated.summaries, 0);

  v1::StatsResponse stats;
  const grpc::Status stats_status = Stats(tree_.root(), stats);
  EXPECT_EQ(stats_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(stats_status.error_message(), HasSubstr(limit_text));

  v1::ExportRequest export_request;
  export_request.set_root(tree_.root());
  const grpc::Status exported = client_->Export(export_request, [](const v1::ExportResponse&) {});
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(exported.error_message(), HasSubstr(limit_text));

  v1::ConvertRequest convert_request;
  convert_request.set_root(tree_.root());
  convert_request.set_target_format(v1::SIDECAR_FORMAT_JSON);
  const grpc::Status converted =
      client_->Convert(convert_request, [](const v1::ConvertResponse&) {});
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(converted.error_message(), HasSubstr(limit_text));

  // Cleanup (delete): a/ fits (9 files), b/ would make 18. The orphans of a/
  // are deleted and reported; b/ and c/ are untouched.
  const CleanupRun cleaned = Cleanup(tree_.root(), v1::CLEANUP_MODE_DELETE);
  EXPECT_EQ(cleaned.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(cleaned.status.error_message(), HasSubstr(limit_text));
  EXPECT_THAT(cleaned.status.error_message(), HasSubstr("stopped at " + P("b")));
  std::map<std::string, std::string> expected_actions;
  for (int i = 0; i < 3; ++i) {
    expected_actions[P("a/GONE_" + std::to_string(i) + ".bin")] = "CLEANUP_ACTION_DELETED";
  }
  EXPECT_EQ(CleanupActions(cleaned), expected_actions);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(tree_.Exists("a/GONE_" + std::to_string(i) + ".bin"));
    EXPECT_TRUE(tree_.Exists("b/GONE_" + std::to_string(i) + ".bin"));
    EXPECT_TRUE(tree_.Exists("c/GONE_" + std::to_string(i) + ".bin"));
  }

  // A subfolder within the limit is served in full.
  const ValidateRun within = Validate(P("b"));
  EXPECT_TRUE(within.status.ok()) << within.status.error_message();
  EXPECT_EQ(within.summary.total_files(), 6);
}

// SaveSidecar payloads: over --max-payload-bytes is refused by the daemon,
// a message over the gRPC receive limit (payload limit + 1 MiB) by gRPC;
// both RESOURCE_EXHAUSTED, nothing written.
TEST_F(LimitsTest, OversizedRequestsAreResourceExhausted) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  Restart({"--max-payload-bytes", "1000"});
  v1::SaveSidecarRequest request;
  request.set_image_path(P("IMG_1.jpg"));
  request.set_operation("face_detection");
  request.set_payload_json(R"({"pad":")" + std::string(2000, 'x') + R"("})");
  v1::SaveSidecarResponse response;
  const grpc::Status over_payload = client_->SaveSidecar(request, &response);
  EXPECT_EQ(over_payload.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over_payload.error_message(), HasSubstr("over the limit of 1000"));
  EXPECT_THAT(over_payload.error_message(), HasSubstr("--max-payload-bytes"));

  request.set_payload_json(R"({"pad":")" + std::string(3u << 20, 'x') + R"("})");
  const grpc::Status over_message = client_->SaveSidecar(request, &response);
  EXPECT_EQ(over_message.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::printf("oversized message: %s\n", over_message.error_message().c_str());
  EXPECT_FALSE(tree_.Exists("IMG_1.bin"));
  // The daemon is fine afterwards.
  request.set_payload_json(R"({"success":true})");
  EXPECT_TRUE(client_->SaveSidecar(request, &response).ok());
}

// A client that reads one message of a large export and pauses: the
// daemon's handler waits on flow control, so its memory does not grow with
// the output; after the pause the client reads everything.
TEST_F(LimitsTest, SlowReaderDoesNotMakeTheDaemonBuffer) {
  constexpr int kImages = 128;
  constexpr int64_t kGrowthBound = 48ll << 20;
  const size_t doc_bytes = MakeLargeTree(kImages, 1u << 20);
  auto held = StartExport(P("big"));
  v1::ExportResponse message;
  ASSERT_TRUE(held->reader->Read(&message));
  int64_t received = static_cast<int64_t>(message.chunk().size());
  std::this_thread::sleep_for(300ms);  // let it fill whatever buffers there are
  const int64_t baseline = MemoryFigure(daemon_.pid());
  ASSERT_GT(baseline, 0);
  int64_t peak = baseline;
  for (int i = 0; i < 15; ++i) {
    std::this_thread::sleep_for(100ms);
    peak = std::max(peak, MemoryFigure(daemon_.pid()));
  }
  v1::ExportSummary summary;
  while (held->reader->Read(&message)) {
    received += static_cast<int64_t>(message.chunk().size());
    if (message.has_summary()) summary = message.summary();
  }
  const grpc::Status status = held->reader->Finish();
  std::printf(
      "slow reader: export of %lld bytes; daemon RSS %lld MiB after the first message, "
      "peak %lld MiB while paused (growth %lld KiB, bound %lld MiB)\n",
      static_cast<long long>(received), static_cast<long long>(baseline >> 20),
      static_cast<long long>(peak >> 20), static_cast<long long>((peak - baseline) >> 10),
      static_cast<long long>(kGrowthBound >> 20));
  ASSERT_TRUE(status.ok()) << status.error_message();
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(peak - baseline, kGrowthBound);
  }
  EXPECT_EQ(summary.exported(), kImages);
  EXPECT_EQ(summary.output_bytes(), received);
  EXPECT_GT(received, static_cast<int64_t>(kImages * doc_bytes / 2));
  EXPECT_GT(received, 2 * kGrowthBound);  // the bound means something
}

// Export loads a folder's documents in parallel batches; a folder of large
// sidecars is cut into batches of bounded bytes, so the daemon's peak memory
// stays far below the folder's size.
TEST_F(LimitsTest, FolderOfLargeSidecarsIsExportedInBoundedBatches) {
  constexpr int kImages = 128;
  constexpr int64_t kPeakBound = 96ll << 20;
  const size_t doc_bytes = MakeLargeTree(kImages, 1u << 20, /*one_folder=*/true);
  const int64_t before = MemoryFigure(daemon_.pid());
  v1::ExportRequest request;
  request.set_root(P("big"));
  int64_t received = 0;
  v1::ExportSummary summary;
  const grpc::Status status = client_->Export(request, [&](const v1::ExportResponse& message) {
    received += static_cast<int64_t>(message.chunk().size());
    if (message.has_summary()) summary = message.summary();
  });
  const int64_t peak = MemoryFigure(daemon_.pid(), "VmHWM");
  std::printf(
      "one folder of %d x %zu-byte sidecars: export of %lld bytes; daemon RSS %lld MiB "
      "before, peak %lld MiB (bound %lld MiB above the start)\n",
      kImages, doc_bytes, static_cast<long long>(received), static_cast<long long>(before >> 20),
      static_cast<long long>(peak >> 20), static_cast<long long>(kPeakBound >> 20));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.exported(), kImages);
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(peak - before, kPeakBound);
  }
  // The bound means something: the folder's files alone are larger, and
  // loading them all at once takes about three times their size.
  EXPECT_GT(static_cast<int64_t>(kImages * doc_bytes), kPeakBound);
}

// Sequential Exports of a tree with one 15 MiB sidecar, each cancelled after
// its first message: once they end, the daemon's memory is back near where
// it started. (Before malloc's thresholds were fixed, the arenas of the
// call threads kept what they freed: 115 MiB more after these calls, on 2
// cores; 10 MiB more since.)
TEST_F(LimitsTest, CancelledExportsGiveTheirMemoryBack) {
  constexpr int kCalls = 12;
  constexpr int64_t kGrowthBound = 48ll << 20;
  MakeTreeWithOneLargeSidecar();
  ASSERT_TRUE(WaitUntilIdle());
  const int64_t before = MemoryFigure(daemon_.pid());
  for (int i = 0; i < kCalls; ++i) {
    auto held = StartExport(P("big"));
    v1::ExportResponse first;
    ASSERT_TRUE(held->reader->Read(&first));
    held->context.TryCancel();
    held->reader->Finish();
  }
  ASSERT_TRUE(WaitUntilIdle());
  std::this_thread::sleep_for(200ms);  // the last handler thread ends
  const int64_t after = MemoryFigure(daemon_.pid());
  std::printf(
      "%d cancelled exports of a 15 MiB sidecar: daemon RSS %lld MiB before, %lld MiB "
      "after, peak %lld MiB (bound: %lld MiB of growth)\n",
      kCalls, static_cast<long long>(before >> 20), static_cast<long long>(after >> 20),
      static_cast<long long>(MemoryFigure(daemon_.pid(), "VmHWM") >> 20),
      static_cast<long long>(kGrowthBound >> 20));
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(after - before, kGrowthBound);
  }
}

// Exports held open by clients that read one message and stop: each call
// holds about its rendered output (the 15 MiB document once), not the
// decoded document and further copies of it (48 MiB each before, 10 since);
// the memory is returned when the calls are cancelled.
TEST_F(LimitsTest, AbandonedExportsHoldAboutTheirOutputOnce) {
  constexpr int kStreams = 12;
  constexpr int64_t kAfterBound = 48ll << 20;
  const size_t doc_bytes = MakeTreeWithOneLargeSidecar();
  const int64_t per_stream_bound = static_cast<int64_t>(doc_bytes) * 3 / 2;
  ASSERT_TRUE(WaitUntilIdle());
  const int64_t before = MemoryFigure(daemon_.pid());
  std::vector<std::unique_ptr<HeldExport>> held;
  for (int i = 0; i < kStreams; ++i) {
    held.push_back(StartExport(P("big")));
    v1::ExportResponse first;
    ASSERT_TRUE(held.back()->reader->Read(&first));
  }
  std::this_thread::sleep_for(300ms);  // let them fill whatever buffers there are
  const int64_t open = MemoryFigure(daemon_.pid());
  for (auto& each : held) {
    each->context.TryCancel();
    each->reader->Finish();
  }
  ASSERT_TRUE(WaitUntilIdle());
  std::this_thread::sleep_for(200ms);
  const int64_t after = MemoryFigure(daemon_.pid());
  std::printf(
      "%d abandoned exports of a %zu-byte sidecar: daemon RSS %lld MiB before, %lld MiB "
      "with them open (%lld MiB each, bound %lld), %lld MiB after\n",
      kStreams, doc_bytes, static_cast<long long>(before >> 20), static_cast<long long>(open >> 20),
      static_cast<long long>((open - before) / kStreams >> 20),
      static_cast<long long>(per_stream_bound >> 20), static_cast<long long>(after >> 20));
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(open - before, kStreams * per_stream_bound);
    EXPECT_LT(after - before, kAfterBound);
  }
}

}  // namespace
}  // namespace sidecard::testing
