// The oneDNN CPU backend against the reference backend, op by op, forward
// and backward, on random float32 inputs.
//
// Every comparison runs the op on both backends into fresh outputs filled
// with NaN (so an element a kernel forgets to write fails) and checks
// |onednn - reference| <= 1e-5 + 1e-4 * |reference| element by element. The
// failure message names the op and the shape. Shapes come from the source
// networks (64x64 inputs, 6x6/5x5/3x3/7x7 kernels, 1-6 input channels,
// 32/64/128 output channels, batch 1 and 7), plus SAME-padding asymmetric
// cases, stride 2 and odd sizes. The reference convolution is a plain loop,
// so the convolution shapes are kept to what runs in a few seconds.
#include <catch2/catch.hpp>

// The oneDNN backend exists only in builds that found oneDNN.
#if defined(ASTROCNN_HAVE_ONEDNN)

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "gradcheck.h"
#include "kernels/backend.h"
#include "kernels/cpu/onednn_backend.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

Backend& onednn() { return onednn_backend(); }

Tensor random_f32(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  return random_tensor(shape, seed, lo, hi, DType::F32);
}

Tensor nan_tensor(const Shape& shape) { return Tensor::full(shape, NAN); }

using OutputOp = std::function<void(Backend&, std::vector<Tensor>&)>;

// For ops whose expected output holds NaN (NaN propagation): the NaNs must
// sit at the same positions; they are then zeroed so check_close compares the rest.
void match_nans(Tensor& got, Tensor& want, const std::string& what) {
  std::vector<float> g = got.to_vector<float>(), w = want.to_vector<float>();
  size_t mismatched = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(g[i]) != std::isnan(w[i])) ++mismatched;
    if (std::isnan(g[i]) && std::isnan(w[i])) g[i] = w[i] = 0;
  }
  INFO(what << ": " << mismatched << " elements are NaN in one output only");
  CHECK(mismatched == 0);
  got = Tensor::from_vector(g, got.shape());
  want = Tensor::from_vector(w, want.shape());
}

// |got - want| <= rtol * |want| + atol * max(1, max |want|).
// The absolute term scales with the output's largest magnitude because the
// float32 rounding error of a long sum (a weight gradient adds N*P*Q
// products) is proportional to the size of its terms, not to the result,
// which may cancel to nearly 0. A wrong index still shows up as an error of
// the order of the outputs themselves, thousands of times above this.
struct Tolerance {
  double rtol = 1e-4, atol = 1e-5;
  bool nan_is_expected = false;  // outputs may hold NaN, at the same places
};

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to(DType::F64).to_vector<double>())
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
  return m;
}

// Runs `op` on each backend with NaN-filled outputs of the given shapes and
// compares the outputs of the two runs.
void compare_outputs(const std::string& what, const std::vector<Shape>& output_shapes,
                     const OutputOp& op, Tolerance tol = {}) {
  std::vector<Tensor> got, want;
  for (const Shape& s : output_shapes) {
    got.push_back(nan_tensor(s));
    want.push_back(nan_tensor(s));
  }
  op(onednn(), got);
  op(reference_backend(), want);
  for (size_t i = 0; i < got.size(); ++i) {
    const std::string name = what + ", output " + std::to_string(i);
    if (tol.nan_is_expected) match_nans(got[i], want[i], name);
    check_close(got[i], want[i], tol.rtol, tol.atol * std::max(1.0, max_abs(want[i])), name);
  }
}

const Tolerance kExact{0, 0, false};
const Tolerance kExactWithNan{0, 0, true};

// ---- convolution shapes ----
Conv2dParams conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                  int64_t stride, int64_t top, int64_t left, int64_t bottom, int64_t right,
                  int64_t groups = 1) {
  Conv2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.K = K, p.R = R, p.S = S;
  p.stride_h = p.stride_w = stride;
  p.pad_top = top, p.pad_left = left, p.pad_bottom = bottom, p.pad_right = right;
  p.groups = groups;
  p.validate();
  return p;
}

// TensorFlow's SAME padding (asymmetric when the total is odd).
Conv2dParams conv_same(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                       int64_t S, int64_t stride) {
  const ops::SamePadding ph = ops::same_padding(H, R, stride), pw = ops::same_padding(W, S, stride);
  return conv(N, C, H, W, K, R, S, stride, ph.before, pw.before, ph.after, pw.after);
}

