// CUDA batch norm against the reference: training statistics (also for data
// far from zero, where a one-pass variance would cancel), the running
// averages with the unbiased variance, eval mode, and backward in both modes.
#include <cmath>

#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

BatchNormParams params_for(const Shape& x, bool use_batch_stats) {
  BatchNormParams p;
  p.N = x[0];
  p.C = x[1];
  p.HW = 1;
  for (size_t d = 2; d < x.size(); ++d) p.HW *= x[d];
  p.eps = 1e-5;
  p.momentum = 0.1;
  p.use_batch_stats = use_batch_stats;
  return p;
}

// [N,C] and [N,C,H,W]; m = N*HW from 2 upwards; one channel; 64x64 maps.
const std::vector<Shape> kShapes = {{2, 1}, {32, 16}, {4, 3, 5, 7}, {1, 2, 3, 3}, {8, 6, 64, 64}};

}  // namespace

TEST_CASE("cuda batch norm training matches the reference, running statistics included", "[cuda][batchnorm]") {
  for (const Shape& shape : kShapes) {
    for (double centre : {0.0, 1000.0}) {  // |mean| >> std: the variance must not cancel
      CAPTURE(shape_str(shape), centre);
      const BatchNormParams p = params_for(shape, true);
      const Shape ch{p.C};
      Pair x = input(shape, 61, centre - 0.01, centre + 0.01);
      Pair gamma = input(ch, 62, 0.5, 1.5), beta = input(ch, 63);
      Pair running_mean = input(ch, 64), running_var = input(ch, 65, 0.5, 2.0);
      Pair y = output(shape), save_mean = output(ch), save_invstd = output(ch);
      ref().batch_norm_forward_train(p, x.cpu, gamma.cpu, beta.cpu, running_mean.cpu, running_var.cpu, y.cpu,
                                     save_mean.cpu, save_invstd.cpu);
      cuda().batch_norm_forward_train(p, x.gpu, gamma.gpu, beta.gpu, running_mean.gpu, running_var.gpu, y.gpu,
                                      save_mean.gpu, save_invstd.gpu);
      CHECK_CLOSE(y, kFp32Tol);
      CHECK_CLOSE(save_mean, kFp32Tol);
      CHECK_CLOSE(save_invstd, kFp32Tol);
      CHECK_CLOSE(running_mean, kFp32Tol);
      CHECK_CLOSE(running_var, kFp32Tol);
    }
  }
}

TEST_CASE("cuda batch norm eval matches the reference", "[cuda][batchnorm]") {
  for (const Shape& shape : kShapes) {
    CAPTURE(shape_str(shape));
    const BatchNormParams p = params_for(shape, false);
    const Shape ch{p.C};
    Pair x = input(shape, 66, -3, 3), gamma = input(ch, 67), beta = input(ch, 68);
    Pair running_mean = input(ch, 69), running_var = input(ch, 70, 0.1, 3.0), y = output(shape);
    ref().batch_norm_forward_eval(p, x.cpu, gamma.cpu, beta.cpu, running_mean.cpu, running_var.cpu, y.cpu);
    cuda().batch_norm_forward_eval(p, x.gpu, gamma.gpu, beta.gpu, running_mean.gpu, running_var.gpu, y.gpu);
    CHECK_CLOSE(y, kFp32Tol);
  }
}

TEST_CASE("cuda batch norm backward matches the reference in both modes", "[cuda][batchnorm]") {
  for (const Shape& shape : kShapes) {
    for (bool batch_stats : {true, false}) {
      CAPTURE(shape_str(shape), batch_stats);
      const BatchNormParams p = params_for(shape, batch_stats);
      const Shape ch{p.C};
      Pair x = input(shape, 71, -2, 2), dy = input(shape, 72), gamma = input(ch, 73, 0.5, 1.5);
      // The saved statistics: what a training forward (or, in eval, the running
      // statistics) left behind; the same values on both sides.
      Pair save_mean = input(ch, 74, -0.1, 0.1), save_invstd = input(ch, 75, 0.5, 1.5);
      Pair dx = output(shape), dgamma = output(ch), dbeta = output(ch);
      ref().batch_norm_backward(p, x.cpu, dy.cpu, gamma.cpu, save_mean.cpu, save_invstd.cpu, dx.cpu, dgamma.cpu,
                                dbeta.cpu);
      cuda().batch_norm_backward(p, x.gpu, dy.gpu, gamma.gpu, save_mean.gpu, save_invstd.gpu, dx.gpu, dgamma.gpu,
                                 dbeta.gpu);
      CHECK_CLOSE(dx, kFp32Tol);
      CHECK_CLOSE(dgamma, kFp32Tol);
      CHECK_CLOSE(dbeta, kFp32Tol);
    }
  }
}
