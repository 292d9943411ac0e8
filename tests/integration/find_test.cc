// Find against the real daemon: after every kind of change the warm daemon
// (answering from its tree cache) finds exactly what a fresh daemon with no
// cache (--cache-max-bytes 0) finds, for several predicates; bad requests
// get the status codes Validate gives; sidecarctl find prints paths and
// JSON Lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/daemon_test.h"
#include "support/sidecar_documents.h"

namespace sidecard::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct FindRun {
  grpc::Status status;
  std::vector<v1::FoundImage> matches;
  v1::FindSummary summary;
};

FindRun RunFind(Client& client, v1::FindRequest request) {
  FindRun run;
  run.status = client.Find(request, [&](const v1::FindResponse& message) {
    run.matches.insert(run.matches.end(), message.matches().begin(), message.matches().end());
    if (message.has_summary()) run.summary = message.summary();
  });
  return run;
}

// The path a plain listing shows for a whole match (FindRequest.paths_only).
std::string ListedPath(const v1::FindRequest& request, const v1::FoundImage& found) {
  if (request.invalid()) return found.invalid_sidecar().path();
  return request.orphans() ? found.sidecar().path() : found.image().path();
}

// The paths a paths_only run sends, in order; each message holds at most
// `batch_size` of them (the server default when 0).
std::vector<std::string> RunFindPaths(Client& client, v1::FindRequest request, int32_t batch_size) {
  request.set_paths_only(true);
  request.set_batch_size(batch_size);
  std::vector<std::string> paths;
  const grpc::Status status = client.Find(request, [&](const v1::FindResponse& message) {
    EXPECT_EQ(message.matches_size(), 0);
    size_t in_message = 0;
    for (const v1::FoundPaths& group : message.paths()) {
      const std::string& names = group.names();
      EXPECT_TRUE(names.empty() || names.back() == '\0') << group.ShortDebugString();
      for (size_t at = 0; at < names.size(); ++in_message) {
        const size_t end = names.find('\0', at);
        paths.push_back(group.directory().path() + "/" + names.substr(at, end - at));
        at = end + 1;
      }
    }
    if (batch_size > 0) {
      EXPECT_LE(in_message, static_cast<size_t>(batch_size));
    }
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  return paths;
}

// The queries every comparison asks, each a request with its root unset.
std::vector<v1::FindRequest> Queries() {
  std::vector<v1::FindRequest> queries(10);
  queries[1].add_missing("face_detection");
  queries[2].add_has("yolov8.yolov8");
  queries[3].add_failed("face_detection");
  queries[4].set_min_faces(2);
  queries[5].add_object_classes("sports ball");
  queries[6].set_invalid(true);
  queries[7].set_orphans(true);
  queries[8].set_no_sidecar(true);
  queries[9].set_format("json");
  queries[9].add_has("face_detection");
  return queries;
}

class FindTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    tree_.WriteFile("2025/g1/IMG_1.jpg", "jpeg");
    tree_.WriteFile("2025/g1/IMG_1.CR2", "raw");  // shares IMG_1.bin
    tree_.WriteBin("2025/g1/IMG_1.bin", kFaceDoc);
    tree_.WriteFile("2025/g1/IMG_2.jpg", "jpeg");
    tree_.WriteFile("2025/g1/IMG_2.json", kYoloDoc);
    tree_.WriteFile("2025/g2/IMG_3.jpg", "jpeg");
    tree_.WriteFile("2025/g2/IMG_3.json", kBothDoc);
    tree_.WriteFile("2025/g2/IMG_4.jpg", "jpeg");
    tree_.WriteFile("2025/g2/gone.json", kYoloDoc);  // an orphan
    tree_.Symlink("games/link.jpg", "../2025/g1/IMG_1.jpg");
    Share();
  }

  // Every query's matches and summary, durations left out.
  std::string Answer(Client& client) {
    std::string text;
    for (v1::FindRequest request : Queries()) {
      request.set_root(tree_.root());
      FindRun run = RunFind(client, request);
      EXPECT_TRUE(run.status.ok()) << run.status.error_message();
      std::vector<std::string> listed;
      for (const v1::FoundImage& found : run.matches) {
        text += found.ShortDebugString() + "\n";
        listed.push_back(ListedPath(request, found));
      }
      run.summary.clear_duration_seconds();
      text += run.summary.ShortDebugString() + "\n";
      // The same matches as paths only, in whole messages and one a message
      // (asked twice: the second from what the daemon remembered).
      for (int32_t batch_size : {0, 1, 0}) {
        EXPECT_EQ(RunFindPaths(client, request, batch_size), listed)
            << request.ShortDebugString() << " batch_size " << batch_size;
      }
    }
    return text;
  }

  // The warm daemon's answer, twice (the second from its cache), must equal
  // a fresh daemon's that remembers nothing.
  void ExpectWarmEqualsCold(const std::string& what) {
    const std::string warm = Answer(*client_);
    EXPECT_EQ(Answer(*client_), warm) << what;
    DaemonProcess cold;
    DaemonProcess::Options options;
    options.allowed_roots = {tree_.root()};
    options.extra_args = {"--read-only", "--cache-max-bytes", "0"};
    ASSERT_TRUE(cold.Start(options));
    Client cold_client(ClientOptions{.address = cold.address(), .timeout = 30s});
    EXPECT_EQ(warm, Answer(cold_client)) << what;
    EXPECT_TRUE(cold.Stop());
  }

  std::vector<std::string> Images(v1::FindRequest request) {
    request.set_root(tree_.root());
    const FindRun run = RunFind(*client_, request);
    EXPECT_TRUE(run.status.ok()) << run.status.error_message();
    std::vector<std::string> out;
    for (const v1::FoundImage& found : run.matches) {
      const std::string& path = found.orphan() ? found.sidecar().path() : found.image().path();
      out.push_back(path.substr(tree_.root().size() + 1));
    }
    return out;
  }
};

