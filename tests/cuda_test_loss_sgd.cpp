// CUDA losses (softmax cross-entropy, MSE, cosine) and the fused SGD update
// against the reference. The upstream gradient `gloss` is a one-element
// tensor on the device, read by the backward kernels themselves.
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

Pair labels_for(int64_t N, int64_t C, uint64_t seed) {
  Rng rng(seed);
  std::vector<int64_t> v(static_cast<size_t>(N));
  for (int64_t& l : v) l = static_cast<int64_t>(rng.below(static_cast<uint64_t>(C)));
  return same_on_both(Tensor::from_vector(v, {N}));
}

Pair gloss(double value) { return same_on_both(Tensor::full({}, value)); }

}  // namespace

TEST_CASE("cuda softmax cross-entropy matches the reference", "[cuda][loss]") {
  for (auto [N, C] : {std::pair<int64_t, int64_t>{1, 2}, {5, 10}, {64, 7}, {3, 1000}, {300, 2}}) {
    for (double range : {3.0, 1000.0}) {  // large logits must not overflow exp()
      CAPTURE(N, C, range);
      Pair logits = input({N, C}, 81, -range, range), labels = labels_for(N, C, 82);
      Pair probs = output({N, C}), loss = output({});
      ref().softmax_xent_forward(logits.cpu, labels.cpu, probs.cpu, loss.cpu);
      cuda().softmax_xent_forward(logits.gpu, labels.gpu, probs.gpu, loss.gpu);
      CHECK_CLOSE(probs, kFp32Tol);
      CHECK_CLOSE(loss, kFp32Tol);

      Pair g = gloss(0.37), dlogits = output({N, C});
      ref().softmax_xent_backward(probs.cpu, labels.cpu, g.cpu, dlogits.cpu);
      cuda().softmax_xent_backward(probs.cpu.to(Device::CUDA), labels.gpu, g.gpu, dlogits.gpu);
      CHECK_CLOSE(dlogits, kFp32Tol);
    }
  }
}

TEST_CASE("cuda softmax cross-entropy propagates NaN", "[cuda][loss]") {
  Tensor xc = random_cpu({4, 3}, 83);
  xc.data<float>()[7] = NAN;
  Pair logits = same_on_both(xc), labels = labels_for(4, 3, 84), probs = output({4, 3}), loss = output({});
  cuda().softmax_xent_forward(logits.gpu, labels.gpu, probs.gpu, loss.gpu);
  CHECK(std::isnan(loss.gpu.item()));
}

TEST_CASE("cuda MSE matches the reference", "[cuda][loss]") {
  for (const Shape& shape : {Shape{1, 1}, Shape{7, 3}, Shape{32, 1}, Shape{4, 1, 64, 64}, Shape{1000003}}) {
    CAPTURE(shape_str(shape));
    Pair pred = input(shape, 85), target = input(shape, 86), loss = output({});
    ref().mse_forward(pred.cpu, target.cpu, loss.cpu);
    cuda().mse_forward(pred.gpu, target.gpu, loss.gpu);
    CHECK_CLOSE(loss, kFp32Tol);

    Pair g = gloss(-1.7), dpred = output(shape);
    ref().mse_backward(pred.cpu, target.cpu, g.cpu, dpred.cpu);
    cuda().mse_backward(pred.gpu, target.gpu, g.gpu, dpred.gpu);
    CHECK_CLOSE(dpred, kFp32Tol);
  }
}

TEST_CASE("cuda cosine loss matches the reference, degenerate rows included", "[cuda][loss]") {
  for (auto [N, K] : {std::pair<int64_t, int64_t>{1, 4}, {6, 3}, {64, 37}, {2, 5000}}) {
    CAPTURE(N, K);
    Tensor pc = random_cpu({N, K}, 87);
    if (N > 1)  // a zero prediction row: cos = 0, loss 1, zero gradient
      for (int64_t k = 0; k < K; ++k) pc.data<float>()[K + k] = 0.0f;
    Pair pred = same_on_both(pc), target = input({N, K}, 88), loss = output({});
    ref().cosine_loss_forward(pred.cpu, target.cpu, loss.cpu);
    cuda().cosine_loss_forward(pred.gpu, target.gpu, loss.gpu);
    CHECK_CLOSE(loss, kFp32Tol);

    Pair g = gloss(2.5), dpred = output({N, K});
    ref().cosine_loss_backward(pred.cpu, target.cpu, g.cpu, dpred.cpu);
    cuda().cosine_loss_backward(pred.gpu, target.gpu, g.gpu, dpred.gpu);
    CHECK_CLOSE(dpred, kFp32Tol);
  }
}

TEST_CASE("cuda SGD update matches the reference for every option", "[cuda][sgd]") {
  struct Options {
    double momentum, dampening, weight_decay;
    bool nesterov, first_step;
  };
  const std::vector<Options> options = {{0, 0, 0, false, true},       {0, 0, 1e-2, false, false},
                                        {0.9, 0, 0, false, true},     {0.9, 0, 0, false, false},
                                        {0.9, 0.1, 5e-4, false, false}, {0.9, 0, 5e-4, true, false},
                                        {0.5, 0, 0, true, true}};
  for (const Shape& shape : {Shape{1}, Shape{32, 3, 5, 5}, Shape{100003}}) {
    for (const Options& o : options) {
      CAPTURE(shape_str(shape), o.momentum, o.dampening, o.weight_decay, o.nesterov, o.first_step);
      SgdParams p;
      p.lr = 0.05;
      p.momentum = o.momentum;
      p.dampening = o.dampening;
      p.weight_decay = o.weight_decay;
      p.nesterov = o.nesterov;
      p.first_step = o.first_step;
      Pair param = input(shape, 91), grad = input(shape, 92);
      // Without momentum the velocity is never touched (and may be undefined).
      Pair velocity = o.momentum != 0 ? input(shape, 93) : Pair{};
      ref().sgd_update(p, param.cpu, grad.cpu, velocity.cpu);
      cuda().sgd_update(p, param.gpu, grad.gpu, velocity.gpu);
      CHECK_CLOSE(param, kFp32Tol);
      if (o.momentum != 0) CHECK_CLOSE(velocity, kFp32Tol);
    }
  }
}
