// CUDA max / average / global average pooling against the reference backend:
// padding rules (count_include_pad on and off, asymmetric SAME padding),
// overlapping windows, inputs full of ties (the first maximum wins), NaN.
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

Pool2dParams pool(int64_t N, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S, int64_t stride_h,
                  int64_t stride_w, int64_t pad_top, int64_t pad_left, int64_t pad_bottom, int64_t pad_right,
                  bool count_include_pad) {
  Pool2dParams p;
  p.N = N; p.C = C; p.H = H; p.W = W;
  p.R = R; p.S = S;
  p.stride_h = stride_h; p.stride_w = stride_w;
  p.pad_top = pad_top; p.pad_left = pad_left; p.pad_bottom = pad_bottom; p.pad_right = pad_right;
  p.count_include_pad = count_include_pad;
  p.validate();
  return p;
}

std::vector<Pool2dParams> cases() {
  std::vector<Pool2dParams> out;
  for (bool include : {true, false}) {
    out.push_back(pool(2, 3, 64, 64, 2, 2, 2, 2, 0, 0, 0, 0, include));  // the usual 2x2 halving
    out.push_back(pool(2, 2, 63, 63, 3, 3, 2, 2, 1, 1, 1, 1, include));  // overlapping, padded, odd
    out.push_back(pool(1, 1, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, include));    // stride 1: every pixel in 9 windows
    out.push_back(pool(2, 4, 15, 15, 2, 2, 2, 2, 0, 0, 1, 1, include));  // TensorFlow SAME: odd pixel after
    out.push_back(pool(1, 2, 5, 6, 3, 2, 3, 1, 2, 0, 0, 1, include));    // asymmetric everything
    out.push_back(pool(3, 1, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, include));    // one window per plane
  }
  return out;
}

Shape in_shape(const Pool2dParams& p) { return {p.N, p.C, p.H, p.W}; }
Shape out_shape(const Pool2dParams& p) { return {p.N, p.C, p.P(), p.Q()}; }

}  // namespace

TEST_CASE("cuda max pooling matches the reference, ties and NaN included", "[cuda][pool]") {
  for (const Pool2dParams& p : cases()) {
    for (bool ties : {false, true}) {
      CAPTURE(p.str(), ties);
      Tensor xc = ties ? ties_cpu(in_shape(p), 41) : random_cpu(in_shape(p), 41);
      if (!ties) xc.data<float>()[xc.numel() / 2] = NAN;  // NaN wins its windows
      Pair x = same_on_both(xc), y = output(out_shape(p));
      ref().max_pool2d_forward(p, x.cpu, y.cpu);
      cuda().max_pool2d_forward(p, x.gpu, y.gpu);
      CHECK_CLOSE(y, 0.0);  // a max is a copy: exact

      Pair dy = input(out_shape(p), 42), dx = output(in_shape(p));
      ref().max_pool2d_backward(p, x.cpu, dy.cpu, dx.cpu);
      cuda().max_pool2d_backward(p, x.gpu, dy.gpu, dx.gpu);
      CHECK_CLOSE(dx, kFp32Tol);
    }
  }
}

TEST_CASE("cuda average pooling matches the reference for both padding rules", "[cuda][pool]") {
  for (const Pool2dParams& p : cases()) {
    CAPTURE(p.str());
    Pair x = input(in_shape(p), 43), y = output(out_shape(p));
    ref().avg_pool2d_forward(p, x.cpu, y.cpu);
    cuda().avg_pool2d_forward(p, x.gpu, y.gpu);
    CHECK_CLOSE(y, kFp32Tol);

    Pair dy = input(out_shape(p), 44), dx = output(in_shape(p));
    ref().avg_pool2d_backward(p, dy.cpu, dx.cpu);
    cuda().avg_pool2d_backward(p, dy.gpu, dx.gpu);
    CHECK_CLOSE(dx, kFp32Tol);
  }
}

TEST_CASE("cuda global average pooling matches the reference", "[cuda][pool]") {
  for (const Shape& shape : {Shape{2, 3, 64, 64}, Shape{1, 1, 1, 1}, Shape{3, 5, 7, 9}, Shape{4, 512, 2, 2}}) {
    CAPTURE(shape_str(shape));
    Pair x = input(shape, 45), y = output({shape[0], shape[1]});
    ref().global_avg_pool_forward(x.cpu, y.cpu);
    cuda().global_avg_pool_forward(x.gpu, y.gpu);
    CHECK_CLOSE(y, kFp32Tol);

    Pair dy = input({shape[0], shape[1]}, 46), dx = output(shape);
    ref().global_avg_pool_backward(dy.cpu, dx.cpu);
    cuda().global_avg_pool_backward(dy.gpu, dx.gpu);
    CHECK_CLOSE(dx, 0.0);  // the same double division, rounded once
  }
}
