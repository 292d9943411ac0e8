// Watch, the change feed, against a real daemon and real changes: every
// change of a scripted sequence arrives, in order, within a second; a client
// that reconnects with its cursor gets exactly what it missed; a slow
// subscriber, a cursor from another daemon, --no-watch and shutting down are
// answered explicitly.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using Clock = std::chrono::steady_clock;

// One item of the stream: a change or a reset.
struct Item {
  std::optional<v1::SidecarChange> change;
  std::optional<v1::WatchReset> reset;
};

// A Watch call read on a thread of its own, so a test can wait for the next
// item with a timeout.
class WatchReader {
 public:
  WatchReader(const std::string& address, const std::string& root, const std::string& cursor = "")
      : stub_(v1::SidecarService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    v1::WatchRequest request;
    request.set_root(root);
    request.set_cursor(cursor);
    reader_ = stub_->Watch(&context_, request);
    thread_ = std::thread([this] { Run(); });
  }
  ~WatchReader() {
    context_.TryCancel();
    thread_.join();
  }

  // The start cursor once the daemon confirmed the watch; nullopt if the
  // stream ended first or nothing came within `timeout`.
  std::optional<std::string> Started(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return started_.has_value() || finished_; });
    return started_;
  }

  // The next item, waiting up to `timeout`.
  std::optional<Item> Next(std::chrono::milliseconds timeout = 1s) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return !items_.empty() || finished_; });
    if (items_.empty()) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // The status the stream ended with, waiting up to `timeout`.
  std::optional<grpc::Status> Finished(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return finished_; });
    return finished_ ? std::optional(status_) : std::nullopt;
  }

  void Cancel() { context_.TryCancel(); }

 private:
  void Run() {
    v1::WatchResponse message;
    while (reader_->Read(&message)) {
      std::lock_guard lock(mutex_);
      if (message.has_started()) started_ = message.started().cursor();
      if (message.has_reset()) items_.push_back({std::nullopt, message.reset()});
      for (const v1::SidecarChange& change : message.changes()) {
        items_.push_back({change, std::nullopt});
      }
      ready_.notify_all();
    }
    grpc::Status status = reader_->Finish();
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
    finished_ = true;
    ready_.notify_all();
  }

  std::unique_ptr<v1::SidecarService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<std::string> started_;
  std::deque<Item> items_;
  bool finished_ = false;
  grpc::Status status_;
};

// "created IMG_2.json face_detection" or "removed IMG_2.json": a change as
// the tests expect it, its path relative to `root`.
std::string Describe(const v1::SidecarChange& change, const std::string& root) {
  std::string path = change.path().path();
  if (path.starts_with(root + "/")) path = path.substr(root.size() + 1);
  std::string text =
      v1::ChangeKind_Name(change.kind()).substr(sizeof("CHANGE_KIND_") - 1) + " " + path;
  for (const std::string& operation : change.operations()) text += " " + operation;
  return text;
}

class ChangeFeedTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    tree_.WriteFile("IMG_1.jpg", "jpeg");
    tree_.WriteBin("IMG_1.bin", kFaceDoc);
    tree_.WriteFile("IMG_2.jpg", "jpeg");
    tree_.WriteFile("IMG_3.jpg", "jpeg");
    tree_.WriteFile("notes.txt", "not a sidecar");
    Share();
  }

  // The next item must be a change, within 1 s of `since`; returns it described.
  std::string NextChange(WatchReader& watch, Clock::time_point since) {
    std::optional<Item> item = watch.Next(2s);
    if (!item) return "nothing within 2 s";
    if (item->reset) return "reset: " + item->reset->message();
    const auto latency = Clock::now() - since;
    EXPECT_LT(latency, 1s) << Describe(*item->change, tree_.root());
    last_cursor_ = item->change->cursor();
    return Describe(*item->change, tree_.root());
  }

  // Nothing more arrives within `quiet`.
  void ExpectQuiet(WatchReader& watch, std::chrono::milliseconds quiet = 300ms) {
    if (std::optional<Item> item = watch.Next(quiet)) {
      ADD_FAILURE() << "unexpected: "
                    << (item->reset ? "reset " + item->reset->message()
                                    : Describe(*item->change, tree_.root()));
    }
  }

  grpc::Status SaveThroughDaemon(const std::string& rel_image) {
    v1::SaveSidecarRequest request;
    request.set_image_path(P(rel_image));
    request.set_operation("yolov8");
    request.set_payload_json(R"({"success": true, "objects": []})");
    v1::SaveSidecarResponse response;
    return client_->SaveSidecar(request, &response);
  }

  std::string last_cursor_;
};

