// Every convolution version (forward, backward data, backward weights + bias)
// against the reference backend, on the shapes of the source networks (64x64
// inputs, 6x6 / 5x5 / 3x3 / 7x7 kernels, 1-6 input channels) and on awkward
// ones (batch 1, one channel, odd sizes, strides, asymmetric padding, groups).
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

Conv2dParams conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                  int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom, int64_t pad_right,
                  int64_t groups = 1) {
  Conv2dParams p;
  p.N = N; p.C = C; p.H = H; p.W = W;
  p.K = K; p.R = R; p.S = S;
  p.stride_h = stride_h; p.stride_w = stride_w;
  p.pad_top = pad_top; p.pad_left = pad_left; p.pad_bottom = pad_bottom; p.pad_right = pad_right;
  p.groups = groups;
  p.validate();
  return p;
}

std::vector<Conv2dParams> cases() {
  return {
      // Source-network layers on 64x64 inputs.
      conv(2, 1, 64, 64, 32, 6, 6, 1, 1, 0, 0, 0, 0),  // 6x6 on one channel, valid padding
      conv(2, 3, 64, 64, 16, 5, 5, 1, 1, 2, 2, 2, 2),  // 5x5, same padding
      conv(2, 6, 32, 32, 8, 3, 3, 2, 2, 0, 0, 1, 1),   // 3x3 stride 2, TensorFlow SAME (odd pixel after)
      conv(2, 4, 64, 64, 8, 7, 7, 2, 2, 3, 3, 3, 3),   // 7x7 stride 2 stem
      conv(1, 5, 64, 64, 3, 3, 3, 1, 1, 1, 1, 1, 1),   // batch 1, 5 channels
      // Awkward shapes.
      conv(1, 1, 5, 7, 1, 3, 2, 2, 1, 1, 0, 0, 1),    // everything 1, asymmetric stride and padding
      conv(2, 4, 9, 11, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),  // two groups
      conv(3, 6, 10, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3),  // three groups, stride 2
      conv(3, 5, 8, 8, 7, 1, 1, 1, 1, 0, 0, 0, 0),    // 1x1
      conv(2, 2, 5, 5, 3, 5, 5, 1, 1, 0, 0, 0, 0),    // the kernel covers the whole image: P = Q = 1
      conv(1, 3, 13, 17, 70, 4, 3, 3, 2, 0, 2, 1, 0),  // K beyond one 64-row tile, stride 3 gaps
  };
}

Shape x_shape(const Conv2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape w_shape(const Conv2dParams& p) { return {p.K, p.C / p.groups, p.R, p.S}; }
Shape y_shape(const Conv2dParams& p) { return {p.N, p.K, p.P(), p.Q()}; }

}  // namespace

TEST_CASE("every convolution version matches the reference forward", "[cuda][conv]") {
  for (int v = 1; v <= conv_version_count(); ++v) {
    set_conv_version(v);
    for (const Conv2dParams& p : cases()) {
      CAPTURE(v, p.str());
      Pair x = input(x_shape(p), 31), w = input(w_shape(p), 32), b = input({p.K}, 33);
      Pair y = output(y_shape(p)), y_nobias = output(y_shape(p));
      ref().conv2d_forward(p, x.cpu, w.cpu, &b.cpu, y.cpu);
      cuda().conv2d_forward(p, x.gpu, w.gpu, &b.gpu, y.gpu);
      CHECK_CLOSE(y, kFp32Tol);
      ref().conv2d_forward(p, x.cpu, w.cpu, nullptr, y_nobias.cpu);
      cuda().conv2d_forward(p, x.gpu, w.gpu, nullptr, y_nobias.gpu);
      CHECK_CLOSE(y_nobias, kFp32Tol);
    }
  }
  set_conv_version(0);
}

TEST_CASE("every convolution version matches the reference backward data", "[cuda][conv]") {
  for (int v = 1; v <= conv_version_count(); ++v) {
    set_conv_version(v);
    for (const Conv2dParams& p : cases()) {
      CAPTURE(v, p.str());
      Pair dy = input(y_shape(p), 34), w = input(w_shape(p), 35), dx = output(x_shape(p));
      ref().conv2d_backward_data(p, dy.cpu, w.cpu, dx.cpu);
      cuda().conv2d_backward_data(p, dy.gpu, w.gpu, dx.gpu);
      CHECK_CLOSE(dx, kFp32Tol);
    }
  }
  set_conv_version(0);
}

TEST_CASE("every convolution version matches the reference backward weights", "[cuda][conv]") {
  for (int v = 1; v <= conv_version_count(); ++v) {
    set_conv_version(v);
    for (const Conv2dParams& p : cases()) {
      CAPTURE(v, p.str());
      Pair x = input(x_shape(p), 36), dy = input(y_shape(p), 37);
      Pair dw = output(w_shape(p)), db = output({p.K}), dw_only = output(w_shape(p));
      ref().conv2d_backward_weights(p, x.cpu, dy.cpu, dw.cpu, &db.cpu);
      cuda().conv2d_backward_weights(p, x.gpu, dy.gpu, dw.gpu, &db.gpu);
      CHECK_CLOSE(dw, kFp32Tol);
      CHECK_CLOSE(db, kFp32Tol);
      ref().conv2d_backward_weights(p, x.cpu, dy.cpu, dw_only.cpu, nullptr);
      cuda().conv2d_backward_weights(p, x.gpu, dy.gpu, dw_only.gpu, nullptr);
      CHECK_CLOSE(dw_only, kFp32Tol);
    }
  }
  set_conv_version(0);
}

TEST_CASE("convolution weight gradients over a large batch stay accurate", "[cuda][conv]") {
  // 16 x 64 x 64 output positions per weight: the split reduction of v2 is exercised.
  const Conv2dParams p = conv(16, 2, 64, 64, 8, 3, 3, 1, 1, 1, 1, 1, 1);
  Pair x = input(x_shape(p), 38), dy = input(y_shape(p), 39);
  for (int v = 1; v <= conv_version_count(); ++v) {
    set_conv_version(v);
    CAPTURE(v);
    Pair dw = output(w_shape(p)), db = output({p.K});
    ref().conv2d_backward_weights(p, x.cpu, dy.cpu, dw.cpu, &db.cpu);
    cuda().conv2d_backward_weights(p, x.gpu, dy.gpu, dw.gpu, &db.gpu);
    CHECK_CLOSE(dw, kFp32Tol);
    CHECK_CLOSE(db, kFp32Tol);
  }
  set_conv_version(0);
}
