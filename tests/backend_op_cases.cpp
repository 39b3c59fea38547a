// The cases of the one backend harness (tests/backend_op_cases.h), one
// builder per op family. Free of Catch2: the test modes' checks are in
// backend_op_checks.cpp, and bench/bench_backend_ops.cpp times the same cases.
#include "backend_op_cases.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "core/tensor/error.h"
#include "core/ops.h"
#include "core/tensor/philox.h"

namespace astrocnn::optest {

// ---- Inputs and geometry ----

Tensor random_f32(const Shape& shape, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return Tensor::from_vector(v, shape);
}

Tensor distinct_f32(const Shape& shape, uint64_t seed) {
  const int64_t n = shape_numel(shape);
  std::vector<int64_t> rank(static_cast<size_t>(n));
  std::iota(rank.begin(), rank.end(), 0);
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(rank[static_cast<size_t>(i)], rank[rng.below(static_cast<uint64_t>(i + 1))]);
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(-1.0 + 2.0 * static_cast<double>(rank[i]) / n);
  return Tensor::from_vector(v, shape);
}

Tensor ties_f32(const Shape& shape, uint64_t seed, int levels) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = static_cast<float>(rng.below(static_cast<uint64_t>(levels)));
  return Tensor::from_vector(v, shape);
}

Conv2dParams conv_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                         int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_top,
                         int64_t pad_left, int64_t pad_bottom, int64_t pad_right, int64_t groups) {
  return Conv2dParams::of({N, C, H, W}, {K, C / groups, R, S},
                          Conv2dGeometry{stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right, groups});
}

Conv2dParams conv_same(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                       int64_t S, int64_t stride) {
  const ops::SamePadding ph = ops::same_padding(H, R, stride), pw = ops::same_padding(W, S, stride);
  return conv_params(N, C, H, W, K, R, S, stride, stride, ph.before, pw.before, ph.after, pw.after);
}

std::vector<Conv2dParams> conv_test_shapes() {
  return {
      // The source networks' layers on 64x64 inputs.
      conv_params(1, 1, 64, 64, 32, 6, 6, 1, 1, 0, 0, 0, 0),   // Huertas conv1 (VALID), batch 1
      conv_params(7, 1, 64, 64, 32, 6, 6, 1, 1, 0, 0, 0, 0),   // ... batch 7
      conv_params(2, 32, 29, 29, 64, 5, 5, 1, 1, 0, 0, 0, 0),  // Huertas conv2
      conv_params(3, 64, 12, 12, 128, 3, 3, 1, 1, 0, 0, 0, 0), // Huertas conv3
      conv_params(1, 6, 64, 64, 64, 7, 7, 2, 2, 3, 3, 3, 3),   // 7x7 stride 2 stem, 6 channels
      conv_same(1, 1, 64, 64, 32, 6, 6, 1),                    // SAME, even kernel: pads 2 / 3
      conv_same(2, 3, 64, 64, 32, 5, 5, 1),                    // 5x5 SAME, 3 bands
      conv_same(7, 3, 64, 64, 32, 3, 3, 2),                    // 3x3 stride 2 SAME: pads 0 / 1
      conv_params(2, 64, 4, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1),    // ResNet's small late maps
      // Awkward shapes.
      conv_params(1, 1, 5, 7, 1, 3, 2, 2, 1, 1, 0, 0, 1),      // everything 1, asymmetric stride/padding
      conv_params(7, 32, 13, 9, 128, 3, 3, 1, 1, 1, 1, 1, 1),  // odd spatial size, 128 outputs
      conv_params(3, 5, 14, 11, 7, 3, 3, 2, 2, 0, 0, 0, 0),    // stride 2: the last input row is never read
      conv_params(2, 4, 13, 9, 8, 3, 5, 2, 2, 0, 1, 2, 1, 2),  // groups, rectangular kernel, uneven padding
      conv_params(3, 6, 10, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3), // three groups, stride 2
      conv_params(3, 5, 8, 8, 7, 1, 1, 1, 1, 0, 0, 0, 0),      // 1x1
      conv_params(2, 2, 5, 5, 3, 5, 5, 1, 1, 0, 0, 0, 0),      // the kernel covers the image: P = Q = 1
      conv_params(1, 3, 13, 17, 70, 4, 3, 3, 2, 0, 2, 1, 0),   // K beyond one 64-row tile, stride 3 gaps
      conv_params(16, 2, 64, 64, 8, 3, 3, 1, 1, 1, 1, 1, 1),   // 16x64x64 positions per weight gradient:
                                                               // CUDA v2 splits that reduction
  };
}

