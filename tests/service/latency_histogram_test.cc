// LatencyHistogram: the buckets behind the percentiles of GetServerInfo and
// the Prometheus histograms.
#include "server/service/latency_histogram.h"

#include <cmath>

#include "gtest/gtest.h"

namespace sidecard::service {
namespace {

TEST(LatencyHistogram, BoundsRunTenPerDecadeFrom100MicrosecondsTo100Seconds) {
  const auto bounds = LatencyHistogram::UpperBounds();
  ASSERT_EQ(bounds.size(), 61u);
  EXPECT_EQ(bounds.front(), 0.0001);
  EXPECT_EQ(bounds[1], 0.000125);
  EXPECT_EQ(bounds[4], 0.00025);
  EXPECT_EQ(bounds[10], 0.001);
  EXPECT_EQ(bounds.back(), 100);
  for (size_t i = 1; i < bounds.size(); ++i) {
    EXPECT_LT(bounds[i - 1], bounds[i]);
    EXPECT_LE(bounds[i] / bounds[i - 1], 4.0 / 3 + 1e-9) << "bucket " << i << " is too wide";
  }
}

TEST(LatencyHistogram, CoarseBoundsAreOneTwoPointFiveFive) {
  const auto bounds = LatencyHistogram::UpperBounds();
  std::vector<double> coarse;
  for (size_t index : LatencyHistogram::CoarseBoundIndexes()) coarse.push_back(bounds[index]);
  ASSERT_EQ(coarse.size(), 19u);
  EXPECT_EQ(coarse[0], 0.0001);
  EXPECT_EQ(coarse[1], 0.00025);
  EXPECT_EQ(coarse[2], 0.0005);
  EXPECT_EQ(coarse[3], 0.001);
  EXPECT_EQ(coarse[16], 25);
  EXPECT_EQ(coarse[17], 50);
  EXPECT_EQ(coarse[18], 100);
}

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0);
  EXPECT_EQ(histogram.Quantile(0.5), 0);
  EXPECT_EQ(histogram.max_seconds(), 0);
}

TEST(LatencyHistogram, CountsLandInTheirBuckets) {
  LatencyHistogram histogram;
  histogram.Record(0.0001);   // exactly on the first bound: first bucket
  histogram.Record(0.00011);  // second bucket
  histogram.Record(1000);     // overflow
  histogram.Record(-1);       // counted as 0
  const auto& counts = histogram.bucket_counts();
  ASSERT_EQ(counts.size(), 62u);
  EXPECT_EQ(counts[0], 2);
  EXPECT_EQ(counts[1], 1);
  EXPECT_EQ(counts.back(), 1);
  EXPECT_EQ(histogram.count(), 4);
  EXPECT_DOUBLE_EQ(histogram.sum_seconds(), 1000.00021);
  EXPECT_EQ(histogram.max_seconds(), 1000);
}

TEST(LatencyHistogram, PercentilesStayInTheBucketOfTheExactOne) {
  // 1 ms .. 1000 ms, one each: the exact p50 is 500 ms, p90 900 ms, p99 990 ms.
  LatencyHistogram histogram;
  for (int ms = 1; ms <= 1000; ++ms) histogram.Record(ms / 1000.0);
  const auto bounds = LatencyHistogram::UpperBounds();
  const auto bucket_of = [&](double seconds) {
    return std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  };
  for (const auto& [q, exact] : {std::pair{0.5, 0.5}, {0.9, 0.9}, {0.99, 0.99}}) {
    const double estimate = histogram.Quantile(q);
    EXPECT_EQ(bucket_of(estimate), bucket_of(exact)) << "q=" << q << " estimate " << estimate;
    EXPECT_NEAR(estimate, exact, exact * 0.1) << "q=" << q;
  }
  EXPECT_EQ(histogram.Quantile(1), 1);
  EXPECT_LE(histogram.Quantile(0), 0.001);
}

TEST(LatencyHistogram, PercentilesNeverExceedTheSlowestCall) {
  LatencyHistogram histogram;
  for (int i = 0; i < 10; ++i) histogram.Record(0.0101);  // low in (0.01, 0.0125]
  EXPECT_LE(histogram.Quantile(0.99), 0.0101);
  EXPECT_GT(histogram.Quantile(0.5), 0.01);
  LatencyHistogram slow;
  slow.Record(250);  // beyond the last bound: between it and the slowest
  EXPECT_GT(slow.Quantile(0.5), 100);
  EXPECT_LE(slow.Quantile(0.99), 250);
}

}  // namespace
}  // namespace sidecard::service
