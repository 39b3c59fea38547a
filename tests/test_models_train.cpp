// Every shipped network learns: a few full-batch SGD steps on a tiny batch
// must lower its training loss, with each loss the CLI offers for it. This is
// the models issue's "a short training run per model whose loss falls"; the
// small net and lenet have their own checks (test_trainer.cpp,
// test_models.cpp) and the CLI trains huertas end to end (tests/cli).
//
// The batch is memorised, not generalised: with random images and random
// targets the only way down is through correct forward, backward and update
// steps of every layer the network has (batch norm in training mode, maxout,
// residual adds, dropout switched off so the loss is a deterministic
// function of the weights). Sizes are the smallest each network accepts, so
// the whole file runs in seconds.
//
// Why every check is an average (issue 21). A few steps on 4 images through
// ReLU and training-mode batch norm are chaotic in float32: one ReLU input of
// +6e-6 that rounding puts on the other side of 0 changes its channel's batch
// statistics and everything below, and which way it rounds depends on the
// CPU's code path (oneDNN's AVX2 and AVX-512 kernels sum in different
// orders). A single trajectory's last loss, or "every step lower", is then a
// property of the ISA, not of the code: it failed on AVX2 only. What holds on
// every CPU is the mean over the later half of the steps, averaged over
// three seeds, at a learning rate where the first steps do not overshoot.
// The limits below sit well above the spread measured over the ISA caps
// avx2, avx512_core, avx512_core_bf16, avx512_core_amx and the reference
// backend (docs/TESTING.md, "Learning tests").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/init.h"
#include "core/optim.h"
#include "core/tensor/philox.h"
#include "kernels/backend.h"
#include "kernels/precision.h"
#include "models/models.h"
#include "models/train/trainer.h"

using namespace astrocnn;
using namespace astrocnn::models;

namespace {

constexpr int64_t kBatch = 4;

Tensor random_images(int64_t channels, int64_t size) {
  Tensor x = Tensor::empty({kBatch, channels, size, size});
  init::normal_(x, 0.0, 1.0);
  return x;
}

// Labels for `loss`: class ids 0..outputs-1 for cross-entropy, vote-fraction
// rows (positive, summing to 1) for RMSE, and signed unit-free vectors (the
// merger parameters' kind of target) for the cosine loss.
Tensor random_labels(LossKind loss, int64_t outputs, uint64_t seed) {
  Rng rng(seed);
  if (loss == LossKind::CrossEntropy) {
    std::vector<int64_t> ids(kBatch);
    for (int64_t n = 0; n < kBatch; ++n) ids[n] = n % outputs;  // every row its own class
    return Tensor::from_vector(ids, {kBatch});
  }
  std::vector<float> values(kBatch * outputs);
  for (int64_t n = 0; n < kBatch; ++n) {
    double sum = 0;
    for (int64_t k = 0; k < outputs; ++k) {
      double u = rng.uniform();
      values[n * outputs + k] = static_cast<float>(loss == LossKind::Cosine ? 2 * u - 1 : u);
      sum += u;
    }
    if (loss != LossKind::Cosine)
      for (int64_t k = 0; k < outputs; ++k) values[n * outputs + k] /= static_cast<float>(sum);
  }
  return Tensor::from_vector(values, {kBatch, outputs});
}

// The loss before each of `steps` SGD updates (momentum 0.9) on one batch.
std::vector<double> losses_over_steps(Module& net, const Tensor& x, const Tensor& labels,
                                      LossKind loss, double lr, int steps) {
  SgdOptions so;
  so.lr = lr;
  so.momentum = 0.9;
  SGD sgd(net.named_parameters(), so);
  net.train();
  std::vector<double> losses;
  for (int step = 0; step < steps; ++step) {
    sgd.zero_grad();
    Tensor value = compute_loss(loss, net.forward(x), labels);
    losses.push_back(value.item());
    value.backward();
    sgd.step();
  }
  return losses;
}

// lenet's three average pools wash out random images; brighter images of
// class 1 (as in test_models.cpp's lenet check) give it a signal to learn.
Tensor with_class_signal(const Tensor& x, const Tensor& class_ids) {
  std::vector<float> pixels = x.to_vector<float>();
  const std::vector<int64_t> ids = class_ids.to_vector<int64_t>();
  const size_t per_image = pixels.size() / ids.size();
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] += static_cast<float>(ids[i / per_image]);
  return Tensor::from_vector(pixels, x.shape());
}

struct Case {
  std::string model;
  ModelOptions options;
  LossKind loss;
  double lr;
  int steps;
  double fall;                // the seeds' mean late/first ratio must be below this
  bool class_signal = false;  // add with_class_signal to the images
  double bf16_start = 0.03;   // bf16's first loss within this fraction of fp32's
};

