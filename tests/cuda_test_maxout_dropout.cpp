// CUDA maxout (ties go to the first maximum, NaN wins) and dropout (the same
// Philox mask as the CPU, bit for bit, for the same seed and offset).
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

TEST_CASE("cuda maxout matches the reference, ties and NaN included", "[cuda][maxout]") {
  struct MaxoutCase {
    Shape x;
    int64_t k;
  };
  const std::vector<MaxoutCase> cases = {{{1, 2}, 2},       {{4, 12}, 3},        {{3, 10, 5, 7}, 2},
                                         {{2, 12, 8, 8}, 4}, {{5, 7}, 1},         {{2, 6, 64, 64}, 3},
                                         {{1, 5, 3}, 5}};
  for (const MaxoutCase& c : cases) {
    for (bool ties : {false, true}) {
      CAPTURE(shape_str(c.x), c.k, ties);
      Tensor xc = ties ? ties_cpu(c.x, 51, 2) : random_cpu(c.x, 51);
      if (!ties && xc.numel() > 3) xc.data<float>()[3] = NAN;
      Shape y_shape = c.x;
      y_shape[1] /= c.k;
      Pair x = same_on_both(xc), y = output(y_shape);
      ref().maxout_forward(c.k, x.cpu, y.cpu);
      cuda().maxout_forward(c.k, x.gpu, y.gpu);
      CHECK_CLOSE(y, 0.0);

      Pair dy = input(y_shape, 52), dx = output(c.x);
      ref().maxout_backward(c.k, x.cpu, dy.cpu, dx.cpu);
      cuda().maxout_backward(c.k, x.gpu, dy.gpu, dx.gpu);
      CHECK_CLOSE(dx, 0.0);  // a routed copy: exact
    }
  }
}

TEST_CASE("cuda dropout draws the CPU's mask bit for bit", "[cuda][dropout]") {
  for (const Shape& shape : {Shape{1}, Shape{3, 7}, Shape{2, 6, 64, 64}, Shape{1000003}}) {
    for (double p : {0.1, 0.5, 0.9}) {
      for (auto [seed, offset] : {std::pair<uint64_t, uint64_t>{0, 0}, {12345, 77}, {~0ULL, (1ULL << 40) + 3}}) {
        CAPTURE(shape_str(shape), p, seed, offset);
        Pair x = input(shape, 53), y = output(shape), mask = output(shape);
        ref().dropout_forward(p, seed, offset, x.cpu, y.cpu, mask.cpu);
        cuda().dropout_forward(p, seed, offset, x.gpu, y.gpu, mask.gpu);
        CHECK(identical(mask.gpu, mask.cpu));
        CHECK(identical(y.gpu, y.cpu));

        Pair dy = input(shape, 54), dx = output(shape);
        ref().dropout_backward(mask.cpu, dy.cpu, dx.cpu);
        cuda().dropout_backward(mask.gpu, dy.gpu, dx.gpu);
        CHECK(identical(dx.gpu, dx.cpu));
      }
    }
  }
}

TEST_CASE("cuda dropout keeps about 1 - p of the elements", "[cuda][dropout]") {
  const int64_t n = 1 << 20;
  Pair x = input({n}, 55), y = output({n}), mask = output({n});
  cuda().dropout_forward(0.3, 99, 0, x.gpu, y.gpu, mask.gpu);
  int64_t kept = 0;
  for (float m : mask.gpu.to_vector<float>()) kept += m != 0.0f;
  CHECK(static_cast<double>(kept) / n == Approx(0.7).margin(0.005));
}
