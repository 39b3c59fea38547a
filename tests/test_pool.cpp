// Pooling (max, average, global average) and SAME padding: known values,
// gradient checks and argument errors. Known-value cases run on the reference
// backend; gradient checks run in float64, which always takes it.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>

#include "core/ops.h"
#include "kernels/backend.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;
using ops::SamePadding;

namespace {

Pool2dWindow window(int64_t R, int64_t S, int64_t stride, int64_t top = 0, int64_t left = 0,
                     int64_t bottom = 0, int64_t right = 0, bool include_pad = true) {
  return {R, S, stride, stride, top, left, bottom, right, include_pad};
}

// Runs the max-pool backward kernel with upstream gradient dy on x.
std::vector<float> max_pool_grad(const Tensor& x, const Pool2dWindow& o, const Tensor& dy) {
  Tensor xr = x.detach();
  xr.set_requires_grad(true);
  Tensor y = ops::max_pool2d(xr, o);
  REQUIRE(y.shape() == dy.shape());
  ops::dense(y.reshape({1, -1}), dy.reshape({1, -1}), Tensor()).backward();  // sum(y * dy)
  return xr.grad().to_vector<float>();
}

}  // namespace

TEST_CASE("same_padding follows TensorFlow", "[pool]") {
  auto check = [](int64_t in, int64_t k, int64_t s, int64_t before, int64_t after) {
    CAPTURE(in, k, s);
    SamePadding p = ops::same_padding(in, k, s);
    CHECK(p.before == before);
    CHECK(p.after == after);
  };
  check(64, 7, 2, 2, 3);  // out 32: 31*2 + 7 - 64 = 5, the odd pixel after
  check(64, 7, 1, 3, 3);
  check(5, 2, 2, 0, 1);   // out 3: 2*2 + 2 - 5 = 1
  check(4, 1, 2, 0, 0);   // total would be negative: no padding
  check(7, 3, 3, 1, 1);   // out 3: 2*3 + 3 - 7 = 2
  CHECK_THROWS_WITH(ops::same_padding(0, 3, 1), Catch::Contains("must be positive"));
  CHECK_THROWS_WITH(ops::same_padding(5, 3, 0), Catch::Contains("stride=0"));
}

TEST_CASE("max_pool2d known values", "[pool]") {
  ReferenceBackendGuard reference;
  Tensor x = Tensor::from_vector<float>({1, 5, 2, 0,  //
                                         3, 4, 8, 1,  //
                                         -1, -2, 0, 0,  //
                                         -3, -9, 7, 6},
                                        {1, 1, 4, 4});
  Tensor y = ops::max_pool2d(x, window(2, 2, 2));
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{5, 8, -1, 7});
  // Overlapping 2x2 windows, stride 1.
  CHECK(ops::max_pool2d(x, window(2, 2, 1)).to_vector<float>() ==
        std::vector<float>{5, 8, 8, 4, 8, 8, -1, 7, 7});
}

TEST_CASE("max_pool2d never picks padding", "[pool]") {
  ReferenceBackendGuard reference;
  // All values negative: a zero from the padding would win if it were counted.
  Tensor x = Tensor::from_vector<float>({-4, -3, -2, -1}, {1, 1, 2, 2});
  Tensor y = ops::max_pool2d(x, window(2, 2, 1, 1, 1, 1, 1));
  CHECK(y.shape() == Shape{1, 1, 3, 3});
  CHECK(y.to_vector<float>() == std::vector<float>{-4, -3, -3, -2, -1, -1, -2, -1, -1});
}

TEST_CASE("max_pool2d ties go to the first maximum; overlapping windows sum", "[pool]") {
  ReferenceBackendGuard reference;
  // Window 1 is all 5s (the first, top-left, wins); window 2 has 3 twice
  // (row-major order: (0,3) comes before (1,2)).
  Tensor x = Tensor::from_vector<float>({5, 5, 1, 3,  //
                                         5, 5, 3, 2},
                                        {1, 1, 2, 4});
  Tensor dy = Tensor::from_vector<float>({10, 20}, {1, 1, 1, 2});
  CHECK(max_pool_grad(x, window(2, 2, 2), dy) == std::vector<float>{10, 0, 0, 20, 0, 0, 0, 0});

  // The centre is the maximum of all four overlapping 2x2 windows: it gets their sum.
  Tensor c = Tensor::from_vector<float>({1, 2, 3, 4, 9, 5, 6, 7, 8}, {1, 1, 3, 3});
  Tensor dc = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  CHECK(max_pool_grad(c, window(2, 2, 1), dc) == std::vector<float>{0, 0, 0, 0, 10, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d propagates NaN", "[pool]") {
  ReferenceBackendGuard reference;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::from_vector<float>({1, nan, 3, 2, 7, 1, 0, 0}, {1, 1, 2, 4});
  auto y = ops::max_pool2d(x, window(2, 2, 2)).to_vector<float>();
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 3);
}

TEST_CASE("avg_pool2d at a padded corner: include vs exclude padding", "[pool]") {
  ReferenceBackendGuard reference;
  // 3x3 input, 2x2 windows, stride 2, padding 1 on every side: the windows see
  //   {1} | {2,3} over {4,7} | {5,6,8,9}   (the rest is padding).
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Tensor inc = ops::avg_pool2d(x, window(2, 2, 2, 1, 1, 1, 1, /*include_pad=*/true));
  Tensor exc = ops::avg_pool2d(x, window(2, 2, 2, 1, 1, 1, 1, /*include_pad=*/false));
  CHECK(inc.shape() == Shape{1, 1, 2, 2});
  CHECK(inc.to_vector<float>() == std::vector<float>{0.25f, 1.25f, 2.75f, 7});  // always / 4
  CHECK(exc.to_vector<float>() == std::vector<float>{1, 2.5f, 5.5f, 7});        // / real pixels

  // Backward: each pixel lies in exactly one window and gets dy / divisor.
  for (bool include : {true, false}) {
    CAPTURE(include);
    Tensor xr = x.detach();
    xr.set_requires_grad(true);
    Tensor y = ops::avg_pool2d(xr, window(2, 2, 2, 1, 1, 1, 1, include));
    ops::dense(y.reshape({1, -1}), Tensor::full({1, 4}, 1.0), Tensor()).backward();
    std::vector<float> expected = include
        ? std::vector<float>(9, 0.25f)
        : std::vector<float>{1, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.5f, 0.25f, 0.25f};
    CHECK(xr.grad().to_vector<float>() == expected);
  }
}

TEST_CASE("avg_pool2d known values without padding", "[pool]") {
  ReferenceBackendGuard reference;
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {1, 1, 3, 4});
  // 2x2, stride 2: the last row is not reached.
  CHECK(ops::avg_pool2d(x, window(2, 2, 2)).to_vector<float>() == std::vector<float>{3.5f, 5.5f});
  // 3x1 column windows, stride 1.
  CHECK(ops::avg_pool2d(x, window(3, 1, 1)).to_vector<float>() == std::vector<float>{5, 6, 7, 8});
}

