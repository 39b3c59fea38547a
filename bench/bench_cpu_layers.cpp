// Convolution layers of the Huertas-Company et al. (2015) morphology net on
// the CPU backends: forward, backward-data and backward-weights, batch 32.
//
// The net takes 1x64x64 images; VALID convolutions and 2x2/2 max pooling give
//   conv1  1 -> 32,  6x6 on 64x64 -> 59x59   (pool -> 29x29)
//   conv2 32 -> 64,  5x5 on 29x29 -> 25x25   (pool -> 12x12)
//   conv3 64 -> 128, 3x3 on 12x12 -> 10x10
//   conv4 128 -> 128, 3x3 on 10x10 -> 8x8
// Each benchmark reports images/s (items_processed) and GFLOP/s, counting
// 2*N*K*P*Q*C*R*S flops per pass (the multiply-adds of the convolution; bias
// excluded), the same for the two backward passes.
//
// The reference backend is the slow oracle: it is timed on conv1 with batch 1
// only, for scale. Run with e.g.
//   OMP_NUM_THREADS=2 bench_cpu_layers --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <string>

#include "kernels/backend.h"
#include "kernels/cpu/onednn_backend.h"
#include "core/tensor/philox.h"

namespace {

using namespace astrocnn;

struct Layer {
  const char* name;
  int64_t C, H, K, R;  // square images and kernels
};

const Layer kLayers[] = {
    {"conv1_1x64x64_32@6x6", 1, 64, 32, 6},
    {"conv2_32x29x29_64@5x5", 32, 29, 64, 5},
    {"conv3_64x12x12_128@3x3", 64, 12, 128, 3},
    {"conv4_128x10x10_128@3x3", 128, 10, 128, 3},
};

Conv2dParams params(const Layer& l, int64_t batch) {
  return Conv2dParams::of({batch, l.C, l.H, l.H}, {l.K, l.C, l.R, l.R}, Conv2dGeometry{});
}

Tensor random_f32(const Shape& shape, uint64_t seed, float scale) {
  Tensor t = Tensor::empty(shape);
  Rng rng(seed);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = scale * (2 * rng.uniform() - 1);
  return t;
}

enum class Pass { Forward, BackwardData, BackwardWeights };

// Inputs and outputs of one layer, allocated once outside the timed loop.
struct LayerTensors {
  Tensor x, w, b, y, dy, dx, dw, db;
  explicit LayerTensors(const Conv2dParams& p)
      : x(random_f32({p.N, p.C, p.H, p.W}, 1, 1.0f)),
        w(random_f32({p.K, p.C, p.R, p.S}, 2, 0.1f)),
        b(random_f32({p.K}, 3, 0.1f)),
        y(Tensor::zeros({p.N, p.K, p.P(), p.Q()})),
        dy(random_f32({p.N, p.K, p.P(), p.Q()}, 4, 1.0f)),
        dx(Tensor::zeros({p.N, p.C, p.H, p.W})),
        dw(Tensor::zeros({p.K, p.C, p.R, p.S})),
        db(Tensor::zeros({p.K})) {}
};

void run_pass(Backend& be, Pass pass, const Conv2dParams& p, LayerTensors& t) {
  switch (pass) {
    case Pass::Forward: be.conv2d_forward(p, t.x, t.w, &t.b, t.y); break;
    case Pass::BackwardData: be.conv2d_backward_data(p, t.dy, t.w, t.dx); break;
    case Pass::BackwardWeights: be.conv2d_backward_weights(p, t.x, t.dy, t.dw, &t.db); break;
  }
}

void bench_conv(benchmark::State& state, Backend* be, Layer layer, int64_t batch, Pass pass) {
  const Conv2dParams p = params(layer, batch);
  LayerTensors t(p);
  run_pass(*be, pass, p, t);  // builds and caches the primitives outside the timing
  for (auto _ : state) {
    run_pass(*be, pass, p, t);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["GFLOP/s"] = benchmark::Counter(p.flops() * 1e-9 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(cpu_threads()) + " threads");
}

const char* pass_name(Pass pass) {
  switch (pass) {
    case Pass::Forward: return "fwd";
    case Pass::BackwardData: return "bwd_data";
    case Pass::BackwardWeights: return "bwd_weights";
  }
  return "?";
}

// Registered at start-up so that the shape table above is the only list.
const bool registered = [] {
  const Pass passes[] = {Pass::Forward, Pass::BackwardData, Pass::BackwardWeights};
  for (const Layer& layer : kLayers)
    for (Pass pass : passes) {
      const std::string name = std::string("onednn/") + layer.name + "/N32/" + pass_name(pass);
      benchmark::RegisterBenchmark(name.c_str(), bench_conv, &onednn_backend(), layer, 32, pass)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  for (Pass pass : passes) {
    for (Backend* be : {&reference_backend(), &onednn_backend()}) {
      const std::string name = std::string(be == &reference_backend() ? "reference/" : "onednn/") +
                               kLayers[0].name + "/N1/" + pass_name(pass);
      benchmark::RegisterBenchmark(name.c_str(), bench_conv, be, kLayers[0], 1, pass)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