Shape conv_x(const Conv2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape conv_w(const Conv2dParams& p) { return {p.K, p.C / p.groups, p.R, p.S}; }
Shape conv_y(const Conv2dParams& p) { return {p.N, p.K, p.P(), p.Q()}; }

// ---- pooling shapes ----
Pool2dParams pool(int64_t N, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S,
                  int64_t stride, int64_t top, int64_t left, int64_t bottom, int64_t right,
                  bool count_include_pad = true) {
  Pool2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.R = R, p.S = S;
  p.stride_h = p.stride_w = stride;
  p.pad_top = top, p.pad_left = left, p.pad_bottom = bottom, p.pad_right = right;
  p.count_include_pad = count_include_pad;
  p.validate();
  return p;
}

Pool2dParams pool_same(int64_t N, int64_t C, int64_t H, int64_t W, int64_t R, int64_t stride,
                       bool count_include_pad) {
  const ops::SamePadding ph = ops::same_padding(H, R, stride), pw = ops::same_padding(W, R, stride);
  return pool(N, C, H, W, R, R, stride, ph.before, pw.before, ph.after, pw.after,
              count_include_pad);
}

Shape pool_x(const Pool2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape pool_y(const Pool2dParams& p) { return {p.N, p.C, p.P(), p.Q()}; }

}  // namespace

TEST_CASE("cpu backend: float32 CPU tensors run on oneDNN unless the reference is forced",
          "[cpu]") {
  CHECK(onednn().name() == "cpu-onednn");
  CHECK(onednn().device() == Device::CPU);
  if (!reference_backend_forced()) CHECK(backend_for(Device::CPU).name() == "cpu-onednn");
  {
    ReferenceBackendGuard guard;
    CHECK(backend_for(Device::CPU).name() == "reference");
  }
  CHECK(backend_for(Tensor::zeros({2}, DType::F64)).name() == "reference");
}

TEST_CASE("cpu backend: elementwise ops match the reference", "[cpu]") {
  const std::vector<Shape> shapes{{1}, {7, 32, 13, 9}, {32, 10}, {32, 32, 29, 29}};
  uint64_t seed = 10;
  for (const Shape& s : shapes) {
    const std::string at = " on " + shape_str(s);
    Tensor a = random_f32(s, ++seed), b = random_f32(s, ++seed), dy = random_f32(s, ++seed);
    compare_outputs("add" + at, {s}, [&](Backend& be, auto& out) { be.add(a, b, out[0]); });
    compare_outputs("scale" + at, {s}, [&](Backend& be, auto& out) { be.scale(a, -0.37, out[0]); });
    compare_outputs("fill" + at, {s}, [&](Backend& be, auto& out) { be.fill(out[0], 2.5); });

    Tensor y_relu = nan_tensor(s), y_sig = nan_tensor(s);
    reference_backend().relu_forward(a, y_relu);
    reference_backend().sigmoid_forward(a, y_sig);
    compare_outputs("relu_forward" + at, {s}, [&](Backend& be, auto& out) { be.relu_forward(a, out[0]); });
    compare_outputs("relu_backward" + at, {s},
                    [&](Backend& be, auto& out) { be.relu_backward(y_relu, dy, out[0]); });
    compare_outputs("sigmoid_forward" + at, {s},
                    [&](Backend& be, auto& out) { be.sigmoid_forward(a, out[0]); });
    compare_outputs("sigmoid_backward" + at, {s},
                    [&](Backend& be, auto& out) { be.sigmoid_backward(y_sig, dy, out[0]); });
  }
  // Large logits and sigmoid tails.
  Tensor wide = random_f32({7, 33}, 3, -60, 60);
  compare_outputs("sigmoid_forward on [7,33] in [-60,60]", {{7, 33}},
                  [&](Backend& be, auto& out) { be.sigmoid_forward(wide, out[0]); });
}

TEST_CASE("cpu backend: ReLU propagates NaN and zeroes gradients where y <= 0", "[cpu]") {
  Tensor x = Tensor::from_vector<float>({-2, 0, 3, NAN, -0.5f}, {5});
  Tensor y = nan_tensor({5});
  onednn().relu_forward(x, y);
  auto v = y.to_vector<float>();
  CHECK(v[0] == 0);
  CHECK(v[1] == 0);
  CHECK(v[2] == 3);
  CHECK(std::isnan(v[3]));
  CHECK(v[4] == 0);
  Tensor dy = Tensor::from_vector<float>({1, 2, 3, 4, INFINITY}, {5});
  Tensor dx = nan_tensor({5});
  onednn().relu_backward(y, dy, dx);
  CHECK(dx.to_vector<float>() == std::vector<float>{0, 0, 3, 0, 0});

  Tensor s = nan_tensor({1});
  onednn().sigmoid_forward(Tensor::from_vector<float>({NAN}, {1}), s);
  CHECK(std::isnan(s.item()));
}

TEST_CASE("cpu backend: softmax matches the reference", "[cpu]") {
  for (Shape s : {Shape{1, 1}, Shape{7, 10}, Shape{32, 37}, Shape{3, 1000}}) {
    Tensor x = random_f32(s, 5, -20, 20);
    compare_outputs("softmax_forward on " + shape_str(s), {s},
                    [&](Backend& be, auto& out) { be.softmax_forward(x, out[0]); });
  }
}

TEST_CASE("cpu backend: dense forward and backward match the reference", "[cpu]") {
  struct Case { int64_t N, I, O; };
  for (Case c : {Case{1, 1, 1}, Case{7, 4608, 64}, Case{32, 512, 10}, Case{3, 13, 5}}) {
    const std::string at = " with N=" + std::to_string(c.N) + " I=" + std::to_string(c.I) +
                           " O=" + std::to_string(c.O);
    Tensor x = random_f32({c.N, c.I}, 21), w = random_f32({c.O, c.I}, 22);
    Tensor b = random_f32({c.O}, 23), dy = random_f32({c.N, c.O}, 24);
    compare_outputs("dense_forward with bias" + at, {{c.N, c.O}},
                    [&](Backend& be, auto& out) { be.dense_forward(x, w, &b, out[0]); });
    compare_outputs("dense_forward without bias" + at, {{c.N, c.O}},
                    [&](Backend& be, auto& out) { be.dense_forward(x, w, nullptr, out[0]); });
    compare_outputs("dense_backward_data" + at, {{c.N, c.I}},
                    [&](Backend& be, auto& out) { be.dense_backward_data(dy, w, out[0]); });
    compare_outputs("dense_backward_weights with bias" + at, {{c.O, c.I}, {c.O}},
                    [&](Backend& be, auto& out) { be.dense_backward_weights(x, dy, out[0], &out[1]); });
    compare_outputs("dense_backward_weights without bias" + at, {{c.O, c.I}},
                    [&](Backend& be, auto& out) { be.dense_backward_weights(x, dy, out[0], nullptr); });
  }
}

TEST_CASE("cpu backend: conv2d forward and backward match the reference", "[cpu]") {
  const std::vector<Conv2dParams> cases{
      conv(1, 1, 64, 64, 32, 6, 6, 1, 0, 0, 0, 0),  // Huertas-Company conv1 (VALID), batch 1
      conv(7, 1, 64, 64, 32, 6, 6, 1, 0, 0, 0, 0),  // ... batch 7
      conv(1, 32, 29, 29, 64, 5, 5, 1, 0, 0, 0, 0), // Huertas-Company conv2
      conv(7, 64, 12, 12, 128, 3, 3, 1, 0, 0, 0, 0),// Huertas-Company conv3
      conv(1, 128, 10, 10, 128, 3, 3, 1, 0, 0, 0, 0),  // Huertas-Company conv4
      conv(1, 6, 64, 64, 64, 7, 7, 2, 3, 3, 3, 3),  // 7x7 stride 2, symmetric padding, 6 channels
      conv_same(1, 1, 64, 64, 32, 6, 6, 1),         // SAME with an even kernel: pads 2 before, 3 after
      conv_same(7, 2, 64, 64, 32, 7, 7, 2),         // 7x7 stride 2 SAME (ResNet stem): pads 2 / 3
      conv_same(1, 6, 64, 64, 64, 5, 5, 1),         // 5x5 SAME, 6 input channels
      conv_same(7, 3, 64, 64, 32, 3, 3, 2),         // 3x3 stride 2 SAME: pads 0 / 1 (asymmetric)
      conv(7, 32, 13, 9, 128, 3, 3, 1, 1, 1, 1, 1), // odd spatial size, 128 outputs
      conv(3, 5, 14, 11, 7, 3, 3, 2, 0, 0, 0, 0),   // stride 2: the last input row is never read
      conv(2, 4, 13, 9, 8, 3, 5, 2, 0, 1, 2, 1, 2), // groups, rectangular kernel, uneven padding
  };
  uint64_t seed = 100;
  for (const Conv2dParams& p : cases) {
    const std::string at = " for " + p.str();
    Tensor x = random_f32(conv_x(p), ++seed), w = random_f32(conv_w(p), ++seed);
    Tensor b = random_f32({p.K}, ++seed), dy = random_f32(conv_y(p), ++seed);
    compare_outputs("conv2d_forward with bias" + at, {conv_y(p)},
                    [&](Backend& be, auto& out) { be.conv2d_forward(p, x, w, &b, out[0]); });
    compare_outputs("conv2d_forward without bias" + at, {conv_y(p)},
                    [&](Backend& be, auto& out) { be.conv2d_forward(p, x, w, nullptr, out[0]); });
    compare_outputs("conv2d_backward_data" + at, {conv_x(p)},
                    [&](Backend& be, auto& out) { be.conv2d_backward_data(p, dy, w, out[0]); });
    compare_outputs("conv2d_backward_weights with bias" + at, {conv_w(p), {p.K}},
                    [&](Backend& be, auto& out) {
                      be.conv2d_backward_weights(p, x, dy, out[0], &out[1]);
                    });
    compare_outputs("conv2d_backward_weights without bias" + at, {conv_w(p)},
                    [&](Backend& be, auto& out) {
                      be.conv2d_backward_weights(p, x, dy, out[0], nullptr);
                    });
  }
}

TEST_CASE("cpu backend: pooling forward and backward match the reference", "[cpu]") {
  const std::vector<Pool2dParams> cases{
      pool(7, 32, 59, 59, 2, 2, 2, 0, 0, 0, 0),        // after conv1: the odd last row is dropped
      pool(32, 64, 25, 25, 2, 2, 2, 0, 0, 0, 0),       // batch 32, cheap
      pool_same(7, 5, 13, 9, 2, 2, false),             // SAME: pads 0 before, 1 after
      pool_same(7, 5, 13, 9, 2, 2, true),
      pool_same(1, 3, 64, 64, 3, 2, false),            // 3x3 stride 2 SAME: pads 0 / 1
      pool(2, 3, 13, 9, 3, 3, 1, 1, 0, 2, 2, false),   // overlapping windows, uneven padding
      pool(2, 3, 13, 9, 3, 3, 1, 1, 0, 2, 2, true),
      pool(1, 6, 64, 64, 3, 3, 2, 1, 1, 1, 1, true),   // 3x3 stride 2 pad 1
  };
  uint64_t seed = 200;
  for (Pool2dParams p : cases) {
    const std::string at = " for " + p.str();
    Tensor x = random_f32(pool_x(p), ++seed), dy = random_f32(pool_y(p), ++seed);
    compare_outputs("max_pool2d_forward" + at, {pool_y(p)},
                    [&](Backend& be, auto& out) { be.max_pool2d_forward(p, x, out[0]); });
    compare_outputs("max_pool2d_backward" + at, {pool_x(p)},
                    [&](Backend& be, auto& out) { be.max_pool2d_backward(p, x, dy, out[0]); });
    compare_outputs("avg_pool2d_forward" + at, {pool_y(p)},
                    [&](Backend& be, auto& out) { be.avg_pool2d_forward(p, x, out[0]); });
    compare_outputs("avg_pool2d_backward" + at, {pool_x(p)},
                    [&](Backend& be, auto& out) { be.avg_pool2d_backward(p, dy, out[0]); });
  }
}

TEST_CASE("cpu backend: max pooling ties go to the first maximum", "[cpu]") {
  // Every window is all zeros: the whole gradient goes to each window's first element.
  Pool2dParams p = pool(2, 3, 13, 9, 3, 3, 1, 1, 0, 2, 2);
  Tensor x = Tensor::zeros(pool_x(p));
  Tensor dy = random_f32(pool_y(p), 7);
  compare_outputs("max_pool2d_backward on constant input for " + p.str(), {pool_x(p)},
                  [&](Backend& be, auto& out) { be.max_pool2d_backward(p, x, dy, out[0]); });
}

TEST_CASE("cpu backend: max pooling propagates NaN like the reference", "[cpu]") {
  // NaNs alone in a window, next to a larger number, and filling a window.
  Pool2dParams p = pool(2, 3, 13, 9, 2, 2, 2, 0, 0, 1, 1);
  std::vector<float> v = random_f32(pool_x(p), 8).to_vector<float>();
  for (size_t i = 0; i < v.size(); i += 23) v[i] = NAN;
  for (size_t i : {0, 1, 9, 10}) v[i] = NAN;  // the first window of the first plane
  Tensor x = Tensor::from_vector(v, pool_x(p)), dy = random_f32(pool_y(p), 9);
  compare_outputs("max_pool2d_forward with NaN inputs for " + p.str(), {pool_y(p)},
                  [&](Backend& be, auto& out) { be.max_pool2d_forward(p, x, out[0]); },
                  kExactWithNan);
  compare_outputs("max_pool2d_backward with NaN inputs for " + p.str(), {pool_x(p)},
                  [&](Backend& be, auto& out) { be.max_pool2d_backward(p, x, dy, out[0]); },
                  kExact);
}

TEST_CASE("cpu backend: global average pooling matches the reference", "[cpu]") {
  for (Shape s : {Shape{7, 128, 8, 8}, Shape{32, 64, 13, 9}, Shape{1, 1, 1, 1}}) {
    const Shape ys{s[0], s[1]};
    Tensor x = random_f32(s, 31), dy = random_f32(ys, 32);
    compare_outputs("global_avg_pool_forward on " + shape_str(s), {ys},
                    [&](Backend& be, auto& out) { be.global_avg_pool_forward(x, out[0]); });
    compare_outputs("global_avg_pool_backward on " + shape_str(s), {s},
                    [&](Backend& be, auto& out) { be.global_avg_pool_backward(dy, out[0]); });
  }
}

TEST_CASE("cpu backend: batch norm matches the reference, running statistics included",
          "[cpu]") {
  for (Shape s : {Shape{7, 32, 29, 29}, Shape{32, 64, 12, 12}, Shape{7, 5, 13, 9}, Shape{13, 10},
                  Shape{2, 3, 1, 1}}) {
    BatchNormParams p;
    p.N = s[0], p.C = s[1], p.HW = s.size() == 4 ? s[2] * s[3] : 1;
    p.eps = 1e-5, p.momentum = 0.1;
    const std::string at = " on " + shape_str(s);
    const Shape c{p.C};
    // An offset mean and a spread that differs per channel, as after a convolution.
    Tensor x = random_f32(s, 41, -2, 3), dy = random_f32(s, 42);
    Tensor gamma = random_f32(c, 43, 0.5, 1.5), beta = random_f32(c, 44);
    Tensor rmean0 = random_f32(c, 45), rvar0 = random_f32(c, 46, 0.5, 2);

    // Training forward; outputs 3..4 are the running statistics, updated in place from copies.
    compare_outputs("batch_norm_forward_train" + at, {s, c, c, c, c},
                    [&](Backend& be, auto& out) {
                      out[3].copy_from(rmean0);
                      out[4].copy_from(rvar0);
                      be.batch_norm_forward_train(p, x, gamma, beta, out[3], out[4], out[0],
                                                  out[1], out[2]);
                    });
    compare_outputs("batch_norm_forward_eval" + at, {s}, [&](Backend& be, auto& out) {
      be.batch_norm_forward_eval(p, x, gamma, beta, rmean0, rvar0, out[0]);
    });

    // Backward from the reference's saved statistics (both backends get the same inputs).
    Tensor y = nan_tensor(s), save_mean = nan_tensor(c), save_invstd = nan_tensor(c);
    Tensor rm = rmean0.clone(), rv = rvar0.clone();
    reference_backend().batch_norm_forward_train(p, x, gamma, beta, rm, rv, y, save_mean,
                                                 save_invstd);
    compare_outputs("batch_norm_backward (training)" + at, {s, c, c}, [&](Backend& be, auto& out) {
      be.batch_norm_backward(p, x, dy, gamma, save_mean, save_invstd, out[0], out[1], out[2]);
    });
    BatchNormParams eval = p;
    eval.use_batch_stats = false;
    compare_outputs("batch_norm_backward (eval)" + at, {s, c, c}, [&](Backend& be, auto& out) {
      be.batch_norm_backward(eval, x, dy, gamma, rmean0, rvar0, out[0], out[1], out[2]);
    });
  }
}

TEST_CASE("cpu backend: maxout matches the reference, ties and NaN included", "[cpu]") {
  struct Case { Shape x; int64_t k; };
  for (Case c : {Case{{7, 12, 13, 9}, 3}, Case{{32, 256}, 2}, Case{{3, 5}, 5}}) {
    Shape ys = c.x;
    ys[1] /= c.k;
    Tensor x = random_f32(c.x, 51), dy = random_f32(ys, 52);
    // Round to a coarse grid so that ties happen, and plant NaNs.
    std::vector<float> v = x.to_vector<float>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = i % 17 == 3 ? NAN : std::round(v[i] * 2) / 2;
    x = Tensor::from_vector(v, c.x);
    const std::string at = " with k=" + std::to_string(c.k) + " on " + shape_str(c.x);
    compare_outputs("maxout_forward" + at, {ys},
                    [&](Backend& be, auto& out) { be.maxout_forward(c.k, x, out[0]); },
                    kExactWithNan);
    compare_outputs("maxout_backward" + at, {c.x},
                    [&](Backend& be, auto& out) { be.maxout_backward(c.k, x, dy, out[0]); },
                    kExact);
  }
}

TEST_CASE("cpu backend: dropout draws the reference's mask bit for bit", "[cpu]") {
  const Shape s{7, 4608};
  Tensor x = random_f32(s, 61), dy = random_f32(s, 62);
  for (double p : {0.0, 0.5, 0.9}) {
    const std::string at = " with p=" + std::to_string(p) + " on " + shape_str(s);
    compare_outputs("dropout_forward" + at, {s, s}, [&](Backend& be, auto& out) {
      be.dropout_forward(p, 1234, 777, x, out[0], out[1]);
    }, kExact);
    Tensor y = nan_tensor(s), mask = nan_tensor(s);
    reference_backend().dropout_forward(p, 1234, 777, x, y, mask);
    compare_outputs("dropout_backward" + at, {s},
                    [&](Backend& be, auto& out) { be.dropout_backward(mask, dy, out[0]); }, kExact);
  }
}

TEST_CASE("cpu backend: SGD steps match the reference", "[cpu]") {
  const Shape s{128, 64, 3, 3};
  Tensor w0 = random_f32(s, 71), g = random_f32(s, 72), v0 = random_f32(s, 73);
  std::vector<SgdParams> cases(5);
  cases[1].momentum = 0.9, cases[1].first_step = true;
  cases[2].momentum = 0.9, cases[2].first_step = false, cases[2].weight_decay = 5e-4;
  cases[3].momentum = 0.9, cases[3].first_step = false, cases[3].nesterov = true;
  cases[4].momentum = 0.5, cases[4].first_step = false, cases[4].dampening = 0.1, cases[4].lr = 0.3;
  for (size_t i = 0; i < cases.size(); ++i) {
    const SgdParams& p = cases[i];
    compare_outputs("sgd_update case " + std::to_string(i) + " on " + shape_str(s), {s, s},
                    [&](Backend& be, auto& out) {
                      out[0].copy_from(w0);
                      if (p.momentum != 0) out[1].copy_from(v0);
                      Tensor velocity = p.momentum != 0 ? out[1] : Tensor();
                      be.sgd_update(p, out[0], g, velocity);
                      if (p.momentum == 0) out[1].copy_from(v0);  // untouched: nothing to compare
                    });
  }
}

TEST_CASE("cpu backend: losses match the reference", "[cpu]") {
  Tensor logits = random_f32({32, 10}, 81, -5, 5), pred = random_f32({32, 3}, 82);
  Tensor target = random_f32({32, 3}, 83), gloss = Tensor::full({1}, 0.7);
  std::vector<int64_t> label_values(32);
  for (int64_t i = 0; i < 32; ++i) label_values[i] = (i * 7) % 10;
  Tensor labels = Tensor::from_vector(label_values, {32});
  compare_outputs("softmax_xent_forward on [32,10]", {{32, 10}, {1}},
                  [&](Backend& be, auto& out) { be.softmax_xent_forward(logits, labels, out[0], out[1]); });
  Tensor probs = nan_tensor({32, 10}), loss = nan_tensor({1});
  reference_backend().softmax_xent_forward(logits, labels, probs, loss);
  compare_outputs("softmax_xent_backward on [32,10]", {{32, 10}},
                  [&](Backend& be, auto& out) { be.softmax_xent_backward(probs, labels, gloss, out[0]); });
  compare_outputs("mse_forward on [32,3]", {{1}},
                  [&](Backend& be, auto& out) { be.mse_forward(pred, target, out[0]); });
  compare_outputs("mse_backward on [32,3]", {{32, 3}},
                  [&](Backend& be, auto& out) { be.mse_backward(pred, target, gloss, out[0]); });
  compare_outputs("cosine_loss_forward on [32,3]", {{1}},
                  [&](Backend& be, auto& out) { be.cosine_loss_forward(pred, target, out[0]); });
  compare_outputs("cosine_loss_backward on [32,3]", {{32, 3}},
                  [&](Backend& be, auto& out) { be.cosine_loss_backward(pred, target, gloss, out[0]); });
}

TEST_CASE("cpu backend: primitives are built once per shape and reused", "[cpu]") {
  Conv2dParams p = conv_same(2, 3, 11, 10, 8, 3, 3, 1);
  Tensor x = random_f32(conv_x(p), 91), w = random_f32(conv_w(p), 92), y = nan_tensor(conv_y(p));
  onednn().conv2d_forward(p, x, w, nullptr, y);
  const size_t after_first = cpu_primitive_cache_size();
  onednn().conv2d_forward(p, x, w, nullptr, y);
  onednn().conv2d_forward(p, x, w, nullptr, y);
  CHECK(cpu_primitive_cache_size() == after_first);
  Conv2dParams q = p;
  q.N = 3;  // a new shape is a new entry
  Tensor x3 = random_f32(conv_x(q), 93), y3 = nan_tensor(conv_y(q));
  onednn().conv2d_forward(q, x3, w, nullptr, y3);
  CHECK(cpu_primitive_cache_size() == after_first + 1);
}

TEST_CASE("cpu backend: the thread count can be set and results do not depend on it", "[cpu]") {
  const int before = cpu_threads();
  REQUIRE(before >= 1);
  Conv2dParams p = conv_same(7, 3, 32, 32, 32, 5, 5, 1);
  Tensor x = random_f32(conv_x(p), 94), w = random_f32(conv_w(p), 95);
  Tensor y_many = nan_tensor(conv_y(p)), y_one = nan_tensor(conv_y(p));
  onednn().conv2d_forward(p, x, w, nullptr, y_many);
  set_cpu_threads(1);
  CHECK(cpu_threads() == 1);
  onednn().conv2d_forward(p, x, w, nullptr, y_one);
  set_cpu_threads(before);
  CHECK(cpu_threads() == before);
  check_close(y_one, y_many, 1e-5, 1e-6, "conv2d_forward with 1 thread vs default for " + p.str());
  CHECK_THROWS_WITH(set_cpu_threads(0), Catch::Contains("must be positive"));
}

TEST_CASE("cpu backend: float64 tensors are rejected with a clear error", "[cpu]") {
  Tensor x = Tensor::zeros({2, 3}, DType::F64), y = Tensor::zeros({2, 3}, DType::F64);
  CHECK_THROWS_WITH(onednn().add(x, x, y), Catch::Contains("add takes float32"));
  Conv2dParams p = conv(1, 1, 4, 4, 1, 3, 3, 1, 0, 0, 0, 0);
  Tensor x4 = Tensor::zeros(conv_x(p), DType::F64), w4 = Tensor::zeros(conv_w(p), DType::F64);
  Tensor y4 = Tensor::zeros(conv_y(p), DType::F64);
  CHECK_THROWS_WITH(onednn().conv2d_forward(p, x4, w4, nullptr, y4),
                    Catch::Contains("conv2d_forward takes float32"));
}

#endif  // ASTROCNN_HAVE_ONEDNN