TEST_CASE("avg_pool2d LeNet case: 7x7 stride 2 SAME on 64x64 gives 32x32", "[pool]") {
  ReferenceBackendGuard reference;
  const SamePadding pad = ops::same_padding(64, 7, 2);
  REQUIRE(pad.before == 2);
  REQUIRE(pad.after == 3);
  // x[n,c,h,w] = h + c: the pool of a window is the mean of its real rows, plus c.
  std::vector<float> v(2 * 64 * 64);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t h = 0; h < 64; ++h)
      for (int64_t w = 0; w < 64; ++w) v[(c * 64 + h) * 64 + w] = static_cast<float>(h + c);
  Tensor x = Tensor::from_vector(v, {1, 2, 64, 64});
  Tensor y = ops::avg_pool2d(x, window(7, 7, 2, pad.before, pad.before, pad.after, pad.after,
                                       /*include_pad=*/false));
  REQUIRE(y.shape() == Shape{1, 2, 32, 32});
  auto out = y.to_vector<float>();
  auto at = [&](int64_t c, int64_t p, int64_t q) { return out[(c * 32 + p) * 32 + q]; };
  CHECK(at(0, 0, 0) == 2.0f);        // rows 0..4 (rows -2, -1 are padding)
  CHECK(at(0, 10, 0) == 21.0f);      // rows 18..24, all real
  CHECK(at(1, 31, 31) == 62.5f);     // rows 60..63 (64..66 are padding), plus c = 1
  CHECK(at(1, 15, 31) == 32.0f);     // rows 28..34, plus c = 1
}

TEST_CASE("global_avg_pool known values", "[pool]") {
  ReferenceBackendGuard reference;
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, -1, -1, -1, -1, -1, 8}, {2, 1, 2, 3});
  Tensor y = ops::global_avg_pool(x);
  CHECK(y.shape() == Shape{2, 1});
  CHECK(y.to_vector<float>() == std::vector<float>{3.5f, 0.5f});

  Tensor xr = x.detach();
  xr.set_requires_grad(true);
  ops::dense(ops::global_avg_pool(xr).reshape({1, -1}), Tensor::from_vector<float>({6, 12}, {1, 2}),
             Tensor())
      .backward();
  CHECK(xr.grad().to_vector<float>() == std::vector<float>{1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2});
}

TEST_CASE("pooling rejects bad arguments", "[pool][errors]") {
  Tensor x = Tensor::zeros({1, 2, 5, 5});
  CHECK_THROWS_WITH(ops::max_pool2d(x, window(2, 2, 2, 2, 0, 0, 0)),
                    Catch::Contains("padding must be smaller than the window"));
  CHECK_THROWS_WITH(ops::avg_pool2d(x, window(3, 3, 1, 0, 0, 0, 3)),
                    Catch::Contains("padding must be smaller than the window"));
  CHECK_THROWS_WITH(ops::max_pool2d(x, window(7, 7, 1)),
                    Catch::Contains("window 7x7 is larger than the padded input 5x5"));
  CHECK_THROWS_WITH(ops::avg_pool2d(x, window(2, 2, 0)),
                    Catch::Contains("window and stride must be positive"));
  CHECK_THROWS_WITH(ops::max_pool2d(x, window(0, 2, 1)),
                    Catch::Contains("window and stride must be positive"));
  CHECK_THROWS_WITH(ops::avg_pool2d(x, window(2, 2, 1, -1, 0, 0, 0)),
                    Catch::Contains("padding must be >= 0"));
  CHECK_THROWS_WITH(ops::max_pool2d(Tensor::zeros({2, 5, 5}), window(2, 2, 2)),
                    Catch::Contains("max_pool2d: input must have 4 dimensions"));
  CHECK_THROWS_WITH(ops::avg_pool2d(Tensor::zeros({1, 0, 5, 5}), window(2, 2, 2)),
                    Catch::Contains("input sizes must be positive"));
  CHECK_THROWS_WITH(ops::global_avg_pool(Tensor::zeros({2, 3})),
                    Catch::Contains("global_avg_pool: input must have 4 dimensions"));
  CHECK_THROWS_WITH(ops::global_avg_pool(Tensor::zeros({2, 3, 0, 4})),
                    Catch::Contains("input sizes must be positive"));
}
