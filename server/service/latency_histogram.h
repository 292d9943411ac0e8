// LatencyHistogram: call durations counted in fixed buckets, from which
// percentiles are estimated and Prometheus histograms are exported.
//
// The bucket bounds are fixed and shared by every histogram: ten per decade
// (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) from 100 µs to
// 100 s, then one bucket for anything slower. Memory is constant however many
// calls are recorded, and an estimated percentile stays inside the bucket of
// the true one (buckets are at most a third wider than their lower bound).
// Not thread-safe: the owner serialises access.
#ifndef SIDECARD_SERVER_SERVICE_LATENCY_HISTOGRAM_H_
#define SIDECARD_SERVER_SERVICE_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sidecard::service {

class LatencyHistogram {
 public:
  // The upper bounds of the finite buckets, seconds, ascending. Bucket i
  // counts durations in (bound[i-1], bound[i]]; one more bucket counts the
  // rest.
  static std::span<const double> UpperBounds();
  // The indexes into UpperBounds() of the bounds at 1, 2.5 and 5 times a
  // power of ten (and the last one): three per decade, for exporters that
  // want fewer buckets. Counts up to those bounds are still exact.
  static std::span<const size_t> CoarseBoundIndexes();

  LatencyHistogram();

  // Counts one duration, seconds (negative counts as 0).
  void Record(double seconds);

  // The duration below which a fraction `q` (0..1) of the recorded ones lie,
  // seconds, interpolated inside its bucket and never above the largest
  // recorded; 0 when nothing was recorded.
  double Quantile(double q) const;

  // Per-bucket counts, UpperBounds().size() + 1 of them (the last one is
  // the overflow bucket).
  const std::vector<int64_t>& bucket_counts() const { return counts_; }
  int64_t count() const { return count_; }
  double sum_seconds() const { return sum_; }
  double max_seconds() const { return max_; }

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  double sum_ = 0;
  double max_ = 0;
};

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_LATENCY_HISTOGRAM_H_
