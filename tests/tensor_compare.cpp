// The one comparator (tests/tensor_compare.h).
#include "tensor_compare.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/tensor/error.h"

namespace astrocnn::optest {

Tolerance tolerance_of(Precision p) {
  switch (p) {
    case Precision::TF32: return kTf32;
    case Precision::BF16: return kBf16;
    case Precision::FP32: break;
  }
  return kFloat32;
}

Tolerance loosest(Tolerance a, Tolerance b) {
  return {std::max(a.normwise, b.normwise), std::max(a.terms, b.terms)};
}

double Comparison::error() const { return max_diff / std::max(max_want, 1e-30); }

bool Comparison::within(Tolerance t) const {
  return nan_mismatches == 0 && max_diff <= t.normwise * std::max(max_want, t.terms);
}

std::string Comparison::describe(Tolerance t) const {
  std::ostringstream s;
  s << count << " elements: error " << error() << " (max |diff| " << max_diff << " at element "
    << worst << ", max |reference| " << max_want << "; allowed " << t.normwise << " of max(that, "
    << t.terms << ")), " << nan_mismatches << " NaN on one side only (first at element "
    << first_nan_mismatch << ")";
  return s.str();
}

Comparison compare(const std::vector<double>& got, const std::vector<double>& want) {
  ASTRO_CHECK(got.size() == want.size(), "compare: ", got.size(), " values against ", want.size());
  Comparison c;
  c.count = static_cast<int64_t>(want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(g) || std::isnan(w)) {
      if (std::isnan(g) != std::isnan(w) && c.nan_mismatches++ == 0)
        c.first_nan_mismatch = static_cast<int64_t>(i);
      continue;
    }
    if (std::isinf(w) || std::isinf(g)) {  // infinities must match exactly
      if (g != w) c.max_diff = INFINITY, c.worst = static_cast<int64_t>(i);
      continue;
    }
    const double diff = std::fabs(g - w);
    if (diff > c.max_diff || c.worst < 0) c.max_diff = diff, c.worst = static_cast<int64_t>(i);
    c.max_want = std::max(c.max_want, std::fabs(w));
  }
  return c;
}

Comparison compare(const Tensor& got, const Tensor& want) {
  ASTRO_CHECK(got.shape() == want.shape(), "compare: ", got.str(), " against ", want.str());
  return compare(got.to(Device::CPU).to(DType::F64).to_vector<double>(),
                 want.to(Device::CPU).to(DType::F64).to_vector<double>());
}

}  // namespace astrocnn::optest