// Seeds of the weights, the images and the targets: three, so that one
// seed's unlucky rounding cannot decide the outcome.
constexpr uint64_t kSeeds[] = {1, 2, 3};

// One run's losses, before each step, and the mean of the later half of
// them over the first: what fraction of the start the run settles at.
struct Curve {
  std::vector<double> losses;
  double late_ratio() const {
    const size_t half = losses.size() / 2;
    double sum = 0;
    for (size_t i = half; i < losses.size(); ++i) sum += losses[i];
    return sum / static_cast<double>(losses.size() - half) / losses.front();
  }
  double lowest() const {
    double low = losses.front();
    for (double l : losses) low = std::min(low, l);
    return low;
  }
};

Curve learn(const Case& c, uint64_t seed) {
  manual_seed(seed);
  auto net = make_model(c.model, c.options);
  Tensor x = random_images(c.options.in_channels, c.options.image_size);
  Tensor labels = random_labels(c.loss, c.options.outputs, 100 + seed);
  if (c.class_signal) x = with_class_signal(x, labels);
  return {losses_over_steps(*net, x, labels, c.loss, c.lr, c.steps)};
}

// ASTROCNN_PRINT_CURVES=1 prints every run's losses (relative to the first),
// the data behind the limits in docs/TESTING.md.
void print_curve(const Case& c, uint64_t seed, const Curve& curve, const char* precision) {
  if (std::getenv("ASTROCNN_PRINT_CURVES") == nullptr) return;
  std::printf("curve %s %s %s seed %llu: late/first %.4f |", c.model.c_str(), loss_name(c.loss),
              precision, static_cast<unsigned long long>(seed), curve.late_ratio());
  for (double l : curve.losses) std::printf(" %.4f", l / curve.losses.front());
  std::printf("\n");
}

// The seeds' runs of one case; fails if any loss is not finite or a run
// never goes below its start.
std::vector<Curve> learn_over_seeds(const Case& c, const char* precision = "fp32") {
  std::vector<Curve> curves;
  for (uint64_t seed : kSeeds) {
    Curve curve = learn(c, seed);
    print_curve(c, seed, curve, precision);
    INFO(c.model << " with " << loss_name(c.loss) << " (" << precision << "), seed " << seed
                 << ": loss " << curve.losses.front() << " -> " << curve.losses.back());
    for (double l : curve.losses) REQUIRE(std::isfinite(l));
    CHECK(curve.lowest() < curve.losses.front());
    curves.push_back(std::move(curve));
  }
  return curves;
}

double mean_late_ratio(const std::vector<Curve>& curves) {
  double sum = 0;
  for (const Curve& c : curves) sum += c.late_ratio();
  return sum / static_cast<double>(curves.size());
}

void check_loss_falls(const Case& c) {
  const double ratio = mean_late_ratio(learn_over_seeds(c));
  INFO(c.model << " with " << loss_name(c.loss) << ": the later half of " << c.steps
               << " steps averages " << ratio << " of the first loss over " << std::size(kSeeds)
               << " seeds (limit " << c.fall << "). A ratio near 1 or above means some layer's "
               << "backward or the SGD step is wrong: run the op harness and the gradient checks first");
  CHECK(ratio < c.fall);
}

ModelOptions options(int64_t in_channels, int64_t outputs, int64_t image_size) {
  ModelOptions o;
  o.in_channels = in_channels;
  o.outputs = outputs;
  o.image_size = image_size;
  o.dropout = 0;
  return o;
}

ModelOptions small_stem() {
  ModelOptions o = options(3, 4, 16);
  o.small_input_stem = true;
  return o;
}

// One case per network and loss, shared by the fp32 and the bf16 tests.
// The learning rates are the largest at which no seed's first steps
// overshoot on any ISA (measured: docs/TESTING.md). RMSE's gradient does
// not shrink as the error does, so on a memorised batch it settles into a
// bounded oscillation rather than 0; its limit is looser.
//
// The paper's initialisation of huertas (weights N(0, 0.01), biases 0.1)
// passes almost nothing of the image through four convolutions at first,
// so the first steps fit the mean vote fractions (momentum makes the loss
// swing on the way); the per-image fit comes over epochs (`make demo`).
// torchvision's AlexNet has no batch norm and starts from PyTorch's default
// (small) initialisation: its loss falls slowly but steadily.
Case huertas_rmse() { return {"huertas", options(1, 5, 40), LossKind::Rmse, 0.05, 20, 0.85}; }
Case lenet_xent() { return {"lenet", options(6, 2, 16), LossKind::CrossEntropy, 0.1, 14, 0.75, true}; }
Case resnet18_xent() { return {"resnet18", small_stem(), LossKind::CrossEntropy, 0.01, 10, 0.1}; }
Case resnet18_rmse() { return {"resnet18", small_stem(), LossKind::Rmse, 0.002, 10, 0.6}; }
Case resnet18_cosine() { return {"resnet18", small_stem(), LossKind::Cosine, 0.05, 10, 0.85}; }
Case resnet50_xent() { return {"resnet50", options(3, 4, 32), LossKind::CrossEntropy, 0.002, 10, 0.6}; }
// bf16's first loss differs from fp32's by up to 8% here (measured): fifty
// layers of bfloat16 operands, each renormalised by batch norm over 16 values.
Case resnet50_small_stem_xent() {
  return {"resnet50", small_stem(), LossKind::CrossEntropy, 0.002, 10, 0.75, false, 0.15};
}
Case alexnet_xent() { return {"alexnet", options(3, 4, 63), LossKind::CrossEntropy, 0.05, 20, 0.99}; }

}  // namespace