TEST_F(FindTest, WarmAnswersEqualAColdScanAfterEveryChange) {
  ExpectWarmEqualsCold("first answer");
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(client_->GetServerInfo(&info).ok());
  EXPECT_GT(info.cache().directory_tally_hits(), 0);  // answered from remembered directories

  tree_.WriteFile("2025/g2/IMG_5.jpg", "jpeg");
  tree_.WriteFile("2025/g2/IMG_5.json", kFaceDoc);
  ExpectWarmEqualsCold("added");
  tree_.WriteBin("2025/g1/IMG_1.bin", kBothDoc);
  ExpectWarmEqualsCold("rewritten");
  tree_.WriteFile("2025/g2/tmp", R"({"face_detection":{"success":false,"faces":[]}})");
  ASSERT_EQ(rename(P("2025/g2/tmp").c_str(), P("2025/g2/IMG_4.json").c_str()), 0);
  ExpectWarmEqualsCold("added by rename");
  ASSERT_EQ(rename(P("2025/g1/IMG_2.jpg").c_str(), P("2025/g1/IMG_7.jpg").c_str()), 0);
  ExpectWarmEqualsCold("image renamed: its sidecar is an orphan");
  ASSERT_EQ(unlink(P("2025/g2/IMG_3.json").c_str()), 0);
  ExpectWarmEqualsCold("deleted");
  ASSERT_EQ(unlink(P("games/link.jpg").c_str()), 0);
  tree_.Symlink("games/link.jpg", "../2025/g2/IMG_4.jpg");
  ExpectWarmEqualsCold("symlink re-pointed");
  {
    // Content changed with size and modification time restored.
    struct stat st {};
    ASSERT_EQ(stat(P("2025/g2/IMG_5.json").c_str(), &st), 0);
    std::string text = tree_.ReadFile("2025/g2/IMG_5.json");
    const size_t at = text.find("true");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 4, "nope");
    tree_.WriteFile("2025/g2/IMG_5.json", text);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(utimensat(AT_FDCWD, P("2025/g2/IMG_5.json").c_str(), times, 0), 0);
    ExpectWarmEqualsCold("content changed, size and mtime restored");
  }
}

