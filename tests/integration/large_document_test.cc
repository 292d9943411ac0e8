// Sidecar documents larger than gRPC's default message limit (4 MiB), against
// the real daemon on a real socket: read whole through the C++ client and
// sidecarctl, saved whole; a daemon started with a --max-sidecar-bytes above
// the default serves a document above the default; a file above the limit
// is reported by name, and a document too long to send is refused by name,
// never with gRPC's "message larger than max".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "support/daemon_test.h"

namespace sidecard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A face-detection document of at least `bytes` bytes, written the way the
// daemon writes JSON (compact, keys sorted, integers only), so the document
// it reads back is this text byte for byte. `string_bytes` > 0 puts a string
// of that length into each face (cheap in memory for very large documents);
// otherwise each face holds an embedding of 128 integers.
std::string LargeDocument(size_t bytes, size_t string_bytes = 0) {
  std::string doc = R"({"face_detection":{"faces":[)";
  for (int face = 1; doc.size() < bytes; ++face) {
    if (face > 1) doc += ',';
    doc += R"({"bbox":[)" + std::to_string(face) + ",2,30,40]";
    if (string_bytes > 0) {
      doc += R"(,"crop":")" + std::string(string_bytes, static_cast<char>('a' + face % 26)) + '"';
    } else {
      doc += R"(,"embedding":[)";
      for (int i = 1; i <= 128; ++i) {
        doc += (i > 1 ? "," : "") + std::to_string((face * 131 + i * 17) % 100000 + 1);
      }
      doc += "]";
    }
    doc += R"(,"face_id":)" + std::to_string(face) + "}";
  }
  doc += R"(],"success":true},"sidecar_info":{"operation_type":"face_detection"}})";
  return doc;
}

constexpr size_t kSixMiB = 6u << 20;
constexpr size_t kDefaultMaxSidecarBytes = 256u << 20;

class LargeDocumentTest : public DaemonTest {
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
    client_ = std::make_unique<Client>(ClientOptions{.address = daemon_.address(), .timeout = 60s});
  }

  grpc::Status Read(const std::string& image, v1::ReadSidecarResponse& response) {
    Share();
    v1::ReadSidecarRequest request;
    request.set_image_path(P(image));
    return client_->ReadSidecar(request, &response);
  }

  std::vector<std::string> extra_args_;
};

// A 6 MiB .bin and a 6 MiB .json, each read whole through the client and
// through sidecarctl (plain and --json), on a daemon with default flags.
TEST_F(LargeDocumentTest, DocumentsOverFourMiBAreReadWhole) {
  const std::string doc = LargeDocument(kSixMiB);
  ASSERT_GT(doc.size(), kSixMiB);
  tree_.WriteFile("big/IMG_bin.jpg", "");
  tree_.WriteBin("big/IMG_bin.bin", doc);
  tree_.WriteFile("big/IMG_json.jpg", "");
  tree_.WriteFile("big/IMG_json.json", doc);

  for (const auto& [image, sidecar, format] :
       {std::tuple{"big/IMG_bin.jpg", "big/IMG_bin.bin", v1::SIDECAR_FORMAT_BIN},
        std::tuple{"big/IMG_json.jpg", "big/IMG_json.json", v1::SIDECAR_FORMAT_JSON}}) {
    SCOPED_TRACE(sidecar);
    v1::ReadSidecarResponse read;
    const grpc::Status status = Read(image, read);
    ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    EXPECT_TRUE(read.found());
    EXPECT_EQ(read.sidecar().path(), P(sidecar));
    EXPECT_EQ(read.format(), format);
    EXPECT_TRUE(read.skipped().empty());
    EXPECT_TRUE(read.document_json() == doc) << read.document_json().size() << " bytes read";

    const RunResult plain = Ctl({"read", P(image)});
    EXPECT_EQ(plain.exit_code, 0) << plain.err.substr(0, 500);
    EXPECT_GT(plain.out.size(), doc.size());  // indented
    EXPECT_THAT(plain.out, HasSubstr(R"("operation_type": "face_detection")"));
    EXPECT_THAT(plain.err, HasSubstr("sidecar: " + P(sidecar)));
    EXPECT_THAT(plain.err, Not(HasSubstr("larger than max")));

    const RunResult json = Ctl({"--json", "read", P(image)});
    EXPECT_EQ(json.exit_code, 0) << json.err.substr(0, 500);
    EXPECT_THAT(json.out, HasSubstr(R"("found": true)"));
    EXPECT_THAT(json.out, HasSubstr(R"("operation_type": "face_detection")"));
  }
}

