// The real SidecarService served in this process over a temporary tree: one
// gRPC server with a Unix socket (trusted, as the daemon's) and an
// in-process channel (not a Unix socket, so a bearer token is needed). What
// each RPC needs, request checks, status codes and streaming, end to end
// through gRPC but without a daemon process.
#include "server/service/sidecar_service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/engine/cache/tree_cache.h"
#include "server/engine/store/image_locks.h"
#include "server/engine/store/sidecar_store.h"
#include "server/service/request_checks.h"
#include "support/temp_tree.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWriterToken[] = "in-process-writer-token-0001";
constexpr char kReaderToken[] = "in-process-reader-token-0002";
constexpr char kFaces[] =
    R"({"face_detection":{"insightface":{"faces":[{"face_id":0}],"success":true}},)"
    R"("sidecar_info":{"operation_type":"face_detection"}})";

// Who makes a call: over the Unix socket, or in process with a token (or none).
enum class Caller { kUnixSocket, kNoToken, kReader, kWriter };

class SidecarServiceTest : public ::testing::Test {
 protected:
  SidecarServiceTest() : pool_(2), store_(locks_, engine::kDefaultMaxSidecarBytes) {
    tree_.WriteFile("a/IMG_1.jpg", "jpeg");
    tree_.WriteBin("a/IMG_1.bin", kFaces);
    tree_.WriteFile("a/IMG_2.jpg", "jpeg");
    tree_.WriteBin("a/IMG_3.bin", kFaces);  // an orphan
  }

  ~SidecarServiceTest() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  // The daemon's settings; tests change them before Serve().
  ServiceConfig Config() {
    auto roots = engine::AllowedRoots::Create({tree_.root()});
    EXPECT_TRUE(roots.ok()) << roots.status();
    ServiceConfig config{"9.9.9-test", *roots, &pool_, &cache_};
    config.image_locks = &locks_;
    config.store = &store_;
    config.tokens = TokenTable({{Role::kReadWrite, kWriterToken}, {Role::kReadOnly, kReaderToken}});
    return config;
  }

