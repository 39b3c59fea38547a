// End to end through the ops layer and the autograd tape: a small CNN
// (conv -> batch norm -> ReLU -> max pool -> dropout -> dense -> maxout ->
// softmax cross-entropy) gives the same loss, gradients and running
// statistics on CUDA tensors as on the CPU reference backend, and one SGD
// step moves the parameters identically.
#include "core/autograd.h"
#include "core/ops.h"
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

// Chained ops compound float32 differences a little: a looser bound than one kernel's.
constexpr optest::Tolerance kChainTol{1e-3};

struct Run {
  Tensor loss;
  std::vector<Tensor> grads;  // x, w1, gamma, beta, w2, b2
  std::vector<Tensor> params;
  Tensor running_mean, running_var;
};

Run forward_backward(Device device) {
  auto leaf = [device](const Tensor& cpu) {
    Tensor t = cpu.to(device);
    t.set_requires_grad(true);
    return t;
  };
  Tensor x = leaf(random_cpu({4, 2, 16, 16}, 101));
  // No convolution bias: batch norm right after it would cancel it (its gradient is 0 up to rounding).
  Tensor w1 = leaf(random_cpu({6, 2, 5, 5}, 102, -0.3, 0.3));
  Tensor gamma = leaf(random_cpu({6}, 104, 0.5, 1.5)), beta = leaf(random_cpu({6}, 105));
  Tensor w2 = leaf(random_cpu({10, 384}, 106, -0.1, 0.1)), b2 = leaf(random_cpu({10}, 107));
  Tensor running_mean = Tensor::zeros({6}).to(device), running_var = Tensor::full({6}, 1.0).to(device);
  Tensor labels = Tensor::from_vector<int64_t>({0, 3, 4, 1}, {4}).to(device);

  Tensor h = ops::conv2d(x, w1, Tensor(), Conv2dGeometry::symmetric(1, 2));
  h = ops::batch_norm(h, gamma, beta, running_mean, running_var, /*training=*/true, 0.1, 1e-5);
  h = ops::relu(h);
  h = ops::max_pool2d(h, Pool2dWindow{});                  // 16x16 -> 8x8
  h = ops::dropout(h.flatten(1), 0.25, /*training=*/true, 7, 0);  // 6*8*8 = 384 features
  h = ops::maxout(ops::dense(h, w2, b2), 2);                     // 10 -> 5 classes
  Tensor loss = ops::softmax_cross_entropy(h, labels);
  loss.backward();

  Run r;
  r.loss = loss;
  r.params = {x, w1, gamma, beta, w2, b2};
  for (const Tensor& t : r.params) r.grads.push_back(t.grad());
  r.running_mean = running_mean;
  r.running_var = running_var;
  return r;
}

}  // namespace

TEST_CASE("a small CNN gives the same loss and gradients on CUDA as on the CPU", "[cuda][ops]") {
  Run cpu;
  {
    ReferenceBackendGuard oracle;
    cpu = forward_backward(Device::CPU);
  }
  Run gpu = forward_backward(Device::CUDA);
  CHECK(gpu.loss.device() == Device::CUDA);
  CHECK_CLOSE_TENSORS(gpu.loss, cpu.loss, kChainTol);
  CHECK_CLOSE_TENSORS(gpu.running_mean, cpu.running_mean, kChainTol);
  CHECK_CLOSE_TENSORS(gpu.running_var, cpu.running_var, kChainTol);
  const char* names[] = {"x", "w1", "gamma", "beta", "w2", "b2"};
  for (size_t i = 0; i < cpu.grads.size(); ++i) {
    CAPTURE(names[i]);
    REQUIRE(gpu.grads[i].defined());
    CHECK(gpu.grads[i].device() == Device::CUDA);
    CHECK_CLOSE_TENSORS(gpu.grads[i], cpu.grads[i], kChainTol);
  }

  // One SGD step with momentum on every parameter, on both sides.
  SgdParams p;
  p.lr = 0.1;
  p.momentum = 0.9;
  p.weight_decay = 1e-4;
  for (size_t i = 1; i < cpu.params.size(); ++i) {
    CAPTURE(names[i]);
    Tensor vc = Tensor::zeros(cpu.params[i].shape()), vg = vc.to(Device::CUDA);
    Tensor pc = cpu.params[i].detach(), pg = gpu.params[i].detach();
    ref().sgd_update(p, pc, cpu.grads[i], vc);
    cuda().sgd_update(p, pg, gpu.grads[i], vg);
    CHECK_CLOSE_TENSORS(pg, pc, kChainTol);
    CHECK_CLOSE_TENSORS(vg, vc, kChainTol);
  }
}
