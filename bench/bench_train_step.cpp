// End-to-end training step (forward + backward + SGD with momentum) of the
// source papers' networks on the CPU, in images per second: the astrocnn half
// of bench/compare_pytorch.py.
//
//   bench_train_step [--threads=T] [--batch=B] [--precision=fp32|bf16] [Google Benchmark flags]
//
// --precision sets what convolutions and dense layers compute in
// (kernels/precision.h), as `astrocnn train --precision` does.
//
// TrainStep/huertas   Huertas-Company morphology net, 1x64x64, RMSE on 5 vote fractions
// TrainStep/lenet     LeNet-style fake/real net, 6x64x64, cross-entropy on 2 classes
// TrainStep/resnet18  ResNet18 (standard stem), 3x64x64, cross-entropy on 5 classes
// TrainStep/resnet50  ResNet50 (standard stem), 3x64x64, cross-entropy on 5 classes
// TrainStep/alexnet   AlexNet (torchvision's), 3x64x64, cross-entropy on 5 classes
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/optim.h"
#include "core/tensor/philox.h"
#include "kernels/precision.h"
#include "models/models.h"
#include "models/train/trainer.h"
#if defined(ASTROCNN_HAVE_ONEDNN)
#include "kernels/cpu/onednn_backend.h"
#endif

namespace {

using namespace astrocnn;

int g_batch = 32;

struct Case {
  const char* model;
  int64_t channels, outputs;
  LossKind loss;
};

void TrainStep(benchmark::State& state, Case c) {
  manual_seed(0);
  models::ModelOptions mo;
  mo.in_channels = c.channels;
  mo.outputs = c.outputs;
  mo.image_size = 64;
  auto model = models::make_model(c.model, mo);
  model->train();
  SgdOptions so;
  so.lr = 0.01;
  so.momentum = 0.9;
  SGD opt(model->named_parameters(), so);

  Rng rng(1);
  std::vector<float> xs(static_cast<size_t>(g_batch) * c.channels * 64 * 64);
  for (float& v : xs) v = static_cast<float>(rng.normal());
  Tensor x = Tensor::from_vector(xs, {g_batch, c.channels, 64, 64});
  Tensor y;
  if (c.loss == LossKind::CrossEntropy) {
    std::vector<int64_t> ys(g_batch);
    for (auto& v : ys) v = static_cast<int64_t>(rng.below(c.outputs));
    y = Tensor::from_vector(ys, {g_batch});
  } else {
    std::vector<float> ys(static_cast<size_t>(g_batch) * c.outputs);
    for (auto& v : ys) v = rng.uniform();
    y = Tensor::from_vector(ys, {g_batch, c.outputs});
  }
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = compute_loss(c.loss, model->forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  for (int i = 0; i < 2; ++i) step();  // warm-up: primitive caches, allocator
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.SetItemsProcessed(state.iterations() * g_batch);
  state.counters["batch"] = g_batch;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--batch=", 8) == 0) g_batch = std::atoi(argv[i] + 8);
    if (std::strncmp(argv[i], "--precision=", 12) == 0) set_math_precision(parse_precision(argv[i] + 12));
#if defined(ASTROCNN_HAVE_ONEDNN)
    if (std::strncmp(argv[i], "--threads=", 10) == 0) set_cpu_threads(std::atoi(argv[i] + 10));
#endif
  }
  benchmark::RegisterBenchmark("TrainStep/huertas", TrainStep, Case{"huertas", 1, 5, LossKind::Rmse})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("TrainStep/lenet", TrainStep, Case{"lenet", 6, 2, LossKind::CrossEntropy})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("TrainStep/resnet18", TrainStep, Case{"resnet18", 3, 5, LossKind::CrossEntropy})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("TrainStep/resnet50", TrainStep, Case{"resnet50", 3, 5, LossKind::CrossEntropy})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("TrainStep/alexnet", TrainStep, Case{"alexnet", 3, 5, LossKind::CrossEntropy})
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