Shape conv_x(const Conv2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape conv_w(const Conv2dParams& p) { return {p.K, p.C / p.groups, p.R, p.S}; }
Shape conv_y(const Conv2dParams& p) { return {p.N, p.K, p.P(), p.Q()}; }

Pool2dParams pool_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S,
                         int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left,
                         int64_t pad_bottom, int64_t pad_right, bool count_include_pad) {
  Pool2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.R = R, p.S = S;
  p.stride_h = stride_h, p.stride_w = stride_w;
  p.pad_top = pad_top, p.pad_left = pad_left, p.pad_bottom = pad_bottom, p.pad_right = pad_right;
  p.count_include_pad = count_include_pad;
  p.validate();
  return p;
}

Shape pool_x(const Pool2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape pool_y(const Pool2dParams& p) { return {p.N, p.C, p.P(), p.Q()}; }

std::vector<DenseShape> dense_test_shapes() {
  // Batch 1, odd sizes, flattened images into a few classes, hidden layers.
  return {{1, 1, 1}, {3, 13, 5}, {32, 512, 10}, {7, 4608, 64}, {5, 300, 257}, {33, 300, 129}, {1, 1024, 2}};
}

namespace {

// ---- Building the table ----

class CaseList {
 public:
  // Returns the case, for the fields set on some cases only (`grad`): set
  // them before the next add(), which may move the cases.
  OpCase& add(std::string op, std::string what, Tensors inputs, std::vector<Output> outputs,
              std::function<void(Backend&, const Tensors&, Tensors&)> run,
              Tolerance tolerance = kFloat32) {
    OpCase& c = cases_.emplace_back();
    c.op = std::move(op), c.what = std::move(what), c.inputs = std::move(inputs);
    c.outputs = std::move(outputs), c.run = std::move(run), c.tolerance = tolerance;
    return c;
  }
  // The floating-point operations of each of the last `count` cases (the
  // perf mode's GFLOP/s).
  void flops_of_last(size_t count, double flops) {
    for (size_t i = cases_.size() - count; i < cases_.size(); ++i) cases_[i].flops = flops;
  }
  std::vector<OpCase> take() { return std::move(cases_); }

 private:
  std::vector<OpCase> cases_;
};

Tensor nan_f32(const Shape& shape) { return Tensor::full(shape, NAN); }

// The reference's outputs for inputs a backward case needs from its forward.
Tensors reference_outputs(const std::vector<Shape>& shapes,
                          const std::function<void(Backend&, Tensors&)>& run) {
  Tensors out;
  for (const Shape& s : shapes) out.push_back(nan_f32(s));
  run(reference_backend(), out);
  return out;
}

std::string on(const Shape& s) { return " on " + shape_str(s); }

// SiLU forward on x and backward from x and dy (its gradient needs the
// input, not the output); returns the forward case.
OpCase& silu_cases(CaseList& cases, const Tensor& x, const Tensor& dy, const std::string& what) {
  cases.add("silu_backward", what, {x, dy}, {{x.shape()}}, [](Backend& be, const Tensors& in, Tensors& out) {
    be.silu_backward(in[0], in[1], out[0]);
  });
  return cases.add("silu_forward", what, {x}, {{x.shape()}}, [](Backend& be, const Tensors& in, Tensors& out) {
    be.silu_forward(in[0], out[0]);
  });
}

void elementwise_cases(CaseList& cases) {
  uint64_t seed = 10;
  // One element, odd, one CUDA block plus one, 4-d, and a big prime (grid-stride loops).
  for (const Shape& s : {Shape{1}, Shape{257}, Shape{7, 32, 13, 9}, Shape{32, 10}, Shape{1000003}}) {
    Tensor a = random_f32(s, ++seed), b = random_f32(s, ++seed), dy = random_f32(s, ++seed);
    cases.add("fill", "2.5" + on(s), {}, {{s}}, [](Backend& be, const Tensors&, Tensors& out) {
      be.fill(out[0], 2.5);
    }, kExact);
    cases.add("add", on(s), {a, b}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.add(in[0], in[1], out[0]);
    }, kExact).grad = [](const Tensors& in) { return ops::add(in[0], in[1]); };
    cases.add("scale", "by -0.37" + on(s), {a}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.scale(in[0], -0.37, out[0]);
    }).grad = [](const Tensors& in) { return ops::scale(in[0], -0.37); };
    Tensor relu_y = reference_outputs({s}, [&](Backend& be, Tensors& o) { be.relu_forward(a, o[0]); })[0];
    Tensor sig_y = reference_outputs({s}, [&](Backend& be, Tensors& o) { be.sigmoid_forward(a, o[0]); })[0];
    cases.add("relu_forward", on(s), {a}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.relu_forward(in[0], out[0]);
    }, kExact).grad = [](const Tensors& in) { return ops::relu(in[0]); };
    cases.add("relu_backward", on(s), {relu_y, dy}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.relu_backward(in[0], in[1], out[0]);
    }, kExact);
    for (double slope : {0.01, 0.2}) {
      Tensor leaky_y = reference_outputs({s}, [&](Backend& be, Tensors& o) { be.leaky_relu_forward(slope, a, o[0]); })[0];
      const std::string at = " slope " + std::to_string(slope) + on(s);
      cases.add("leaky_relu_forward", at, {a}, {{s}}, [slope](Backend& be, const Tensors& in, Tensors& out) {
        be.leaky_relu_forward(slope, in[0], out[0]);
      }, kExact).grad = [slope](const Tensors& in) { return ops::leaky_relu(in[0], slope); };
      cases.add("leaky_relu_backward", at, {leaky_y, dy}, {{s}}, [slope](Backend& be, const Tensors& in, Tensors& out) {
        be.leaky_relu_backward(slope, in[0], in[1], out[0]);
      }, kExact);
    }
    cases.add("sigmoid_forward", on(s), {a}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.sigmoid_forward(in[0], out[0]);
    }).grad = [](const Tensors& in) { return ops::sigmoid(in[0]); };
    cases.add("sigmoid_backward", on(s), {sig_y, dy}, {{s}}, [](Backend& be, const Tensors& in, Tensors& out) {
      be.sigmoid_backward(in[0], in[1], out[0]);
    });
    silu_cases(cases, a, dy, on(s)).grad = [](const Tensors& in) { return ops::silu(in[0]); };
  }
  // SiLU's tails: exp(-x) overflows below about -88 (y -> -0), and NaN propagates.
  Tensor tails = Tensor::from_vector<float>({-2, 0, 3, NAN, -0.5f, -100, 100, -87.5f, 88.7f}, {9});
  silu_cases(cases, tails, random_f32({9}, 4), " tails and NaN");
  // ReLU's NaN rule (NaN passes forward; gradient only where y > 0) and sigmoid's tails.
  Tensor special = Tensor::from_vector<float>({-2, 0, 3, NAN, -0.5f, INFINITY, -INFINITY}, {7});
  cases.add("relu_forward", "NaN and infinities", {special}, {{{7}}},
            [](Backend& be, const Tensors& in, Tensors& out) { be.relu_forward(in[0], out[0]); }, kExact);
  Tensor relu_y = reference_outputs({{7}}, [&](Backend& be, Tensors& o) { be.relu_forward(special, o[0]); })[0];
  Tensor dy_inf = Tensor::from_vector<float>({1, 2, 3, 4, INFINITY, 5, 6}, {7});
  cases.add("relu_backward", "NaN outputs and an infinite gradient where y <= 0", {relu_y, dy_inf}, {{{7}}},
            [](Backend& be, const Tensors& in, Tensors& out) { be.relu_backward(in[0], in[1], out[0]); }, kExact);
  cases.add("leaky_relu_forward", "NaN and infinities", {special}, {{{7}}},
            [](Backend& be, const Tensors& in, Tensors& out) { be.leaky_relu_forward(0.1, in[0], out[0]); }, kExact);
  Tensor wide = random_f32({7, 33}, 3, -60, 60);
  cases.add("sigmoid_forward", "[7,33] in [-60,60]", {wide}, {{{7, 33}}},
            [](Backend& be, const Tensors& in, Tensors& out) { be.sigmoid_forward(in[0], out[0]); });
  silu_cases(cases, wide, random_f32({7, 33}, 5), " [7,33] in [-60,60]");
  for (Shape s : {Shape{1, 1}, Shape{7, 10}, Shape{32, 37}, Shape{3, 1000}}) {
    for (double range : {20.0, 1000.0}) {  // large logits must not overflow exp()
      Tensor x = random_f32(s, 5, -range, range);
      cases.add("softmax_forward", on(s) + " in +-" + std::to_string(int(range)), {x}, {{s}},
                [](Backend& be, const Tensors& in, Tensors& out) { be.softmax_forward(in[0], out[0]); });
    }
  }
}