TEST_CASE("huertas learns vote fractions with RMSE", "[models][train]") { check_loss_falls(huertas_rmse()); }
TEST_CASE("lenet learns fake vs real with cross-entropy", "[models][train]") { check_loss_falls(lenet_xent()); }
TEST_CASE("resnet18 learns with cross-entropy", "[models][train]") { check_loss_falls(resnet18_xent()); }
TEST_CASE("resnet18 learns vote fractions with RMSE", "[models][train]") { check_loss_falls(resnet18_rmse()); }
TEST_CASE("resnet18 learns merger parameters with the cosine loss", "[models][train]") {
  check_loss_falls(resnet18_cosine());
}
TEST_CASE("resnet50 learns with cross-entropy", "[models][train]") { check_loss_falls(resnet50_xent()); }
TEST_CASE("alexnet learns with cross-entropy", "[models][train]") { check_loss_falls(alexnet_xent()); }

// ---- Mixed precision (kernels/precision.h) ----
// The same steps in bf16 (convolutions and dense layers on bfloat16
// operands, everything else float32): the loss must fall as in fp32, and
// the seeds' mean late/first ratio must lie near fp32's. bfloat16 operands
// err by 2^-8 relative each, about a hundred times float32's rounding, so
// bf16 runs are as chaotic as fp32 runs on another ISA and only the
// seeds' mean is compared, within the spread fp32 itself has over seeds.
namespace {

double spread(const std::vector<Curve>& curves) {
  double low = curves.front().late_ratio(), high = low;
  for (const Curve& c : curves) {
    low = std::min(low, c.late_ratio());
    high = std::max(high, c.late_ratio());
  }
  return high - low;
}

void check_bf16_tracks_fp32(const Case& c) {
  if (!backend_for(Device::CPU).supports(Precision::BF16)) {
    WARN("SKIP: the CPU backend has no bf16 here (needs AVX-512; ONEDNN_MAX_CPU_ISA may cap it)");
    return;
  }
  std::vector<Curve> fp32, bf16;
  {
    MathPrecisionGuard guard(Precision::FP32);
    fp32 = learn_over_seeds(c, "fp32");
  }
  {
    MathPrecisionGuard guard(Precision::BF16);
    bf16 = learn_over_seeds(c, "bf16");
  }
  const double fp32_ratio = mean_late_ratio(fp32), bf16_ratio = mean_late_ratio(bf16);
  // The same start, up to rounding: batch norm over 4 images amplifies it.
  for (size_t i = 0; i < fp32.size(); ++i)
    CHECK(std::fabs(bf16[i].losses.front() - fp32[i].losses.front()) <= c.bf16_start * fp32[i].losses.front());
  INFO(c.model << " with " << loss_name(c.loss) << ": later-half loss over the first, mean of "
               << std::size(kSeeds) << " seeds: fp32 " << fp32_ratio << " (seeds spread "
               << spread(fp32) << "), bf16 " << bf16_ratio);
  CHECK(bf16_ratio < c.fall);
  CHECK(std::fabs(bf16_ratio - fp32_ratio) <= std::max({spread(fp32), spread(bf16), 0.05}));
}

}  // namespace

TEST_CASE("every network learns in bf16 as in fp32", "[models][train][precision]") {
  SECTION("huertas") { check_bf16_tracks_fp32(huertas_rmse()); }
  SECTION("lenet") { check_bf16_tracks_fp32(lenet_xent()); }
  SECTION("resnet18") { check_bf16_tracks_fp32(resnet18_cosine()); }
  // At 16 pixels with the small stem the last stage is 2x2, so its batch
  // norm sees 16 values per channel: with the ImageNet stem at 32 pixels it
  // would see 4 (1x1 x batch 4), which turns the operands' rounding into
  // a different first loss.
  SECTION("resnet50") { check_bf16_tracks_fp32(resnet50_small_stem_xent()); }
  SECTION("alexnet") { check_bf16_tracks_fp32(alexnet_xent()); }
}
