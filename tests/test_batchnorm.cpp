// Batch norm: known values, normalised statistics, running-stat updates with
// the unbiased variance, eval mode, gradient checks (train and eval), bad inputs.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/ops.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

// Per-channel mean and variance of x [N,C,HW...], computed here independently of the kernels.
struct ChannelStats { std::vector<double> mean, biased_var, unbiased_var; };

ChannelStats channel_stats(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.numel() / (N * C);
  auto v = x.to(DType::F64).to_vector<double>();
  ChannelStats s;
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) sum += v[(n * C + c) * HW + i];
    const double m = static_cast<double>(N * HW), mean = sum / m;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) sq += std::pow(v[(n * C + c) * HW + i] - mean, 2);
    s.mean.push_back(mean);
    s.biased_var.push_back(sq / m);
    s.unbiased_var.push_back(sq / (m - 1));
  }
  return s;
}

}  // namespace

TEST_CASE("batch norm training known values", "[batchnorm]") {
  // [N=2, C=2]: channel 0 holds {1, 3} (mean 2, biased var 1, unbiased var 2),
  // channel 1 holds {10, 20} (mean 15, biased var 25, unbiased var 50).
  Tensor x = Tensor::from_vector<double>({1, 10, 3, 20}, {2, 2});
  Tensor gamma = Tensor::from_vector<double>({2, 1}, {2});
  Tensor beta = Tensor::from_vector<double>({0.5, 0}, {2});
  Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::full({2}, 1.0, DType::F64);
  const double eps = 1e-5;
  auto y = ops::batch_norm(x, gamma, beta, rm, rv, true, 0.1, eps).to_vector<double>();
  const double a = 1 / std::sqrt(1 + eps), b = 5 / std::sqrt(25 + eps);
  CHECK(y[0] == Approx(-2 * a + 0.5).epsilon(1e-12));
  CHECK(y[1] == Approx(-b).epsilon(1e-12));
  CHECK(y[2] == Approx(2 * a + 0.5).epsilon(1e-12));
  CHECK(y[3] == Approx(b).epsilon(1e-12));
  // running = 0.9 * old + 0.1 * batch, with the unbiased variance.
  auto m = rm.to_vector<double>(), v = rv.to_vector<double>();
  CHECK(m[0] == Approx(0.2).epsilon(1e-12));
  CHECK(m[1] == Approx(1.5).epsilon(1e-12));
  CHECK(v[0] == Approx(0.9 + 0.1 * 2).epsilon(1e-12));
  CHECK(v[1] == Approx(0.9 + 0.1 * 50).epsilon(1e-12));
}

TEST_CASE("batch norm output has zero mean and unit variance per channel", "[batchnorm]") {
  // float32, each channel with its own offset and spread; gamma = 1, beta = 0.
  const int64_t N = 4, C = 3, H = 5, W = 7;
  std::vector<float> v(N * C * H * W);
  Rng rng(3);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H * W; ++i)
        v[(n * C + c) * H * W + i] = static_cast<float>(10.0 * c - 7 + (c + 1) * rng.normal());
  Tensor x = Tensor::from_vector(v, {N, C, H, W});
  Tensor rm = Tensor::zeros({C}), rv = Tensor::full({C}, 1.0);
  Tensor y = ops::batch_norm(x, Tensor::full({C}, 1.0), Tensor::zeros({C}), rm, rv, true, 0.1, 1e-5);
  ChannelStats s = channel_stats(y);
  for (int64_t c = 0; c < C; ++c) {
    CAPTURE(c);
    CHECK(s.mean[c] == Approx(0).margin(1e-6));
    CHECK(s.biased_var[c] == Approx(1).epsilon(1e-4));  // var / (var + eps), var >= ~1
  }
}

TEST_CASE("batch norm running statistics follow PyTorch's momentum rule", "[batchnorm]") {
  const double momentum = 0.3;
  Tensor rm = random_tensor({2}, 1, -1, 1), rv = random_tensor({2}, 2, 0.5, 2);
  Tensor gamma = random_tensor({2}, 3), beta = random_tensor({2}, 4);
  for (uint64_t step = 0; step < 2; ++step) {
    CAPTURE(step);
    Tensor x = random_tensor({3, 2, 5, 3}, 10 + step, -2, 3);
    auto old_mean = rm.to_vector<double>(), old_var = rv.to_vector<double>();
    ChannelStats s = channel_stats(x);
    ops::batch_norm(x, gamma, beta, rm, rv, true, momentum, 1e-5);
    auto new_mean = rm.to_vector<double>(), new_var = rv.to_vector<double>();
    for (int c = 0; c < 2; ++c) {
      CHECK(new_mean[c] == Approx((1 - momentum) * old_mean[c] + momentum * s.mean[c]).epsilon(1e-12));
      CHECK(new_var[c] ==
            Approx((1 - momentum) * old_var[c] + momentum * s.unbiased_var[c]).epsilon(1e-12));
    }
  }
}

