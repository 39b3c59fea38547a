// End-to-end sanity check of layers + ops + autograd + SGD: a tiny CNN must
// memorise 64 random samples (random labels, then random regression targets).
// Nothing in the data can be generalised, so a near-zero loss means every
// forward, backward and update step is right, in float32 on the default CPU
// backend.
#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "core/ops.h"
#include "core/optim.h"
#include "core/tensor/philox.h"
#include "gradcheck.h"
#include "layers/layers.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

constexpr int64_t kSamples = 64, kClasses = 4;

// conv 3x3 -> ReLU -> max pool 2 -> flatten -> dense -> ReLU -> dense, on 1x8x8 inputs.
std::shared_ptr<Sequential> tiny_cnn() {
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Conv2d>(1, 8, 3, 1, 1), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
      std::make_shared<Dense>(8 * 4 * 4, 32), std::make_shared<ReLU>(),
      std::make_shared<Dense>(32, kClasses)});
}

struct Run {
  double initial_loss = 0, final_loss = 0;
  int steps = 0;
};

// Full-batch SGD with momentum 0.9 until the loss drops below `target` or
// `max_steps` updates have been made.
Run train(Module& model, const Tensor& x, const std::function<Tensor(const Tensor&)>& loss_of,
          double lr, double target, int max_steps) {
  SgdOptions options;
  options.lr = lr;
  options.momentum = 0.9;
  SGD sgd(model.named_parameters(), options);
  Run run;
  for (run.steps = 0; run.steps <= max_steps; ++run.steps) {
    sgd.zero_grad();
    Tensor loss = loss_of(model(x));
    double value = loss.item();
    if (run.steps == 0) run.initial_loss = value;
    run.final_loss = value;
    if (value < target || run.steps == max_steps) break;
    loss.backward();
    sgd.step();
  }
  return run;
}

}  // namespace

TEST_CASE("a tiny CNN memorises random labels with cross-entropy", "[overfit]") {
  manual_seed(1);
  auto model = tiny_cnn();
  Tensor x = random_tensor({kSamples, 1, 8, 8}, 2, -1, 1, DType::F32);
  Rng label_rng(3);
  std::vector<int64_t> labels(kSamples);
  for (int64_t& l : labels) l = static_cast<int64_t>(label_rng.below(kClasses));
  Tensor y = Tensor::from_vector(labels, {kSamples});

  Run run = train(
      *model, x, [&](const Tensor& logits) { return ops::softmax_cross_entropy(logits, y); },
      /*lr=*/0.05, /*target=*/0.05, /*max_steps=*/500);
  INFO("cross-entropy " << run.initial_loss << " -> " << run.final_loss << " in " << run.steps
                        << " steps");
  // Small initial weights give nearly uniform predictions: loss about ln 4.
  CHECK(run.initial_loss == Approx(std::log(4.0)).margin(0.2));
  CHECK(run.final_loss < 0.05);
  CHECK(run.final_loss < run.initial_loss);
  // Every prediction is now the memorised label.
  NoGradGuard no_grad;
  std::vector<float> logits = (*model)(x).to_vector<float>();
  int64_t correct = 0;
  for (int64_t n = 0; n < kSamples; ++n) {
    int64_t best = 0;
    for (int64_t c = 1; c < kClasses; ++c)
      if (logits[n * kClasses + c] > logits[n * kClasses + best]) best = c;
    correct += best == labels[n];
  }
  CHECK(correct == kSamples);
}

TEST_CASE("a tiny CNN memorises random regression targets with MSE", "[overfit]") {
  manual_seed(4);
  auto model = tiny_cnn();
  Tensor x = random_tensor({kSamples, 1, 8, 8}, 5, -1, 1, DType::F32);
  Tensor target = random_tensor({kSamples, kClasses}, 6, -1, 1, DType::F32);

  Run run = train(
      *model, x, [&](const Tensor& pred) { return ops::mse_loss(pred, target); },
      /*lr=*/0.05, /*target=*/0.005, /*max_steps=*/500);
  INFO("MSE " << run.initial_loss << " -> " << run.final_loss << " in " << run.steps << " steps");
  // Targets uniform in [-1, 1) have variance 1/3: the untrained net starts near that.
  CHECK(run.initial_loss > 0.2);
  CHECK(run.final_loss < 0.005);
  CHECK(run.final_loss < run.initial_loss);
}
