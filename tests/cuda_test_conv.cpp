// Every numbered convolution version (forward, backward data, backward
// weights + bias) against the reference backend, on the one harness's
// convolution shapes (tests/backend_op_cases.h: the source networks' layers
// and awkward sizes). The harness itself checks the default version.
#include "backend_op_cases.h"
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

using optest::conv_params;

namespace {

// The harness's shapes (tests/backend_op_cases.h): network layers and awkward sizes.
std::vector<Conv2dParams> cases() { return optest::conv_test_shapes(); }
Shape x_shape(const Conv2dParams& p) { return optest::conv_x(p); }
Shape w_shape(const Conv2dParams& p) { return optest::conv_w(p); }
Shape y_shape(const Conv2dParams& p) { return optest::conv_y(p); }

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
  const Conv2dParams p = conv_params(16, 2, 64, 64, 8, 3, 3, 1, 1, 1, 1, 1, 1);
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