void conv_cases(CaseList& cases) {
  uint64_t seed = 100;
  for (const Conv2dParams& p : conv_test_shapes()) {
    const std::string at = " for " + p.str();
    Tensor x = random_f32(conv_x(p), ++seed), w = random_f32(conv_w(p), ++seed);
    Tensor b = random_f32({p.K}, ++seed), dy = random_f32(conv_y(p), ++seed);
    // The grad mode runs the forward some 40 times in the reference's double
    // loops: the shapes up to 2e7 flops (every awkward one, the smaller
    // network layers). The test mode holds the larger ones to the reference.
    const bool grad = p.flops() <= 2e7;
    const Conv2dGeometry g = p;
    OpCase& with_bias = cases.add("conv2d_forward", "with bias" + at, {x, w, b}, {{conv_y(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) { be.conv2d_forward(p, in[0], in[1], &in[2], out[0]); });
    if (grad) with_bias.grad = [g](const Tensors& in) { return ops::conv2d(in[0], in[1], in[2], g); };
    OpCase& without_bias = cases.add("conv2d_forward", "without bias" + at, {x, w}, {{conv_y(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) { be.conv2d_forward(p, in[0], in[1], nullptr, out[0]); });
    if (grad) without_bias.grad = [g](const Tensors& in) { return ops::conv2d(in[0], in[1], Tensor(), g); };
    cases.add("conv2d_backward_data", at, {dy, w}, {{conv_x(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) { be.conv2d_backward_data(p, in[0], in[1], out[0]); });
    cases.add("conv2d_backward_weights", "with bias" + at, {x, dy}, {{conv_w(p)}, {{p.K}}},
              [p](Backend& be, const Tensors& in, Tensors& out) {
                be.conv2d_backward_weights(p, in[0], in[1], out[0], &out[1]);
              });
    cases.add("conv2d_backward_weights", "without bias" + at, {x, dy}, {{conv_w(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) {
                be.conv2d_backward_weights(p, in[0], in[1], out[0], nullptr);
              });
    cases.flops_of_last(5, p.flops());  // each pass does the same multiply-adds
  }
}

void pool_cases(CaseList& cases) {
  std::vector<Pool2dParams> shapes;
  for (bool include : {true, false}) {
    shapes.push_back(pool_params(7, 32, 59, 59, 2, 2, 2, 2, 0, 0, 0, 0, include));  // after conv1: odd row dropped
    shapes.push_back(pool_params(2, 2, 63, 63, 3, 3, 2, 2, 1, 1, 1, 1, include));   // overlapping, padded, odd
    shapes.push_back(pool_params(1, 1, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, include));     // stride 1: 9 windows per pixel
    shapes.push_back(pool_params(2, 4, 15, 15, 2, 2, 2, 2, 0, 0, 1, 1, include));   // SAME: odd pixel after
    shapes.push_back(pool_params(1, 2, 5, 6, 3, 2, 3, 1, 2, 0, 0, 1, include));     // asymmetric everything
    shapes.push_back(pool_params(2, 3, 13, 9, 3, 3, 1, 1, 1, 0, 2, 2, include));    // uneven padding
    shapes.push_back(pool_params(3, 1, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, include));     // one window per plane
  }
  uint64_t seed = 200;
  for (const Pool2dParams& p : shapes) {
    const std::string at = " for " + p.str();
    Tensor x = distinct_f32(pool_x(p), ++seed), dy = random_f32(pool_y(p), ++seed);
    // Ties (the first maximum wins) and NaN (a NaN wins its windows).
    Tensor ties = ties_f32(pool_x(p), ++seed), with_nan = x.clone();
    with_nan.data<float>()[0] = NAN;
    with_nan.data<float>()[with_nan.numel() / 2] = NAN;
    const Pool2dWindow window = p;
    for (auto [input, label] : {std::pair<Tensor, const char*>{x, ""}, {ties, "ties, "}, {with_nan, "NaN, "}}) {
      OpCase& forward = cases.add("max_pool2d_forward", label + at, {input}, {{pool_y(p)}},
                [p](Backend& be, const Tensors& in, Tensors& out) { be.max_pool2d_forward(p, in[0], out[0]); },
                kExact);
      // Finite differences need distinct values (x): not ties, nor NaN.
      if (*label == '\0') forward.grad = [window](const Tensors& in) { return ops::max_pool2d(in[0], window); };
      // Overlapping windows add several gradients into one element: in any order.
      cases.add("max_pool2d_backward", label + at, {input, dy}, {{pool_x(p)}},
                [p](Backend& be, const Tensors& in, Tensors& out) {
                  be.max_pool2d_backward(p, in[0], in[1], out[0]);
                });
    }
    cases.add("avg_pool2d_forward", at, {x}, {{pool_y(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) { be.avg_pool2d_forward(p, in[0], out[0]); })
        .grad = [window](const Tensors& in) { return ops::avg_pool2d(in[0], window); };
    cases.add("avg_pool2d_backward", at, {dy}, {{pool_x(p)}},
              [p](Backend& be, const Tensors& in, Tensors& out) { be.avg_pool2d_backward(p, in[0], out[0]); });
  }
  for (Shape s : {Shape{7, 128, 8, 8}, Shape{32, 64, 13, 9}, Shape{1, 1, 1, 1}, Shape{4, 512, 2, 2}}) {
    const Shape ys{s[0], s[1]};
    Tensor x = random_f32(s, ++seed), dy = random_f32(ys, ++seed);
    cases.add("global_avg_pool_forward", on(s), {x}, {{ys}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.global_avg_pool_forward(in[0], out[0]); })
        .grad = [](const Tensors& in) { return ops::global_avg_pool(in[0]); };
    cases.add("global_avg_pool_backward", on(s), {dy}, {{s}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.global_avg_pool_backward(in[0], out[0]); });
  }
}

void dense_cases(CaseList& cases) {
  uint64_t seed = 300;
  for (const DenseShape& d : dense_test_shapes()) {
    const std::string at = " with N=" + std::to_string(d.N) + " I=" + std::to_string(d.I) +
                           " O=" + std::to_string(d.O);
    Tensor x = random_f32({d.N, d.I}, ++seed), w = random_f32({d.O, d.I}, ++seed);
    Tensor b = random_f32({d.O}, ++seed), dy = random_f32({d.N, d.O}, ++seed);
    cases.add("dense_forward", "with bias" + at, {x, w, b}, {{{d.N, d.O}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.dense_forward(in[0], in[1], &in[2], out[0]); })
        .grad = [](const Tensors& in) { return ops::dense(in[0], in[1], in[2]); };
    cases.add("dense_forward", "without bias" + at, {x, w}, {{{d.N, d.O}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.dense_forward(in[0], in[1], nullptr, out[0]); })
        .grad = [](const Tensors& in) { return ops::dense(in[0], in[1], Tensor()); };
    cases.add("dense_backward_data", at, {dy, w}, {{{d.N, d.I}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.dense_backward_data(in[0], in[1], out[0]); });
    cases.add("dense_backward_weights", "with bias" + at, {x, dy}, {{{d.O, d.I}}, {{d.O}}},
              [](Backend& be, const Tensors& in, Tensors& out) {
                be.dense_backward_weights(in[0], in[1], out[0], &out[1]);
              });
    cases.add("dense_backward_weights", "without bias" + at, {x, dy}, {{{d.O, d.I}}},
              [](Backend& be, const Tensors& in, Tensors& out) {
                be.dense_backward_weights(in[0], in[1], out[0], nullptr);
              });
    cases.flops_of_last(5, 2.0 * d.N * d.I * d.O);
  }
}

void maxout_dropout_cases(CaseList& cases) {
  struct MaxoutShape {
    Shape x;
    int64_t k;
  };
  for (const MaxoutShape& c : {MaxoutShape{{7, 12, 13, 9}, 3}, MaxoutShape{{32, 256}, 2},
                               MaxoutShape{{3, 5}, 5}, MaxoutShape{{5, 7}, 1},
                               MaxoutShape{{2, 6, 64, 64}, 3}}) {
    Shape ys = c.x;
    ys[1] /= c.k;
    const int64_t k = c.k;
    // A coarse grid makes ties, and every 17th element is NaN.
    std::vector<float> v = random_f32(c.x, 51).to_vector<float>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = i % 17 == 3 ? NAN : std::round(v[i] * 2) / 2;
    Tensor x = Tensor::from_vector(v, c.x), dy = random_f32(ys, 52);
    const std::string at = " with k=" + std::to_string(k) + on(c.x);
    cases.add("maxout_forward", at, {x}, {{ys}},
              [k](Backend& be, const Tensors& in, Tensors& out) { be.maxout_forward(k, in[0], out[0]); }, kExact);
    cases.add("maxout_backward", at, {x, dy}, {{c.x}},
              [k](Backend& be, const Tensors& in, Tensors& out) { be.maxout_backward(k, in[0], in[1], out[0]); },
              kExact);
    // Distinct values, for the finite differences (which ties would break).
    cases.add("maxout_forward", "distinct values" + at, {distinct_f32(c.x, 53)}, {{ys}},
              [k](Backend& be, const Tensors& in, Tensors& out) { be.maxout_forward(k, in[0], out[0]); }, kExact)
        .grad = [k](const Tensors& in) { return ops::maxout(in[0], k); };
  }
  for (const Shape& s : {Shape{1}, Shape{7, 4608}, Shape{2, 6, 64, 64}}) {
    Tensor x = random_f32(s, 61), dy = random_f32(s, 62);
    for (double p : {0.0, 0.5, 0.9}) {
      for (auto [seed, offset] : {std::pair<uint64_t, uint64_t>{1234, 777}, {~0ULL, (1ULL << 40) + 3}}) {
        const std::string at = " p=" + std::to_string(p) + " seed " + std::to_string(seed) + " offset " +
                               std::to_string(offset) + on(s);
        cases.add("dropout_forward", at, {x}, {{s}, {s}},
                  [p, seed, offset](Backend& be, const Tensors& in, Tensors& out) {
                    be.dropout_forward(p, seed, offset, in[0], out[0], out[1]);
                  }, kExact)
            .grad = [p, seed, offset](const Tensors& in) { return ops::dropout(in[0], p, true, seed, offset); };
        Tensor mask = reference_outputs({s, s}, [&](Backend& be, Tensors& o) {
          be.dropout_forward(p, seed, offset, x, o[0], o[1]);
        })[1];
        cases.add("dropout_backward", at, {mask, dy}, {{s}},
                  [](Backend& be, const Tensors& in, Tensors& out) { be.dropout_backward(in[0], in[1], out[0]); },
                  kExact);
      }
    }
  }
}

void batch_norm_cases(CaseList& cases) {
  for (Shape s : {Shape{7, 32, 29, 29}, Shape{32, 64, 12, 12}, Shape{7, 5, 13, 9}, Shape{13, 10},
                  Shape{2, 3, 1, 1}, Shape{4, 512, 2, 2}}) {
    BatchNormParams p;
    p.N = s[0], p.C = s[1], p.HW = s.size() == 4 ? s[2] * s[3] : 1;
    p.eps = 1e-5, p.momentum = 0.1;
    const Shape c{p.C};
    // An offset mean and a spread that differs per channel, as after a
    // convolution; the last shape sits far from zero, where a one-pass
    // variance would cancel.
    const bool far = s == Shape{4, 512, 2, 2};
    Tensor x = far ? random_f32(s, 41, 1000, 1001) : random_f32(s, 41, -2, 3), dy = random_f32(s, 42);
    Tensor gamma = random_f32(c, 43, 0.5, 1.5), beta = random_f32(c, 44);
    Tensor rmean = random_f32(c, 45), rvar = random_f32(c, 46, 0.5, 2);
    // Outputs 3 and 4 are the running statistics, updated in place.
    // Far from zero, float32 loses the spread to cancellation unless the
    // variance is taken about the mean: oneDNN (one pass) errs by 2e-4 there.
    cases.add("batch_norm_forward_train", on(s), {x, gamma, beta}, {{s}, {c}, {c}, {c, rmean}, {c, rvar}},
              [p](Backend& be, const Tensors& in, Tensors& out) {
                be.batch_norm_forward_train(p, in[0], in[1], in[2], out[3], out[4], out[0], out[1], out[2]);
              }, far ? Tolerance{1e-3} : kFloat32)
        .grad = [p](const Tensors& in) {
          Tensor mean = Tensor::zeros({p.C}, DType::F64), var = Tensor::full({p.C}, 1.0, DType::F64);
          return ops::batch_norm(in[0], in[1], in[2], mean, var, true, p.momentum, p.eps);
        };
    OpCase& eval_case = cases.add("batch_norm_forward_eval", on(s), {x, gamma, beta, rmean, rvar}, {{s}},
              [p](Backend& be, const Tensors& in, Tensors& out) {
                be.batch_norm_forward_eval(p, in[0], in[1], in[2], in[3], in[4], out[0]);
              });
    eval_case.grad = [p](const Tensors& in) {  // x, gamma and beta; the running statistics are buffers
      Tensor mean = in[3], var = in[4];
      return ops::batch_norm(in[0], in[1], in[2], mean, var, false, p.momentum, p.eps);
    };
    eval_case.grad_inputs = 3;
    // Backward from the reference's saved statistics (training) or from fixed ones (eval).
    Tensors saved = reference_outputs({s, c, c, c, c}, [&](Backend& be, Tensors& o) {
      o[3].copy_from(rmean);
      o[4].copy_from(rvar);
      be.batch_norm_forward_train(p, x, gamma, beta, o[3], o[4], o[0], o[1], o[2]);
    });
    // The input gradient subtracts the mean terms: over few samples it cancels.
    const Tolerance cancels{1e-4, 1.0};
    cases.add("batch_norm_backward", "training" + on(s), {x, dy, gamma, saved[1], saved[2]}, {{s}, {c}, {c}},
              [p](Backend& be, const Tensors& in, Tensors& out) {
                be.batch_norm_backward(p, in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2]);
              }, cancels);
    BatchNormParams eval = p;
    eval.use_batch_stats = false;
    cases.add("batch_norm_backward", "eval" + on(s), {x, dy, gamma, rmean, rvar}, {{s}, {c}, {c}},
              [eval](Backend& be, const Tensors& in, Tensors& out) {
                be.batch_norm_backward(eval, in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2]);
              });
  }
}

void loss_cases(CaseList& cases) {
  const Tensor gloss = Tensor::full({1}, 0.37);
  for (auto [N, C] : {std::pair<int64_t, int64_t>{1, 2}, {32, 10}, {64, 7}, {3, 1000}, {300, 2}}) {
    for (double range : {5.0, 1000.0}) {  // large logits must not overflow exp()
      Rng rng(82);
      std::vector<int64_t> ids(static_cast<size_t>(N));
      for (int64_t& l : ids) l = static_cast<int64_t>(rng.below(static_cast<uint64_t>(C)));
      Tensor logits = random_f32({N, C}, 81, -range, range), labels = Tensor::from_vector(ids, {N});
      const std::string at = " on [" + std::to_string(N) + "," + std::to_string(C) + "] in +-" +
                             std::to_string(int(range));
      cases.add("softmax_xent_forward", at, {logits, labels}, {{{N, C}}, {{1}}},
                [](Backend& be, const Tensors& in, Tensors& out) {
                  be.softmax_xent_forward(in[0], in[1], out[0], out[1]);
                })
          .grad = [](const Tensors& in) { return ops::softmax_cross_entropy(in[0], in[1]); };
      Tensor probs = reference_outputs({{N, C}, {1}}, [&](Backend& be, Tensors& o) {
        be.softmax_xent_forward(logits, labels, o[0], o[1]);
      })[0];
      cases.add("softmax_xent_backward", at, {probs, labels, gloss}, {{{N, C}}},
                [](Backend& be, const Tensors& in, Tensors& out) {
                  be.softmax_xent_backward(in[0], in[1], in[2], out[0]);
                });
    }
  }
  Tensor nan_logits = random_f32({4, 3}, 83);
  nan_logits.data<float>()[7] = NAN;
  cases.add("softmax_xent_forward", "a NaN logit makes the loss NaN",
            {nan_logits, Tensor::from_vector<int64_t>({0, 1, 2, 1}, {4})}, {{{4, 3}}, {{1}}},
            [](Backend& be, const Tensors& in, Tensors& out) {
              be.softmax_xent_forward(in[0], in[1], out[0], out[1]);
            });
  for (const Shape& s : {Shape{1, 1}, Shape{32, 3}, Shape{4, 1, 64, 64}, Shape{1000003}}) {
    Tensor pred = random_f32(s, 85), target = random_f32(s, 86);
    OpCase& mse = cases.add("mse_forward", on(s), {pred, target}, {{{1}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.mse_forward(in[0], in[1], out[0]); });
    mse.grad = [](const Tensors& in) { return ops::mse_loss(in[0], in[1]); };
    mse.grad_inputs = 1;  // the target takes no gradient
    cases.add("mse_backward", on(s), {pred, target, gloss}, {{s}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.mse_backward(in[0], in[1], in[2], out[0]); });
  }
  for (auto [N, K] : {std::pair<int64_t, int64_t>{1, 4}, {6, 3}, {64, 37}, {2, 5000}}) {
    Tensor pred = random_f32({N, K}, 87), target = random_f32({N, K}, 88);
    const Shape s{N, K};
    // Without a zero row, for the finite differences (the loss has a kink there).
    OpCase& smooth = cases.add("cosine_loss_forward", "no zero row" + on(s), {pred, target}, {{{1}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.cosine_loss_forward(in[0], in[1], out[0]); });
    smooth.grad = [](const Tensors& in) { return ops::cosine_loss(in[0], in[1]); };
    smooth.grad_inputs = 1;  // the target takes no gradient
    pred = pred.clone();
    if (N > 1)  // a zero prediction row: cos = 0, loss 1, zero gradient
      for (int64_t k = 0; k < K; ++k) pred.data<float>()[K + k] = 0.0f;
    cases.add("cosine_loss_forward", on(s), {pred, target}, {{{1}}},
              [](Backend& be, const Tensors& in, Tensors& out) { be.cosine_loss_forward(in[0], in[1], out[0]); });
    cases.add("cosine_loss_backward", on(s), {pred, target, gloss}, {{s}},
              [](Backend& be, const Tensors& in, Tensors& out) {
                be.cosine_loss_backward(in[0], in[1], in[2], out[0]);
              });
  }
}

void sgd_cases(CaseList& cases) {
  struct Options {
    double momentum, dampening, weight_decay;
    bool nesterov, first_step;
  };
  for (const Shape& s : {Shape{1}, Shape{128, 64, 3, 3}, Shape{100003}}) {
    Tensor w = random_f32(s, 91), g = random_f32(s, 92), v = random_f32(s, 93);
    for (Options o : {Options{0, 0, 0, false, true}, Options{0, 0, 1e-2, false, false},
                      Options{0.9, 0, 0, false, true}, Options{0.9, 0, 0, false, false},
                      Options{0.9, 0.1, 5e-4, false, false}, Options{0.9, 0, 5e-4, true, false},
                      Options{0.5, 0, 0, true, true}}) {
      SgdParams p;
      p.lr = 0.05, p.momentum = o.momentum, p.dampening = o.dampening;
      p.weight_decay = o.weight_decay, p.nesterov = o.nesterov, p.first_step = o.first_step;
      std::ostringstream what;
      what << "momentum " << o.momentum << " dampening " << o.dampening << " weight decay "
           << o.weight_decay << (o.nesterov ? " nesterov" : "") << (o.first_step ? " first step" : "") << on(s);
      // Without momentum the velocity is never touched (and may be undefined).
      std::vector<Output> outputs{{s, w}};
      if (o.momentum != 0) outputs.push_back({s, v});
      cases.add("sgd_update", what.str(), {g}, outputs, [p](Backend& be, const Tensors& in, Tensors& out) {
        Tensor velocity = out.size() > 1 ? out[1] : Tensor();
        be.sgd_update(p, out[0], in[0], velocity);
      });
    }
  }
}

std::vector<OpCase> build_cases() {
  CaseList cases;
  elementwise_cases(cases);
  conv_cases(cases);
  pool_cases(cases);
  dense_cases(cases);
  maxout_dropout_cases(cases);
  batch_norm_cases(cases);
  loss_cases(cases);
  sgd_cases(cases);
  return cases.take();
}

}  // namespace

const std::vector<OpCase>& all_op_cases() {
  static const std::vector<OpCase> cases = build_cases();
  return cases;
}

// ---- Running ----

CaseTensors prepare_case(const Backend& backend, const OpCase& c) {
  const Device device = backend.device();
  CaseTensors t;
  for (const Tensor& x : c.inputs) t.in.push_back(x.to(device));
  for (const Output& o : c.outputs)
    t.out.push_back((o.initial.defined() ? o.initial.clone() : nan_f32(o.shape)).to(device));
  return t;
}

Tensors run_case(Backend& backend, const OpCase& c) {
  CaseTensors t = prepare_case(backend, c);
  c.run(backend, t.in, t.out);
  for (Tensor& x : t.out) x = x.to(Device::CPU);
  return t.out;
}

}  // namespace astrocnn::optest
