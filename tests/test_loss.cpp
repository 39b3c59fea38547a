// Losses: softmax cross-entropy, MSE, RMSE, cosine loss. Known values worked
// out by hand, NaN propagation, gradient checks, bad inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/ops.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor labels_of(std::vector<int64_t> v) {
  Shape s{static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, s);
}

// The gradient of `loss` with respect to `x` (x gets requires_grad).
template <class LossFn>
std::vector<double> gradient_of(Tensor x, LossFn loss) {
  x.set_requires_grad(true);
  loss(x).backward();
  return x.grad().to(DType::F64).to_vector<double>();
}
}  // namespace

// ---------------------------------------------------------------- cross-entropy

TEST_CASE("softmax cross-entropy known values", "[loss]") {
  // Both rows are logits (1, 2, 3). Row 0 has label 2, row 1 label 0:
  // log-sum-exp = 3 + log(1 + e^-1 + e^-2), losses lse - 3 and lse - 1.
  Tensor logits = Tensor::from_vector<float>({1, 2, 3, 1, 2, 3}, {2, 3});
  Tensor loss = ops::softmax_cross_entropy(logits, labels_of({2, 0}));
  CHECK(loss.shape() == Shape{});
  double lse = 3 + std::log(1 + std::exp(-1.0) + std::exp(-2.0));
  CHECK(loss.item() == Approx(((lse - 3) + (lse - 1)) / 2).epsilon(1e-6));

  // Gradient: (softmax - onehot) / N.
  double p0 = std::exp(1 - lse), p1 = std::exp(2 - lse), p2 = std::exp(3 - lse);
  auto g = gradient_of(logits, [](const Tensor& x) {
    return ops::softmax_cross_entropy(x, labels_of({2, 0}));
  });
  check_close(g, std::vector<double>{p0 / 2, p1 / 2, (p2 - 1) / 2, (p0 - 1) / 2, p1 / 2, p2 / 2},
              1e-5, 1e-7, "cross-entropy gradient");
}

TEST_CASE("softmax cross-entropy of uniform logits is log C", "[loss]") {
  for (int64_t C : {2, 5, 10}) {
    CAPTURE(C);
    Tensor logits = Tensor::full({3, C}, 7.5);
    double loss = ops::softmax_cross_entropy(logits, labels_of({0, C - 1, 1})).item();
    CHECK(loss == Approx(std::log(static_cast<double>(C))).epsilon(1e-6));
  }
}

TEST_CASE("softmax cross-entropy stays finite for huge logits", "[loss]") {
  // Row 0 is right with certainty (loss 0), row 1 wrong by 2000 (loss 2000).
  Tensor logits = Tensor::from_vector<float>({1000, -1000, -1000, 1000}, {2, 2});
  auto loss_of = [](const Tensor& x) { return ops::softmax_cross_entropy(x, labels_of({0, 0})); };
  double loss = loss_of(logits).item();
  CHECK(std::isfinite(loss));
  CHECK(loss == Approx(1000.0));
  auto g = gradient_of(logits, loss_of);
  CHECK(g == std::vector<double>{0, 0, -0.5, 0.5});
}