// A SaveSidecar payload over 4 MiB is sent whole (by the client and by
// sidecarctl), merged and read back whole.
TEST_F(LargeDocumentTest, PayloadOverFourMiBIsSavedAndReadBack) {
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  const std::string doc = LargeDocument(kSixMiB);
  // The faces part of the document: {"faces":[...],"success":true}.
  const size_t faces_at = doc.find(R"({"faces")");
  const std::string payload = doc.substr(faces_at, doc.rfind(R"(,"sidecar_info")") - faces_at);
  ASSERT_GT(payload.size(), kSixMiB - 100);
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_operation("face_detection");
  save.set_payload_json(payload);
  v1::SaveSidecarResponse saved;
  const grpc::Status status = client_->SaveSidecar(save, &saved);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_GT(saved.size_bytes(), static_cast<int64_t>(payload.size()));

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_1.jpg", read).ok());
  EXPECT_TRUE(read.found());
  EXPECT_EQ(read.format(), v1::SIDECAR_FORMAT_BIN);
  EXPECT_THAT(read.document_json(), HasSubstr(R"({"face_detection":)" + payload + ","));

  // The same through sidecarctl save --file, then sidecarctl read.
  tree_.WriteFile("IMG_2.jpg", "");
  tree_.WriteFile("payload.json", payload);
  const RunResult ctl_saved =
      Ctl({"save", P("IMG_2.jpg"), "face_detection", "--file", P("payload.json")});
  EXPECT_EQ(ctl_saved.exit_code, 0) << ctl_saved;
  read.Clear();
  ASSERT_TRUE(Read("IMG_2.jpg", read).ok());
  EXPECT_THAT(read.document_json(), HasSubstr(R"({"face_detection":)" + payload + ","));
}

// A .bin above the default --max-sidecar-bytes (256 MiB): the daemon with
// default flags reports it too large; started with a larger
// --max-sidecar-bytes it sends it whole, and the client reads it.
TEST_F(LargeDocumentTest, LargerMaxSidecarBytesServesADocumentAboveTheDefault) {
  const std::string doc = LargeDocument(kDefaultMaxSidecarBytes + (1u << 20), 1u << 20);
  tree_.WriteFile("IMG_huge.jpg", "");
  tree_.WriteBin("IMG_huge.bin", doc);
  const std::string file_bytes = std::to_string(doc.size() + 8);

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_huge.jpg", read).ok());
  EXPECT_FALSE(read.found());
  ASSERT_EQ(read.skipped_size(), 1);
  EXPECT_EQ(read.skipped(0).error(), "too large to read: " + file_bytes + " bytes (limit " +
                                         std::to_string(kDefaultMaxSidecarBytes) + ")");

  Restart({"--max-sidecar-bytes", std::to_string(320u << 20)});
  read.Clear();
  const grpc::Status status = Read("IMG_huge.jpg", read);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_TRUE(read.found());
  EXPECT_TRUE(read.skipped().empty());
  EXPECT_EQ(read.document_json().size(), doc.size());
  EXPECT_TRUE(read.document_json() == doc);
}

