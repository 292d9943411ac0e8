#include "server/service/latency_histogram.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace sidecard::service {
namespace {

// Bucket bounds are mantissa / 100 * 10^exponent; dividing exact integers
// once gives the doubles nearest to 0.000125, 0.0002, ... .
constexpr std::array<int, 10> kMantissas = {100, 125, 150, 200, 250, 300, 400, 500, 600, 800};
constexpr int kFirstExponent = -4;  // 100 µs
constexpr int kDecades = 6;         // up to 80 s, then the closing 100 s bound

double Bound(int mantissa, int exponent) {
  double power = 1;
  for (int i = 0; i < std::abs(exponent - 2); ++i) power *= 10;
  return exponent >= 2 ? mantissa * power : mantissa / power;
}

std::vector<double> MakeBounds() {
  std::vector<double> bounds;
  int exponent = kFirstExponent;
  for (int decade = 0; decade < kDecades; ++decade, ++exponent) {
    for (int mantissa : kMantissas) bounds.push_back(Bound(mantissa, exponent));
  }
  bounds.push_back(Bound(100, exponent));
  return bounds;
}

}  // namespace

std::span<const double> LatencyHistogram::UpperBounds() {
  static const std::vector<double>* const kBounds = new std::vector<double>(MakeBounds());
  return *kBounds;
}

std::span<const size_t> LatencyHistogram::CoarseBoundIndexes() {
  static const std::vector<size_t>* const kIndexes = [] {
    auto* indexes = new std::vector<size_t>;
    const std::span<const double> bounds = UpperBounds();
    for (size_t i = 0; i < bounds.size(); ++i) {
      const int mantissa = kMantissas[i % kMantissas.size()];
      if (i + 1 == bounds.size() || mantissa == 100 || mantissa == 250 || mantissa == 500) {
        indexes->push_back(i);
      }
    }
    return indexes;
  }();
  return *kIndexes;
}

LatencyHistogram::LatencyHistogram() : counts_(UpperBounds().size() + 1, 0) {}

void LatencyHistogram::Record(double seconds) {
  seconds = std::max(seconds, 0.0);
  const std::span<const double> bounds = UpperBounds();
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  ++counts_[static_cast<size_t>(bucket)];
  ++count_;
  sum_ += seconds;
  max_ = std::max(max_, seconds);
}

double LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const std::span<const double> bounds = UpperBounds();
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
  int64_t below = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0 || static_cast<double>(below + counts_[i]) < rank) {
      below += counts_[i];
      continue;
    }
    const double lower = i == 0 ? 0 : bounds[i - 1];
    const double upper = i < bounds.size() ? bounds[i] : max_;
    const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts_[i]);
    return std::min(lower + (upper - lower) * fraction, max_);
  }
  return max_;
}

}  // namespace sidecard::service