TEST_F(FindTest, SharedStemsAndSymlinkedImagesBothMatch) {
  v1::FindRequest faces;
  faces.set_min_faces(2);
  EXPECT_THAT(Images(faces),
              ElementsAre("2025/g1/IMG_1.CR2", "2025/g1/IMG_1.jpg", "games/link.jpg"));
  v1::FindRequest missing;
  missing.add_missing("face_detection");
  EXPECT_THAT(Images(missing), ElementsAre("2025/g1/IMG_2.jpg", "2025/g2/IMG_4.jpg"));
  v1::FindRequest orphans;
  orphans.set_orphans(true);
  EXPECT_THAT(Images(orphans), ElementsAre("2025/g2/gone.json"));
}

TEST_F(FindTest, BadRootsAndPredicatesGetValidatesCodes) {
  v1::FindRequest request;
  request.set_root(P("nope"));
  EXPECT_EQ(RunFind(*client_, request).status.error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_root(P("2025/g1/IMG_1.jpg"));
  EXPECT_EQ(RunFind(*client_, request).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const auto refused = [&](const std::function<void(v1::FindRequest&)>& set,
                           const std::string& named) {
    v1::FindRequest bad;
    bad.set_root(tree_.root());
    set(bad);
    const FindRun run = RunFind(*client_, bad);
    EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << named;
    EXPECT_THAT(run.status.error_message(), HasSubstr(named));
  };
  refused([](v1::FindRequest& r) { r.set_format("xml"); }, "format: 'xml'");
  refused([](v1::FindRequest& r) { r.set_min_faces(-1); }, "min_faces");
  refused([](v1::FindRequest& r) { r.set_changed_since("last week"); }, "changed_since");
  refused([](v1::FindRequest& r) { r.add_missing("Face Detection"); }, "missing");
}

TEST_F(FindTest, SidecarctlPrintsPathsAndJsonLines) {
  RunResult plain = Ctl({"find", tree_.root(), "--missing", "face_detection"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, P("2025/g1/IMG_2.jpg") + "\n" + P("2025/g2/IMG_4.jpg") + "\n");

  RunResult orphans = Ctl({"find", tree_.root(), "--orphans"});
  EXPECT_EQ(orphans.out, P("2025/g2/gone.json") + "\n");

  // IMG_1.jpg, IMG_1.CR2 and games/link.jpg (a link to IMG_1.jpg) share the
  // invalid file, listed once; the link's match lies in another directory.
  tree_.WriteFile("2025/g1/IMG_1.json", "{\"face_detection\": [");
  RunResult invalid = Ctl({"find", tree_.root(), "--invalid"});
  EXPECT_EQ(invalid.exit_code, 0) << invalid.err;
  EXPECT_EQ(invalid.out, P("2025/g1/IMG_1.json") + "\n");
  RunResult invalid_images =
      Ctl({"find", tree_.root(), "--has", "face_detection", "--min-faces", "2", "--non-recursive"});
  EXPECT_EQ(invalid_images.out, "");
  ASSERT_EQ(unlink(P("2025/g1/IMG_1.json").c_str()), 0);

  RunResult lines =
      Ctl({"find", tree_.root(), "--has", "face_detection", "--min-faces=2", "--jsonl"});
  EXPECT_EQ(lines.exit_code, 0) << lines.err;
  std::vector<std::string> rows;
  for (size_t at = 0, end; (end = lines.out.find('\n', at)) != std::string::npos; at = end + 1) {
    rows.push_back(lines.out.substr(at, end - at));
  }
  ASSERT_EQ(rows.size(), 4u) << lines.out;
  EXPECT_THAT(rows[0], HasSubstr(P("2025/g1/IMG_1.CR2")));
  EXPECT_THAT(rows[0], HasSubstr(P("2025/g1/IMG_1.bin")));
  EXPECT_THAT(rows[0], HasSubstr("face_detection.insightface"));
  EXPECT_THAT(rows[3], HasSubstr("\"summary\""));
  EXPECT_THAT(rows[3], HasSubstr("--min-faces 2"));

  RunResult bad = Ctl({"find", tree_.root(), "--min-faces", "many"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--min-faces"));
  RunResult refused = Ctl({"find", tree_.root(), "--changed-since", "soon"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_THAT(refused.err, HasSubstr("changed_since"));
}

}  // namespace
}  // namespace sidecard::testing
