// The request checks that need no file system: operation filters, batch
// sizes, and the text/raw path pairs of every request.
#include "server/service/request_checks.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::service {
namespace {

namespace v1 = ::sidecar::v1;

TEST(CheckOperationFilter, AcceptsEmptyAndSnakeCaseNames) {
  for (const std::string& filter : std::vector<std::string>{"", "face_detection", "yolov8", "_",
                                                            "a", std::string(128, 'x'), "0_9"}) {
    EXPECT_TRUE(CheckOperationFilter(filter).ok()) << filter;
  }
}

TEST(CheckOperationFilter, RefusesAnythingElseNamingTheFilter) {
  for (const std::string& filter :
       std::vector<std::string>{"Face_detection", "face-detection", "face detection", "a/b", "../x",
                                std::string("a\0b", 3), "gesichts\xC3\xA4nderung"}) {
    const absl::Status status = CheckOperationFilter(filter);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << filter;
    EXPECT_EQ(status.message(), "operation_filter: '" + filter +
                                    "' is not an operation name (lower-case letters, digits and "
                                    "'_', e.g. face_detection)");
  }
}

TEST(CheckOperationFilter, RefusesMoreThan128Characters) {
  const absl::Status status = CheckOperationFilter(std::string(129, 'x'));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "operation_filter: longer than 128 characters");
}

TEST(CheckBatchSize, ZeroMeansTheDefault) {
  int32_t effective = -7;
  ASSERT_TRUE(CheckBatchSize(0, effective).ok());
  EXPECT_EQ(effective, kDefaultBatchSize);
  EXPECT_EQ(kDefaultBatchSize, 256);
}

TEST(CheckBatchSize, OneToTheMaximumIsTakenAsIs) {
  for (const int32_t size : {1, 2, 255, 257, kMaxBatchSize}) {
    int32_t effective = -7;
    ASSERT_TRUE(CheckBatchSize(size, effective).ok()) << size;
    EXPECT_EQ(effective, size);
  }
}

TEST(CheckBatchSize, OutsideTheRangeIsInvalidAndLeavesTheSizeAlone) {
  for (const int32_t size : {-1, kMaxBatchSize + 1, INT32_MIN, INT32_MAX}) {
    int32_t effective = -7;
    const absl::Status status = CheckBatchSize(size, effective);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_EQ(status.message(),
              "batch_size: must be between 0 (default) and 4096, got " + std::to_string(size));
    EXPECT_EQ(effective, -7);
  }
}

TEST(RequestPath, WhicheverFieldIsSet) {
  EXPECT_EQ(*RequestPath("root", "/photos", ""), "/photos");
  EXPECT_EQ(*RequestPath("root", "", "/ph\xFFotos"), "/ph\xFFotos");
  // Neither: empty, for the resolver to say a path is required.
  EXPECT_EQ(*RequestPath("root", "", ""), "");
}

TEST(RequestPath, BothSetIsInvalidNamingTheTwoFields) {
  const auto path = RequestPath("image_path", "/a.jpg", "/a.jpg");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(path.status().message(),
            "image_path and raw_image_path are both set: set one (raw_image_path for a path "
            "that is not valid UTF-8)");
}

TEST(RequestRoot, ReadsRootAndRawRootOfEveryTreeRequest) {
  v1::ValidateRequest validate;
  validate.set_raw_root("/bytes\x80");
  EXPECT_EQ(*RequestRoot(validate), "/bytes\x80");
  v1::StatsRequest stats;
  stats.set_root("/text");
  EXPECT_EQ(*RequestRoot(stats), "/text");
  v1::CleanupRequest cleanup;
  cleanup.set_root("/a");
  cleanup.set_raw_root("/a");
  EXPECT_EQ(RequestRoot(cleanup).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ExportRequest export_request;
  export_request.set_root("/e");
  EXPECT_EQ(*RequestRoot(export_request), "/e");
  v1::ConvertRequest convert;
  convert.set_raw_root("/c");
  EXPECT_EQ(*RequestRoot(convert), "/c");
}

TEST(RequestImagePath, ReadsImagePathAndItsRawTwin) {
  v1::ReadSidecarRequest read;
  read.set_image_path("/p/IMG_1.jpg");
  EXPECT_EQ(*RequestImagePath(read), "/p/IMG_1.jpg");
  v1::SaveSidecarRequest save;
  save.set_raw_image_path("/p/IMG_\xE9.jpg");
  EXPECT_EQ(*RequestImagePath(save), "/p/IMG_\xE9.jpg");
  save.set_image_path("/p/IMG_1.jpg");
  EXPECT_EQ(RequestImagePath(save).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sidecard::service
