// CUDA fill / add / scale, ReLU, sigmoid and softmax against the reference backend.
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {
// Flat sizes: one element, odd, one full block plus one, and a big prime (grid-stride loops).
const std::vector<Shape> kShapes = {{1}, {7}, {257}, {3, 5, 7}, {2, 6, 64, 64}, {1000003}};
}  // namespace

TEST_CASE("cuda fill, add and scale match the reference", "[cuda][elementwise]") {
  for (const Shape& shape : kShapes) {
    CAPTURE(shape_str(shape));
    Pair a = input(shape, 1), b = input(shape, 2), y = output(shape);
    ref().add(a.cpu, b.cpu, y.cpu);
    cuda().add(a.gpu, b.gpu, y.gpu);
    CHECK_CLOSE(y, 0.0);  // one rounding, identical on both sides

    Pair s = output(shape);
    ref().scale(a.cpu, -2.75, s.cpu);
    cuda().scale(a.gpu, -2.75, s.gpu);
    CHECK_CLOSE(s, 0.0);

    Pair f = output(shape);
    ref().fill(f.cpu, 0.1);
    cuda().fill(f.gpu, 0.1);
    CHECK_CLOSE(f, 0.0);
  }
  Pair labels = output({13}, DType::I64);
  ref().fill(labels.cpu, 9);
  cuda().fill(labels.gpu, 9);
  CHECK(labels.gpu.to_vector<int64_t>() == std::vector<int64_t>(13, 9));
}

TEST_CASE("cuda relu forward and backward match the reference", "[cuda][activation]") {
  for (const Shape& shape : kShapes) {
    CAPTURE(shape_str(shape));
    Tensor xc = random_cpu(shape, 3);
    xc.data<float>()[0] = NAN;  // NaN propagates through ReLU
    if (xc.numel() > 2) xc.data<float>()[1] = 0.0f;  // the gradient at exactly 0 is 0
    Pair x = same_on_both(xc), y = output(shape);
    ref().relu_forward(x.cpu, y.cpu);
    cuda().relu_forward(x.gpu, y.gpu);
    CHECK_CLOSE(y, 0.0);

    Pair dy = input(shape, 4), dx = output(shape);
    ref().relu_backward(y.cpu, dy.cpu, dx.cpu);
    cuda().relu_backward(y.gpu, dy.gpu, dx.gpu);
    CHECK_CLOSE(dx, 0.0);
  }
}

TEST_CASE("cuda sigmoid forward and backward match the reference", "[cuda][activation]") {
  for (const Shape& shape : kShapes) {
    CAPTURE(shape_str(shape));
    Pair x = input(shape, 5, -40, 40), y = output(shape);  // both exp() branches, saturation
    ref().sigmoid_forward(x.cpu, y.cpu);
    cuda().sigmoid_forward(x.gpu, y.gpu);
    CHECK_CLOSE(y, kFp32Tol);

    Pair dy = input(shape, 6), dx = output(shape);
    ref().sigmoid_backward(y.cpu, dy.cpu, dx.cpu);  // the same y on both sides
    cuda().sigmoid_backward(y.cpu.to(Device::CUDA), dy.gpu, dx.gpu);
    CHECK_CLOSE(dx, kFp32Tol);
  }
}

TEST_CASE("cuda softmax matches the reference, large logits included", "[cuda][activation]") {
  for (auto [N, C] : {std::pair<int64_t, int64_t>{1, 1}, {3, 10}, {5, 1000}, {64, 7}, {2, 3000}}) {
    CAPTURE(N, C);
    Pair x = input({N, C}, 7, -1000, 1000), y = output({N, C});
    ref().softmax_forward(x.cpu, y.cpu);
    cuda().softmax_forward(x.gpu, y.gpu);
    CHECK_CLOSE(y, kFp32Tol);

    Pair xs = input({N, C}, 8, -3, 3), ys = output({N, C});
    ref().softmax_forward(xs.cpu, ys.cpu);
    cuda().softmax_forward(xs.gpu, ys.gpu);
    CHECK_CLOSE(ys, kFp32Tol);
  }
}