TEST_F(ChangeFeedTest, ReportsEveryChangeOfAScriptInOrderWithinASecond) {
  WatchReader watch(daemon_.address(), tree_.root());
  ASSERT_TRUE(watch.Started());

  auto step = Clock::now();
  tree_.WriteFile("IMG_2.json", kYoloDoc);
  EXPECT_EQ(NextChange(watch, step), "CREATED IMG_2.json yolov8");

  step = Clock::now();
  tree_.WriteFile("IMG_2.json", kBothDoc);
  EXPECT_EQ(NextChange(watch, step), "CHANGED IMG_2.json face_detection yolov8");

  step = Clock::now();
  ASSERT_EQ(::rename(P("IMG_2.json").c_str(), P("IMG_3.json").c_str()), 0);
  EXPECT_EQ(NextChange(watch, step), "REMOVED IMG_2.json");
  EXPECT_EQ(NextChange(watch, step), "CREATED IMG_3.json face_detection yolov8");

  step = Clock::now();
  ASSERT_EQ(::unlink(P("IMG_3.json").c_str()), 0);
  EXPECT_EQ(NextChange(watch, step), "REMOVED IMG_3.json");

  step = Clock::now();
  tree_.MakeDir("2026/game");
  tree_.WriteFile("2026/game/IMG_9.jpg", "jpeg");
  tree_.WriteFile("2026/game/IMG_9.json", kFaceDoc);
  EXPECT_EQ(NextChange(watch, step), "CREATED 2026/game/IMG_9.json face_detection");

  step = Clock::now();
  ASSERT_TRUE(SaveThroughDaemon("IMG_1.jpg").ok());
  EXPECT_EQ(NextChange(watch, step), "CHANGED IMG_1.bin face_detection yolov8");

  // Images, other files and the daemon's working files are not reported.
  tree_.WriteFile("IMG_4.jpg", "jpeg");
  tree_.WriteFile("notes.txt", "still not a sidecar");
  tree_.WriteFile("package.json", R"({"name": "x"})");
  ExpectQuiet(watch);
}

TEST_F(ChangeFeedTest, ResumingFromACursorGetsExactlyTheMissedChanges) {
  std::string cursor;
  {
    WatchReader watch(daemon_.address(), tree_.root());
    ASSERT_TRUE(watch.Started());
    const auto step = Clock::now();
    tree_.WriteFile("IMG_2.json", kYoloDoc);
    EXPECT_EQ(NextChange(watch, step), "CREATED IMG_2.json yolov8");
    cursor = last_cursor_;
  }
  // Missed while no one watched.
  tree_.WriteFile("IMG_3.json", kFaceDoc);
  ASSERT_EQ(::unlink(P("IMG_2.json").c_str()), 0);
  // Let the daemon see them before the client comes back.
  std::this_thread::sleep_for(300ms);

  WatchReader resumed(daemon_.address(), tree_.root(), cursor);
  ASSERT_EQ(resumed.Started(), cursor);
  const auto now = Clock::now();
  EXPECT_EQ(NextChange(resumed, now), "CREATED IMG_3.json face_detection");
  EXPECT_EQ(NextChange(resumed, now), "REMOVED IMG_2.json");
  ExpectQuiet(resumed);
  // And it goes on live.
  const auto step = Clock::now();
  tree_.WriteFile("IMG_2.json", kFaceDoc);
  EXPECT_EQ(NextChange(resumed, step), "CREATED IMG_2.json face_detection");
}

