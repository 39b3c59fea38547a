// Dropout: the Philox mask contract, drop rate, exact scaling, determinism,
// every channel masked, gradient = mask * dy, identity in eval, bad p.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/ops.h"
#include "core/tensor/philox.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

// The mask itself: dropout of ones gives exactly 0 or 1/(1-p) per element.
template <class T>
std::vector<T> mask_of(const Shape& shape, double p, uint64_t seed, uint64_t offset,
                       DType dtype = dtype_of<T>::value) {
  return ops::dropout(Tensor::full(shape, 1.0, dtype), p, true, seed, offset).template to_vector<T>();
}

}  // namespace

TEST_CASE("dropout keeps element i iff philox uniform(seed, offset + i) >= p", "[dropout]") {
  const double p = 0.3;
  const uint64_t seed = 1234, offset = 77;
  Tensor x = random_tensor({4, 3, 5, 7}, 5, 0.5, 2.0, DType::F32);  // no zeros in x
  auto xv = x.to_vector<float>();
  auto y = ops::dropout(x, p, true, seed, offset).to_vector<float>();
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  size_t mismatches = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const bool keep = philox::uniform(seed, offset + i) >= p;
    if (y[i] != (keep ? xv[i] * scale : 0.0f)) ++mismatches;  // exact, not approximate
  }
  CHECK(mismatches == 0);

  // The same in double: the kept value is x * (1/(1-p)) rounded once.
  Tensor xd = random_tensor({3, 11}, 6, 0.5, 2.0);
  auto xdv = xd.to_vector<double>();
  auto yd = ops::dropout(xd, 0.25, true, 9, 0).to_vector<double>();
  for (size_t i = 0; i < yd.size(); ++i) {
    const bool keep = philox::uniform(9, i) >= 0.25;
    CHECK(yd[i] == (keep ? xdv[i] * (1.0 / 0.75) : 0.0));
  }
}

TEST_CASE("dropout drops a fraction p and scales survivors by exactly 1/(1-p)", "[dropout]") {
  const int64_t n = 100000;
  for (double p : {0.1, 0.5, 0.8}) {
    CAPTURE(p);
    auto m = mask_of<float>({n}, p, 42, 1000);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t dropped = 0, other = 0;
    for (float v : m) {
      if (v == 0)
        ++dropped;
      else if (v != scale)
        ++other;
    }
    CHECK(other == 0);
    // Binomial standard deviation is at most 0.0016 here; 0.01 is > 6 sigma.
    CHECK(std::abs(static_cast<double>(dropped) / n - p) < 0.01);
  }
}

TEST_CASE("dropout masks are reproducible from seed and offset", "[dropout]") {
  const Shape shape{2, 3, 4, 5};
  auto a = mask_of<float>(shape, 0.5, 7, 100);
  CHECK(a == mask_of<float>(shape, 0.5, 7, 100));   // same seed and offset: same mask
  CHECK(a != mask_of<float>(shape, 0.5, 7, 220));   // next slice of the stream: a different one
  CHECK(a != mask_of<float>(shape, 0.5, 8, 100));   // different seed: different mask
  // Element i uses position offset + i: shifting the offset shifts the mask.
  auto longer = mask_of<float>({120 + 10}, 0.5, 7, 90);
  CHECK(std::vector<float>(longer.begin() + 10, longer.end()) == a);
  // float32 and float64 draw the same mask.
  auto d = mask_of<double>(shape, 0.5, 7, 100);
  for (size_t i = 0; i < a.size(); ++i) CHECK((a[i] == 0) == (d[i] == 0));
}

TEST_CASE("dropout masks every channel and position, forward and backward", "[dropout]") {
  // Regression guard: a dropout backward once touched only one channel.
  const int64_t N = 3, C = 8, HW = 6 * 5;
  Tensor x = random_tensor({N, C, 6, 5}, 17, 0.5, 1.5).set_requires_grad(true);
  Tensor y = ops::dropout(x, 0.5, true, 2024, 0);
  // d(sum y)/dx = mask.
  ops::dense(y.reshape({1, -1}), Tensor::full({1, y.numel()}, 1.0, DType::F64), Tensor()).backward();
  auto yv = y.to_vector<double>();
  auto dx = x.grad().to_vector<double>();
  for (int64_t c = 0; c < C; ++c) {
    CAPTURE(c);
    int64_t kept = 0, dropped = 0, inconsistent = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < HW; ++s) {
        const int64_t i = (n * C + c) * HW + s;
        if (dx[i] == 2.0) ++kept;
        if (dx[i] == 0.0) ++dropped;
        if ((yv[i] != 0) != (dx[i] == 2.0)) ++inconsistent;  // gradient where the forward kept
      }
    CHECK(kept > 0);
    CHECK(dropped > 0);
    CHECK(kept + dropped == N * HW);
    CHECK(inconsistent == 0);
  }
}

TEST_CASE("dropout gradient equals mask * dy", "[dropout][gradcheck]") {
  for (Shape shape : {Shape{5, 7}, Shape{2, 3, 5, 3}}) {
    CAPTURE(shape_str(shape));
    const double p = 0.4;
    const uint64_t seed = 99, offset = 12345;
    // The finite differences are the grad mode's (tests/test_backend_op_grads.cpp);
    // here, exactly: with loss = sum_i r_i y_i, dx_i = r_i * mask_i.
    Tensor x = random_tensor(shape, 4).set_requires_grad(true);
    Tensor r = random_tensor({1, x.numel()}, 5);
    ops::dense(ops::dropout(x, p, true, seed, offset).reshape({1, -1}), r, Tensor()).backward();
    auto mask = mask_of<double>(shape, p, seed, offset);
    auto rv = r.to_vector<double>();
    auto dx = x.grad().to_vector<double>();
    for (size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == rv[i] * mask[i]);
  }
}

TEST_CASE("dropout is the identity in eval mode and for p = 0", "[dropout]") {
  Tensor x = random_tensor({2, 3, 4, 4}, 8, -1, 1, DType::F32).set_requires_grad(true);
  Tensor eval = ops::dropout(x, 0.5, false, 1, 0);
  CHECK(eval.to_vector<float>() == x.to_vector<float>());
  Tensor p0 = ops::dropout(x, 0.0, true, 1, 0);
  CHECK(p0.to_vector<float>() == x.to_vector<float>());
  // Gradients pass straight through.
  ops::dense(eval.reshape({1, -1}), Tensor::full({1, x.numel()}, 3.0), Tensor()).backward();
  for (float g : x.grad().to_vector<float>()) CHECK(g == 3.0f);
}

TEST_CASE("dropout rejects p outside 0 <= p < 1", "[dropout][errors]") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(ops::dropout(x, 1.0, true, 0, 0), Catch::Contains("[0, 1)") && Catch::Contains("got 1"));
  CHECK_THROWS_WITH(ops::dropout(x, -0.1, true, 0, 0), Catch::Contains("got -0.1"));
  CHECK_THROWS_WITH(ops::dropout(x, 1.5, false, 0, 0), Catch::Contains("[0, 1)"));  // eval too
  CHECK_THROWS_WITH(ops::dropout(x, NAN, true, 0, 0), Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(ops::dropout(Tensor::zeros({2}, DType::I64), 0.5, true, 0, 0),
                    Catch::Contains("floating-point"));
}