// A file above --max-sidecar-bytes is not read: the reply names it and the
// limit (a lower-priority file that fits is read instead); sidecarctl says
// so and exits 1, with no transport error anywhere.
TEST_F(LargeDocumentTest, FileAboveTheLimitIsReportedByName) {
  Restart({"--max-sidecar-bytes", std::to_string(5u << 20)});
  const std::string doc = LargeDocument(kSixMiB);
  const std::string too_large = "too large to read: " + std::to_string(doc.size() + 8) +
                                " bytes (limit " + std::to_string(5u << 20) + ")";
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteBin("IMG_1.bin", doc);
  tree_.WriteFile("IMG_2.jpg", "");
  tree_.WriteBin("IMG_2.bin", doc);
  tree_.WriteFile("IMG_2.json", std::string(kFaceDoc));

  v1::ReadSidecarResponse read;
  ASSERT_TRUE(Read("IMG_1.jpg", read).ok());
  EXPECT_FALSE(read.found());
  ASSERT_EQ(read.skipped_size(), 1);
  EXPECT_EQ(read.skipped(0).file().path(), P("IMG_1.bin"));
  EXPECT_EQ(read.skipped(0).error(), too_large);

  read.Clear();
  ASSERT_TRUE(Read("IMG_2.jpg", read).ok());
  EXPECT_TRUE(read.found());
  EXPECT_EQ(read.sidecar().path(), P("IMG_2.json"));
  ASSERT_EQ(read.skipped_size(), 1);
  EXPECT_EQ(read.skipped(0).file().path(), P("IMG_2.bin"));
  EXPECT_EQ(read.skipped(0).error(), too_large);

  const RunResult ctl = Ctl({"read", P("IMG_1.jpg")});
  EXPECT_EQ(ctl.exit_code, 1) << ctl;
  EXPECT_EQ(ctl.out, "{}\n");
  EXPECT_THAT(ctl.err, HasSubstr("no sidecar for " + P("IMG_1.jpg")));
  EXPECT_THAT(ctl.err, HasSubstr("skipped " + P("IMG_1.bin") + ": " + too_large));

  // A save does not take the unreadable file for {}: it refuses, naming it.
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_operation("yolov8");
  save.set_payload_json(R"({"success":true})");
  v1::SaveSidecarResponse saved;
  const grpc::Status refused = client_->SaveSidecar(save, &saved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr(P("IMG_1.bin")));
  EXPECT_THAT(refused.error_message(), HasSubstr(too_large));
}

// A save whose sidecar would be larger than --max-sidecar-bytes (a payload
// within --max-payload-bytes) is refused naming the file, and nothing is
// written: the daemon never writes a sidecar it would then not read.
TEST_F(LargeDocumentTest, SaveNeverWritesASidecarAboveTheLimit) {
  Restart({"--max-sidecar-bytes", std::to_string(5u << 20)});
  tree_.WriteFile("IMG_1.jpg", "");
  Share();
  v1::SaveSidecarRequest save;
  save.set_image_path(P("IMG_1.jpg"));
  save.set_operation("face_detection");
  save.set_payload_json(R"({"pad":")" + std::string(kSixMiB, 'x') + R"("})");
  v1::SaveSidecarResponse saved;
  const grpc::Status refused = client_->SaveSidecar(save, &saved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("the sidecar " + P("IMG_1.bin") + " would be "));
  EXPECT_THAT(refused.error_message(), HasSubstr("(limit " + std::to_string(5u << 20) + ")"));
  EXPECT_FALSE(tree_.Exists("IMG_1.bin"));
}

// A file within --max-sidecar-bytes whose document is longer as JSON than a
// response may carry (numbers written shorter in the file: 1e15 is
// 1000000000000000.0): RESOURCE_EXHAUSTED naming the file and the flag, from
// the daemon rather than gRPC; other images are served as before.
TEST_F(LargeDocumentTest, DocumentTooLongToSendIsRefusedByName) {
  Restart({"--max-sidecar-bytes", std::to_string(1u << 20)});  // responses up to 3 MiB
  std::string doc = R"({"face_detection":{"embedding":[1e15)";
  while (doc.size() < (1u << 20) - 100) doc += ",1e15";
  doc += "]}}";
  tree_.WriteFile("IMG_1.jpg", "");
  tree_.WriteFile("IMG_1.json", doc);
  tree_.WriteFile("IMG_2.jpg", "");
  tree_.WriteBin("IMG_2.bin", kFaceDoc);

  v1::ReadSidecarResponse read;
  const grpc::Status status = Read("IMG_1.jpg", read);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("the document of " + P("IMG_1.json") + " is "));
  EXPECT_THAT(status.error_message(),
              HasSubstr("more than one response may carry (" + std::to_string((3u << 20)) +
                        " bytes, which follows --max-sidecar-bytes)"));

  const RunResult ctl = Ctl({"read", P("IMG_1.jpg")});
  EXPECT_EQ(ctl.exit_code, 4) << ctl;
  EXPECT_THAT(ctl.err, HasSubstr("RESOURCE_EXHAUSTED: the document of " + P("IMG_1.json")));

  read.Clear();
  ASSERT_TRUE(Read("IMG_2.jpg", read).ok());
  EXPECT_TRUE(read.found());
}

}  // namespace
}  // namespace sidecard::testing