  void Serve(ServiceConfig config) {
    // A test that changes the settings replaces the server of SetUp: it goes
    // first, the service it serves after.
    unix_stub_.reset();
    inproc_stub_.reset();
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
    service_ = std::make_unique<SidecarService>(std::move(config));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + run_.Path("sidecard.sock"),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    unix_stub_ = v1::SidecarService::NewStub(grpc::CreateChannel(
        "unix:" + run_.Path("sidecard.sock"), grpc::InsecureChannelCredentials()));
    inproc_stub_ = v1::SidecarService::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void SetUp() override { Serve(Config()); }

  // A context for `caller`, with a deadline so a hung call fails the test.
  std::unique_ptr<grpc::ClientContext> Context(Caller caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (caller == Caller::kReader) {
      context->AddMetadata("authorization", "Bearer " + std::string(kReaderToken));
    } else if (caller == Caller::kWriter) {
      context->AddMetadata("authorization", "Bearer " + std::string(kWriterToken));
    }
    return context;
  }
  v1::SidecarService::Stub& Stub(Caller caller) {
    return caller == Caller::kUnixSocket ? *unix_stub_ : *inproc_stub_;
  }

  grpc::Status Stats(Caller caller, const v1::StatsRequest& request,
                     v1::StatsResponse* response = nullptr) {
    v1::StatsResponse ignored;
    return Stub(caller).Stats(Context(caller).get(), request,
                              response != nullptr ? response : &ignored);
  }
  grpc::Status Stats(Caller caller, const std::string& root) {
    v1::StatsRequest request;
    request.set_root(root);
    return Stats(caller, request);
  }

  // Reads a whole server stream; returns its status and messages.
  template <typename Response, typename Request, typename Method>
  grpc::Status ReadAll(Caller caller, Method method, const Request& request,
                       std::vector<Response>* messages = nullptr) {
    auto context = Context(caller);
    auto reader = (Stub(caller).*method)(context.get(), request);
    Response message;
    while (reader->Read(&message)) {
      if (messages != nullptr) messages->push_back(message);
    }
    return reader->Finish();
  }
  grpc::Status Validate(Caller caller, const v1::ValidateRequest& request,
                        std::vector<v1::ValidateResponse>* messages = nullptr) {
    return ReadAll<v1::ValidateResponse>(caller, &v1::SidecarService::Stub::Validate, request,
                                         messages);
  }
  grpc::Status Cleanup(Caller caller, const v1::CleanupRequest& request,
                       std::vector<v1::CleanupResponse>* messages = nullptr) {
    return ReadAll<v1::CleanupResponse>(caller, &v1::SidecarService::Stub::Cleanup, request,
                                        messages);
  }
  grpc::Status Convert(Caller caller, const v1::ConvertRequest& request) {
    return ReadAll<v1::ConvertResponse>(caller, &v1::SidecarService::Stub::Convert, request);
  }
  grpc::Status Export(Caller caller, const v1::ExportRequest& request) {
    return ReadAll<v1::ExportResponse>(caller, &v1::SidecarService::Stub::Export, request);
  }
  grpc::Status Save(Caller caller, const v1::SaveSidecarRequest& request,
                    v1::SaveSidecarResponse* response = nullptr) {
    v1::SaveSidecarResponse ignored;
    return Stub(caller).SaveSidecar(Context(caller).get(), request,
                                    response != nullptr ? response : &ignored);
  }
  grpc::Status Read(Caller caller, const std::string& image, v1::ReadSidecarResponse* response) {
    v1::ReadSidecarRequest request;
    request.set_image_path(image);
    return Stub(caller).ReadSidecar(Context(caller).get(), request, response);
  }
  grpc::Status Info(Caller caller, v1::GetServerInfoResponse* response) {
    return Stub(caller).GetServerInfo(Context(caller).get(), v1::GetServerInfoRequest(), response);
  }

  v1::SaveSidecarRequest SaveRequest(const std::string& rel_image) {
    v1::SaveSidecarRequest request;
    request.set_image_path(tree_.Path(rel_image));
    request.set_operation("yolov8");
    request.set_payload_json(R"({"success":true,"objects":[]})");
    return request;
  }
  v1::CleanupRequest CleanupRequest(v1::CleanupMode mode) {
    v1::CleanupRequest request;
    request.set_root(tree_.root());
    request.set_mode(mode);
    return request;
  }
  v1::ConvertRequest ConvertRequest(bool apply) {
    v1::ConvertRequest request;
    request.set_root(tree_.root());
    request.set_target_format(v1::SIDECAR_FORMAT_JSON);
    request.set_apply(apply);
    return request;
  }

  testing::TempTree tree_;
  testing::TempTree run_;
  engine::WorkerPool pool_;
  engine::TreeCache cache_{engine::TreeCacheOptions{}};  // remembers nothing
  engine::ImageLocks locks_;
  engine::SidecarStore store_;
  std::unique_ptr<SidecarService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SidecarService::Stub> unix_stub_;
  std::unique_ptr<v1::SidecarService::Stub> inproc_stub_;
};

TEST_F(SidecarServiceTest, TheUnixSocketIsTrustedWithFullAccess) {
  v1::StatsRequest request;
  request.set_root(tree_.root());
  v1::StatsResponse stats;
  ASSERT_TRUE(Stats(Caller::kUnixSocket, request, &stats).ok());
  EXPECT_EQ(stats.total_images(), 2);
  EXPECT_EQ(stats.orphaned_sidecars(), 1);
  v1::SaveSidecarResponse saved;
  const grpc::Status status = Save(Caller::kUnixSocket, SaveRequest("a/IMG_2.jpg"), &saved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(saved.created());
  EXPECT_EQ(saved.sidecar().raw_path(), tree_.Path("a/IMG_2.bin"));
  EXPECT_TRUE(tree_.Exists("a/IMG_2.bin"));
}

TEST_F(SidecarServiceTest, AnyOtherPeerNeedsAToken) {
  const grpc::Status status = Stats(Caller::kNoToken, tree_.root());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("missing bearer token"));
  EXPECT_TRUE(Stats(Caller::kReader, tree_.root()).ok());
  EXPECT_TRUE(Stats(Caller::kWriter, tree_.root()).ok());
}

TEST_F(SidecarServiceTest, WhatEachCallNeeds) {
  // A read-only token: everything that only reads passes, every write is refused.
  const Caller reader = Caller::kReader;
  v1::ValidateRequest validate;
  validate.set_root(tree_.root());
  EXPECT_TRUE(Validate(reader, validate).ok());
  EXPECT_TRUE(Stats(reader, tree_.root()).ok());
  v1::ReadSidecarResponse read;
  EXPECT_TRUE(Read(reader, tree_.Path("a/IMG_1.jpg"), &read).ok());
  v1::GetServerInfoResponse info;
  EXPECT_TRUE(Info(reader, &info).ok());
  v1::ExportRequest export_request;
  export_request.set_root(tree_.root());
  EXPECT_TRUE(Export(reader, export_request).ok());
  EXPECT_TRUE(Cleanup(reader, CleanupRequest(v1::CLEANUP_MODE_DRY_RUN)).ok());
  EXPECT_TRUE(Cleanup(reader, CleanupRequest(v1::CLEANUP_MODE_UNSPECIFIED)).ok());
  EXPECT_TRUE(Convert(reader, ConvertRequest(/*apply=*/false)).ok());

  for (const grpc::Status& refused : {Save(reader, SaveRequest("a/IMG_2.jpg")),
                                      Cleanup(reader, CleanupRequest(v1::CLEANUP_MODE_DELETE)),
                                      Cleanup(reader, CleanupRequest(v1::CLEANUP_MODE_QUARANTINE)),
                                      Convert(reader, ConvertRequest(/*apply=*/true))}) {
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(refused.error_message(), HasSubstr("needs a read-write token"));
  }
  // Nothing changed on disk.
  EXPECT_FALSE(tree_.Exists("a/IMG_2.bin"));
  EXPECT_TRUE(tree_.Exists("a/IMG_3.bin"));
  EXPECT_FALSE(tree_.Exists("a/IMG_1.json"));

  // A read-write token may write.
  EXPECT_TRUE(Save(Caller::kWriter, SaveRequest("a/IMG_2.jpg")).ok());
  EXPECT_TRUE(Cleanup(Caller::kWriter, CleanupRequest(v1::CLEANUP_MODE_DELETE)).ok());
  EXPECT_FALSE(tree_.Exists("a/IMG_3.bin"));
}

TEST_F(SidecarServiceTest, ReadOnlyModeRefusesWritesEvenOverTheUnixSocket) {
  ServiceConfig config = Config();
  config.read_only = true;
  Serve(std::move(config));
  const grpc::Status save = Save(Caller::kUnixSocket, SaveRequest("a/IMG_2.jpg"));
  EXPECT_EQ(save.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(save.error_message(), "daemon runs with --read-only: SaveSidecar would change files");
  EXPECT_EQ(Cleanup(Caller::kUnixSocket, CleanupRequest(v1::CLEANUP_MODE_DELETE)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Cleanup(Caller::kUnixSocket, CleanupRequest(v1::CLEANUP_MODE_DRY_RUN)).ok());
  EXPECT_TRUE(tree_.Exists("a/IMG_3.bin"));
  EXPECT_FALSE(tree_.Exists("a/IMG_2.bin"));
}

TEST_F(SidecarServiceTest, SetAccessAndSetAllowedRootsApplyToTheNextCall) {
  service_->SetAccess(true, TokenTable({{Role::kReadWrite, "rotated-token-000000000"}}));
  EXPECT_EQ(Stats(Caller::kWriter, tree_.root()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Save(Caller::kUnixSocket, SaveRequest("a/IMG_2.jpg")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  testing::TempTree other;
  service_->SetAllowedRoots(*engine::AllowedRoots::Create({other.root()}));
  EXPECT_EQ(Stats(Caller::kUnixSocket, tree_.root()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Stats(Caller::kUnixSocket, other.root()).ok());
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(Info(Caller::kUnixSocket, &info).ok());
  EXPECT_THAT(info.allowed_roots(), ElementsAre(other.root()));
}

TEST_F(SidecarServiceTest, RootsAreCheckedBeforeAnythingIsRead) {
  testing::TempTree outside;
  grpc::Status status = Stats(Caller::kUnixSocket, outside.root());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr(outside.root()));

  status = Stats(Caller::kUnixSocket, tree_.Path("gone"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(tree_.Path("gone")));

  status = Stats(Caller::kUnixSocket, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::StatsRequest both;
  both.set_root(tree_.root());
  both.set_raw_root(tree_.root());
  status = Stats(Caller::kUnixSocket, both);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("root and raw_root are both set"));
}

TEST_F(SidecarServiceTest, TreeRequestsAreChecked) {
  v1::ValidateRequest validate;
  validate.set_root(tree_.root());
  validate.set_operation_filter("Face-Detection");
  EXPECT_EQ(Validate(Caller::kUnixSocket, validate).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  validate.set_operation_filter("");
  validate.set_batch_size(kMaxBatchSize + 1);
  const grpc::Status batch = Validate(Caller::kUnixSocket, validate);
  EXPECT_EQ(batch.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(batch.error_message(), HasSubstr("batch_size"));

  v1::CleanupRequest cleanup = CleanupRequest(v1::CLEANUP_MODE_DRY_RUN);
  cleanup.set_min_age_seconds(-1);
  const grpc::Status age = Cleanup(Caller::kUnixSocket, cleanup);
  EXPECT_EQ(age.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(age.error_message(), "min_age_seconds: must not be negative");
  const grpc::Status mode =
      Cleanup(Caller::kUnixSocket, CleanupRequest(static_cast<v1::CleanupMode>(17)));
  EXPECT_EQ(mode.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(mode.error_message(), "mode: unknown value");
  // An unknown mode counts as removing files: a read-only token hears "no" first.
  EXPECT_EQ(Cleanup(Caller::kReader, CleanupRequest(static_cast<v1::CleanupMode>(17))).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ConvertRequest convert = ConvertRequest(false);
  convert.set_target_format(v1::SIDECAR_FORMAT_UNSPECIFIED);
  EXPECT_EQ(Convert(Caller::kUnixSocket, convert).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ExportRequest export_request;
  export_request.set_root(tree_.root());
  export_request.set_format(v1::EXPORT_FORMAT_CSV);
  export_request.set_content(v1::EXPORT_CONTENT_DOCUMENTS);
  EXPECT_EQ(Export(Caller::kUnixSocket, export_request).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SidecarServiceTest, SaveRequestsAreChecked) {
  const auto refused = [&](v1::SaveSidecarRequest request) {
    const grpc::Status status = Save(Caller::kUnixSocket, request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return status.error_message();
  };
  v1::SaveSidecarRequest request = SaveRequest("a/IMG_2.jpg");
  request.set_operation("");
  EXPECT_EQ(refused(request), "operation: required");
  request.set_operation("Yolo V8");
  EXPECT_THAT(refused(request), HasSubstr("operation: 'Yolo V8' is not an operation name"));
  request = SaveRequest("a/IMG_2.jpg");
  request.set_backend(std::string(129, 'b'));
  EXPECT_EQ(refused(request), "backend: at most 128 characters, no NUL");
  request = SaveRequest("a/IMG_2.jpg");
  request.set_payload_json("[1, 2]");
  EXPECT_EQ(refused(request), "payload_json: must be a JSON object");
  request.set_payload_json("{not json");
  EXPECT_THAT(refused(request), HasSubstr("payload_json: "));
  request = SaveRequest("a/IMG_2.jpg");
  request.set_format(static_cast<v1::SidecarFormat>(12));
  EXPECT_EQ(refused(request), "format: unknown value");
  EXPECT_FALSE(tree_.Exists("a/IMG_2.bin"));
}

TEST_F(SidecarServiceTest, APayloadOverTheLimitIsResourceExhausted) {
  ServiceConfig config = Config();
  config.max_payload_bytes = 16;
  Serve(std::move(config));
  v1::SaveSidecarRequest request = SaveRequest("a/IMG_2.jpg");
  request.set_payload_json(R"({"success":true,"objects":[1,2,3]})");
  const grpc::Status status = Save(Caller::kUnixSocket, request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("over the limit of 16 (--max-payload-bytes)"));
}

TEST_F(SidecarServiceTest, SaveThenReadMapsPathsAndFormat) {
  v1::SaveSidecarRequest request = SaveRequest("a/IMG_2.jpg");
  request.set_format(v1::SIDECAR_FORMAT_JSON);
  v1::SaveSidecarResponse saved;
  ASSERT_TRUE(Save(Caller::kUnixSocket, request, &saved).ok());
  EXPECT_EQ(saved.format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_EQ(saved.sidecar().path(), tree_.Path("a/IMG_2.json"));
  EXPECT_GT(saved.size_bytes(), 0);

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read(Caller::kUnixSocket, tree_.Path("a/IMG_2.jpg"), &read).ok());
  EXPECT_TRUE(read.found());
  EXPECT_EQ(read.format(), v1::SIDECAR_FORMAT_JSON);
  EXPECT_EQ(read.sidecar().raw_path(), tree_.Path("a/IMG_2.json"));
  EXPECT_EQ(read.image().raw_path(), tree_.Path("a/IMG_2.jpg"));
  EXPECT_THAT(read.document_json(), HasSubstr("\"yolov8\""));
}

TEST_F(SidecarServiceTest, ValidateStreamsBatchesThenTheSummaryWithRawPaths) {
  // A name that is not UTF-8 travels as bytes, and as escaped text.
  tree_.WriteBin("b/Pokal\xE4nderung.bin", kFaces);
  for (int i = 0; i < 4; ++i) tree_.WriteBin("b/IMG_" + std::to_string(i) + ".bin", kFaces);
  v1::ValidateRequest request;
  request.set_root(tree_.Path("b"));
  request.set_batch_size(2);
  std::vector<v1::ValidateResponse> messages;
  ASSERT_TRUE(Validate(Caller::kUnixSocket, request, &messages).ok());
  std::vector<int> batch_sizes;
  std::vector<std::string> raw_paths;
  for (const v1::ValidateResponse& message : messages) {
    batch_sizes.push_back(message.reports_size());
    for (const v1::FileReport& report : message.reports()) {
      raw_paths.push_back(report.file().raw_path());
    }
  }
  // Five reports in threes of at most two, then the summary alone.
  EXPECT_THAT(batch_sizes, ElementsAre(2, 2, 1, 0));
  ASSERT_TRUE(messages.back().has_summary());
  EXPECT_EQ(messages.back().summary().total_files(), 5);
  EXPECT_EQ(messages.back().summary().orphans(), 5);
  ASSERT_EQ(raw_paths.size(), 5u);
  EXPECT_EQ(raw_paths.back(), tree_.Path("b/Pokal\xE4nderung.bin"));
  EXPECT_EQ(messages[2].reports(0).file().path(), tree_.Path("b/Pokal\\xE4nderung.bin"));
}

TEST_F(SidecarServiceTest, TheFileLimitStopsATreeCall) {
  ServiceConfig config = Config();
  config.max_files_per_request = 2;
  Serve(std::move(config));
  const grpc::Status status = Stats(Caller::kUnixSocket, tree_.root());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("more than 2 files"));
}

TEST_F(SidecarServiceTest, GetServerInfoCountsCallsByMethodAndStatus) {
  ASSERT_TRUE(Stats(Caller::kUnixSocket, tree_.root()).ok());
  ASSERT_EQ(Stats(Caller::kUnixSocket, tree_.Path("gone")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(Stats(Caller::kNoToken, tree_.root()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(Info(Caller::kUnixSocket, &info).ok());
  EXPECT_EQ(info.version(), "9.9.9-test");
  EXPECT_EQ(info.workers(), 2);
  EXPECT_THAT(info.allowed_roots(), ElementsAre(tree_.root()));
  EXPECT_EQ(info.calls_by_method().at("Stats"), 3);
  EXPECT_EQ(info.failed_calls(), 2);
  EXPECT_EQ(info.active_calls(), 1);  // this very call
  ASSERT_EQ(info.methods_size(), 1);  // GetServerInfo counts once it finishes
  const v1::MethodFigures& stats = info.methods(0);
  EXPECT_EQ(stats.method(), "Stats");
  EXPECT_EQ(stats.failed_calls(), 2);
  EXPECT_EQ(stats.calls_by_status().at("OK"), 1);
  EXPECT_EQ(stats.calls_by_status().at("NOT_FOUND"), 1);
  EXPECT_EQ(stats.calls_by_status().at("UNAUTHENTICATED"), 1);
  EXPECT_FALSE(info.has_cache());  // no metadata cache configured
}

TEST_F(SidecarServiceTest, DrainingRefusesNewCalls) {
  EXPECT_TRUE(service_->DrainUntil(absl::Now() + absl::Seconds(5)));
  const grpc::Status status = Stats(Caller::kUnixSocket, tree_.root());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace sidecard::service