TEST_CASE("softmax cross-entropy rejects bad labels and logits", "[loss][errors]") {
  Tensor logits = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(logits, labels_of({0, 3})),
                    Catch::Contains("label 3 at index 1 is out of range [0, 3)"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(logits, labels_of({-1, 0})),
                    Catch::Contains("label -1 at index 0 is out of range"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(logits, Tensor::zeros({2})),
                    Catch::Contains("labels must be int64"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(logits, labels_of({0, 1, 2})),
                    Catch::Contains("must have shape [2]"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(Tensor::zeros({2, 3, 1}), labels_of({0, 1})),
                    Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(Tensor::zeros({2, 3}, DType::I64), labels_of({0, 1})),
                    Catch::Contains("floating-point"));
  CHECK_THROWS_WITH(ops::softmax_cross_entropy(Tensor::zeros({0, 3}), labels_of({})),
                    Catch::Contains("at least one sample"));
}

// ---------------------------------------------------------------- MSE / RMSE

TEST_CASE("mse and rmse known values", "[loss]") {
  // Differences 1, 0, -2, 0: squares 1, 0, 4, 0, mean 1.25.
  Tensor pred = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor target = Tensor::from_vector<float>({0, 2, 5, 4}, {2, 2});
  Tensor mse = ops::mse_loss(pred, target);
  CHECK(mse.shape() == Shape{});
  CHECK(mse.item() == Approx(1.25));
  Tensor rmse = ops::rmse_loss(pred, target);
  CHECK(rmse.shape() == Shape{});
  CHECK(rmse.item() == Approx(std::sqrt(1.25)));

  // d mse = 2 (p - t) / 4; d rmse = d mse / (2 rmse).
  auto gm = gradient_of(pred, [&](const Tensor& p) { return ops::mse_loss(p, target); });
  check_close(gm, std::vector<double>{0.5, 0, -1, 0}, 1e-6, 1e-7, "mse gradient");
  pred.zero_grad();
  auto gr = gradient_of(pred, [&](const Tensor& p) { return ops::rmse_loss(p, target); });
  double s = 1 / (2 * std::sqrt(1.25));
  check_close(gr, std::vector<double>{0.5 * s, 0, -s, 0}, 1e-6, 1e-7, "rmse gradient");
}

TEST_CASE("rmse of an exact prediction is 0 with zero gradient", "[loss]") {
  Tensor target = Tensor::from_vector<double>({1, -2, 3}, {3});
  auto g = gradient_of(target.clone(), [&](const Tensor& p) {
    Tensor loss = ops::rmse_loss(p, target);
    CHECK(loss.item() == 0);
    return loss;
  });
  CHECK(g == std::vector<double>{0, 0, 0});
}

TEST_CASE("regression targets receive no gradient", "[loss]") {
  for (int which = 0; which < 3; ++which) {
    CAPTURE(which);
    Tensor pred = random_tensor({2, 3}, 31).set_requires_grad(true);
    Tensor target = random_tensor({2, 3}, 32).set_requires_grad(true);
    Tensor loss = which == 0   ? ops::mse_loss(pred, target)
                  : which == 1 ? ops::rmse_loss(pred, target)
                               : ops::cosine_loss(pred, target);
    loss.backward();
    CHECK(pred.grad().defined());
    CHECK_FALSE(target.grad().defined());
  }
}

// mse's own gradient is the grad mode's (tests/test_backend_op_grads.cpp);
// rmse is sqrt(mse), composed here in core/ops, so it is checked here.
TEST_CASE("rmse gradients", "[loss][gradcheck]") {
  for (const Shape& s : {Shape{1}, Shape{3, 5}, Shape{2, 3, 5, 7}, Shape{4, 1, 3}}) {
    CAPTURE(shape_str(s));
    Tensor target = random_tensor(s, 41);
    // Away from rmse == 0: the prediction differs from the target by at least 0.5 somewhere.
    Tensor pred = random_tensor(s, 43);
    pred.data<double>()[0] = target.to_vector<double>()[0] + 0.5;
    check_gradients([&](auto& in) { return ops::rmse_loss(in[0], target); }, {pred});
  }
}

TEST_CASE("mse and rmse reject mismatched inputs", "[loss][errors]") {
  CHECK_THROWS_WITH(ops::mse_loss(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})),
                    Catch::Contains("must have the same shape"));
  CHECK_THROWS_WITH(ops::rmse_loss(Tensor::zeros({2, 3}), Tensor::zeros({2, 3, 1})),
                    Catch::Contains("must have the same shape"));
  CHECK_THROWS_WITH(ops::mse_loss(Tensor::zeros({2}), Tensor::zeros({2}, DType::F64)),
                    Catch::Contains("share dtype"));
  CHECK_THROWS_WITH(ops::mse_loss(Tensor::zeros({0, 2}), Tensor::zeros({0, 2})),
                    Catch::Contains("at least one element"));
  CHECK_THROWS_WITH(ops::rmse_loss(Tensor::zeros({2}), Tensor()), Catch::Contains("undefined"));
}

// ---------------------------------------------------------------- cosine

TEST_CASE("cosine loss known values", "[loss]") {
  // Rows: parallel (loss 0), antiparallel (2), orthogonal (1), zero prediction (1).
  Tensor pred = Tensor::from_vector<float>({1, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, {4, 3});
  Tensor target = Tensor::from_vector<float>({2, 4, 0, -3, 0, 0, 5, 0, 0, 1, 1, 1}, {4, 3});
  Tensor loss = ops::cosine_loss(pred, target);
  CHECK(loss.shape() == Shape{});
  CHECK(loss.item() == Approx((0.0 + 2 + 1 + 1) / 4));

  // d(1 - cos)/dp = -(t / (|p||t|) - cos p / |p|^2) / N: zero at (anti)parallel
  // rows, -t / (|p||t|) / 4 = (-0.25, 0, 0) for the orthogonal row, and zero
  // by definition for the zero-vector row.
  auto g = gradient_of(pred, [&](const Tensor& p) { return ops::cosine_loss(p, target); });
  check_close(g, std::vector<double>{0, 0, 0, 0, 0, 0, -0.25, 0, 0, 0, 0, 0}, 1e-6, 1e-7,
              "cosine gradient");
}

TEST_CASE("cosine loss of a zero target row is 1 with zero gradient", "[loss]") {
  Tensor pred = Tensor::from_vector<double>({1, 2, 3, 4}, {2, 2});
  Tensor target = Tensor::from_vector<double>({0, 0, 3, 4}, {2, 2});  // row 1 parallel
  auto loss_of = [&](const Tensor& p) { return ops::cosine_loss(p, target); };
  CHECK(loss_of(pred).item() == Approx((1.0 + 0.0) / 2));
  auto g = gradient_of(pred, loss_of);
  CHECK(g[0] == 0);
  CHECK(g[1] == 0);
  CHECK(g[2] == Approx(0).margin(1e-15));
  CHECK(g[3] == Approx(0).margin(1e-15));
}

TEST_CASE("cosine loss rejects bad shapes", "[loss][errors]") {
  CHECK_THROWS_WITH(ops::cosine_loss(Tensor::zeros({6}), Tensor::zeros({6})),
                    Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(ops::cosine_loss(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})),
                    Catch::Contains("must have the same shape"));
}

// ---------------------------------------------------------------- NaN policy

TEST_CASE("every loss propagates NaN", "[loss]") {
  // NaN in the middle of a row, away from the label and from the row start, so
  // that a max or a norm that skipped it would show.
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    Tensor logits = Tensor::from_vector<double>({0, kNaN, 1, 2, 0, 1}, {2, 3}).to(dt);
    CHECK(std::isnan(ops::softmax_cross_entropy(logits, labels_of({2, 0})).item()));
    Tensor first = Tensor::from_vector<double>({kNaN, 0, 1, 2, 0, 1}, {2, 3}).to(dt);
    CHECK(std::isnan(ops::softmax_cross_entropy(first, labels_of({2, 0})).item()));

    Tensor clean = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}).to(dt);
    Tensor dirty = Tensor::from_vector<double>({1, 2, 3, 4, kNaN, 6}, {2, 3}).to(dt);
    for (auto [p, t] : {std::pair{dirty, clean}, std::pair{clean, dirty}}) {
      CHECK(std::isnan(ops::mse_loss(p, t).item()));
      CHECK(std::isnan(ops::rmse_loss(p, t).item()));
      CHECK(std::isnan(ops::cosine_loss(p, t).item()));
    }
  }
}