TEST_CASE("batch norm eval uses the running statistics and leaves them alone", "[batchnorm]") {
  const double eps = 1e-3;
  Tensor x = random_tensor({2, 3, 3, 3}, 5, -2, 2);
  Tensor gamma = Tensor::from_vector<double>({1.5, -0.5, 2}, {3});
  Tensor beta = Tensor::from_vector<double>({0.1, 0.2, -0.3}, {3});
  Tensor rm = Tensor::from_vector<double>({0.5, -1, 0}, {3});
  Tensor rv = Tensor::from_vector<double>({4, 0.25, 1}, {3});
  auto y = ops::batch_norm(x, gamma, beta, rm, rv, false, 0.1, eps).to_vector<double>();
  auto xv = x.to_vector<double>(), g = gamma.to_vector<double>(), b = beta.to_vector<double>();
  auto m = rm.to_vector<double>(), v = rv.to_vector<double>();
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 9; ++i) {
        const int k = (n * 3 + c) * 9 + i;
        CHECK(y[k] == Approx((xv[k] - m[c]) / std::sqrt(v[c] + eps) * g[c] + b[c]).epsilon(1e-12));
      }
  CHECK(rm.to_vector<double>() == m);
  CHECK(rv.to_vector<double>() == v);

  // One value per channel is fine in eval (no batch statistics needed).
  Tensor one = Tensor::from_vector<double>({3, 3, 3}, {1, 3, 1, 1});
  auto y1 = ops::batch_norm(one, gamma, beta, rm, rv, false, 0.1, eps).to_vector<double>();
  CHECK(y1[0] == Approx((3 - 0.5) / std::sqrt(4 + eps) * 1.5 + 0.1).epsilon(1e-12));
}

TEST_CASE("batch norm rejects bad inputs", "[batchnorm][errors]") {
  Tensor x = Tensor::zeros({2, 3, 4, 4});
  Tensor c3 = Tensor::zeros({3}), c4 = Tensor::zeros({4});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0), rv4 = Tensor::full({4}, 1.0);
  CHECK_THROWS_WITH(ops::batch_norm(x, c4, c3, rm, rv, true, 0.1, 1e-5),
                    Catch::Contains("gamma must have shape [C] = [3]") &&
                        Catch::Contains("float32[4]"));
  CHECK_THROWS_WITH(ops::batch_norm(x, c3, c4, rm, rv, true, 0.1, 1e-5), Catch::Contains("beta"));
  CHECK_THROWS_WITH(ops::batch_norm(x, c3, c3, rm, rv4, false, 0.1, 1e-5),
                    Catch::Contains("running_var must have shape [C] = [3]"));
  CHECK_THROWS_WITH(ops::batch_norm(Tensor::zeros({2, 3, 4}), c3, c3, rm, rv, true, 0.1, 1e-5),
                    Catch::Contains("[N,C] or [N,C,H,W]"));
  CHECK_THROWS_WITH(ops::batch_norm(x, c3, c3, rm, rv, true, 1.5, 1e-5), Catch::Contains("momentum"));
  CHECK_THROWS_WITH(ops::batch_norm(x, c3, c3, rm, rv, true, 0.1, -1), Catch::Contains("eps"));
  Tensor rm64 = Tensor::zeros({3}, DType::F64);
  CHECK_THROWS_WITH(ops::batch_norm(x, c3, c3, rm64, rv, true, 0.1, 1e-5),
                    Catch::Contains("share dtype"));

  // Training needs more than one value per channel, as in PyTorch.
  CHECK_THROWS_WITH(ops::batch_norm(Tensor::zeros({1, 3, 1, 1}), c3, c3, rm, rv, true, 0.1, 1e-5),
                    Catch::Contains("more than 1 value per channel"));
  CHECK_THROWS_WITH(ops::batch_norm(Tensor::zeros({1, 3}), c3, c3, rm, rv, true, 0.1, 1e-5),
                    Catch::Contains("more than 1 value per channel"));
  // ... and the failed calls left the running statistics untouched.
  CHECK(rm.to_vector<float>() == std::vector<float>{0, 0, 0});
  CHECK(rv.to_vector<float>() == std::vector<float>{1, 1, 1});
  // N = 1 with several pixels is enough.
  CHECK_NOTHROW(ops::batch_norm(Tensor::zeros({1, 3, 2, 1}), c3, c3, rm, rv, true, 0.1, 1e-5));
}