TEST_F(ChangeFeedTest, ACursorItCannotResumeGetsAnExplicitReset) {
  {
    WatchReader other_daemon(daemon_.address(), tree_.root(), "c:0123456789abcdef:3");
    ASSERT_TRUE(other_daemon.Started());
    std::optional<Item> item = other_daemon.Next();
    ASSERT_TRUE(item && item->reset);
    EXPECT_EQ(item->reset->reason(), v1::WATCH_RESET_REASON_DAEMON_RESTARTED);
    // The fresh cursor resumes.
    WatchReader fresh(daemon_.address(), tree_.root(), item->reset->cursor());
    EXPECT_TRUE(fresh.Started());
    const auto step = Clock::now();
    tree_.WriteFile("IMG_2.json", kYoloDoc);
    EXPECT_EQ(NextChange(fresh, step), "CREATED IMG_2.json yolov8");
    ExpectQuiet(fresh, 100ms);
  }
  WatchReader malformed(daemon_.address(), tree_.root(), "yesterday");
  const std::optional<grpc::Status> status = malformed.Finished();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status->error_message().find("yesterday"), std::string::npos);

  WatchReader outside(daemon_.address(), "/etc");
  ASSERT_TRUE(outside.Finished());
  EXPECT_EQ(outside.Finished()->error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ChangeFeedTest, ACancelledWatchFreesItsCallAndShutdownEndsStreams) {
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  const int32_t without_watch = info.active_calls();
  {
    WatchReader watch(daemon_.address(), tree_.root());
    ASSERT_TRUE(watch.Started());
    ASSERT_TRUE(client_->GetServerInfo(&info).ok());
    EXPECT_EQ(info.active_calls(), without_watch + 1);
  }
  // The handler notices the client left within its check interval.
  const auto deadline = Clock::now() + 3s;
  do {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  } while (info.active_calls() != without_watch && Clock::now() < deadline);
  EXPECT_EQ(info.active_calls(), without_watch);

  WatchReader watch(daemon_.address(), tree_.root());
  ASSERT_TRUE(watch.Started());
  const auto stopping = Clock::now();
  daemon_.Terminate();
  const std::optional<grpc::Status> ended = watch.Finished(3s);
  ASSERT_TRUE(ended) << "the watch stream did not end on SIGTERM";
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAVAILABLE) << ended->error_message();
  // Well within the grace period (5 s): the stream did not hold the drain.
  EXPECT_EQ(daemon_.WaitExit(4s), 0);
  EXPECT_LT(Clock::now() - stopping, 4s);
}

TEST_F(ChangeFeedTest, SidecarctlWatchPrintsChangesAsJsonLines) {
  // sidecarctl runs until interrupted: run it under `timeout`, changing the
  // tree meanwhile.
  std::thread writer([&] {
    std::this_thread::sleep_for(1500ms);
    tree_.WriteFile("IMG_2.json", kYoloDoc);
  });
  const RunResult run = Ctl({"watch", tree_.root(), "--jsonl", "--timeout", "3"});
  writer.join();
  // The --timeout deadline ends the stream.
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_NE(run.out.find(R"({"started":{"cursor":"c:)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"("kind":"created")"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("IMG_2.json"), std::string::npos) << run.out;
}

// A subscriber whose queue holds two changes: a directory of three sidecars
// moved away is three changes at once.
class SlowSubscriberTest : public ChangeFeedTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--watch-queue-events", "2"};
    return options;
  }
};

TEST_F(SlowSubscriberTest, ASubscriberThatFallsBehindGetsAResetThenGoesOn) {
  tree_.WriteFile("batch/A.jpg", "jpeg");
  tree_.WriteFile("batch/A.json", kFaceDoc);
  tree_.WriteFile("batch/B.jpg", "jpeg");
  tree_.WriteFile("batch/B.json", kFaceDoc);
  tree_.WriteFile("batch/C.jpg", "jpeg");
  tree_.WriteFile("batch/C.json", kFaceDoc);
  Share();
  WatchReader watch(daemon_.address(), tree_.root());
  ASSERT_TRUE(watch.Started());
  ASSERT_EQ(::rename(P("batch").c_str(), daemon_.run_dir().Path("batch").c_str()), 0);

  std::optional<Item> item;
  do {
    item = watch.Next(2s);
  } while (item && !item->reset);
  ASSERT_TRUE(item) << "no reset";
  EXPECT_EQ(item->reset->reason(), v1::WATCH_RESET_REASON_SUBSCRIBER_TOO_SLOW);
  EXPECT_NE(item->reset->message().find("--watch-queue-events"), std::string::npos);
  // What the client misses after the reset is nothing: it goes on.
  const auto step = Clock::now();
  tree_.WriteFile("IMG_2.json", kYoloDoc);
  EXPECT_EQ(NextChange(watch, step), "CREATED IMG_2.json yolov8");
}

class NoWatchTest : public ChangeFeedTest {
 protected:
  DaemonProcess::Options MakeDaemonOptions() override {
    DaemonProcess::Options options = DaemonTest::MakeDaemonOptions();
    options.extra_args = {"--no-watch"};
    return options;
  }
};

TEST_F(NoWatchTest, WatchSaysFailedPreconditionRatherThanPretending) {
  WatchReader watch(daemon_.address(), tree_.root());
  const std::optional<grpc::Status> status = watch.Finished();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status->error_message().find("--no-watch"), std::string::npos);
  EXPECT_FALSE(watch.Started(0ms));

  const RunResult run = Ctl({"watch", tree_.root()});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_NE(run.err.find("FAILED_PRECONDITION"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace sidecard::testing
