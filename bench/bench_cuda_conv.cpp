// Benchmark: every convolution version of the CUDA backend (forward, backward
// data, backward weights) against cuDNN on the layers of the source networks,
// timed with CUDA events on the backend's stream. Counters: GFLOP/s, and
// vs_cudnn = cuDNN's time / ours (above 1: ours is faster; bench_timing.h). cuDNN runs in FMA (FP32, no TF32) math
// with the algorithm its heuristics rank first, like our FP32 kernels.
//
// cuDNN is only the yardstick here; the library never links it. Built as
// plain C++ by bench/CMakeLists.txt; without CUDA it only says so.
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(ASTROCNN_HAVE_CUDA)
#include <algorithm>
#include <map>
#include <string>

#include "bench/cuda_bench_harness.h"
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
#include <cudnn.h>
#endif

namespace {

using namespace astrocnn;
using namespace astrocnn::bench;

struct Layer {
  const char* label;
  Conv2dParams p;
};

Conv2dParams make(int64_t N, int64_t C, int64_t H, int64_t K, int64_t R, int64_t stride, int64_t pad) {
  return Conv2dParams::of({N, C, H, H}, {K, C, R, R}, Conv2dGeometry::symmetric(stride, pad));
}

// Batch 64, 64x64 inputs with 1-6 channels and 6x6 / 5x5 / 7x7 / 3x3 kernels,
// plus a deeper 3x3 layer of a residual network.
const Layer kLayers[] = {
    {"fakereal_c1_6x6", make(64, 1, 64, 32, 6, 1, 0)},
    {"morph_c3_5x5", make(64, 3, 64, 32, 5, 1, 2)},
    {"merger_c6_3x3", make(64, 6, 64, 32, 3, 1, 1)},
    {"resnet_stem_c4_7x7s2", make(64, 4, 64, 64, 7, 2, 3)},
    {"resnet_c64_3x3", make(64, 64, 16, 64, 3, 1, 1)},
};

enum class Pass { Forward, BackwardData, BackwardWeights };
const char* pass_name(Pass p) {
  return p == Pass::Forward ? "fwd" : p == Pass::BackwardData ? "bwd_data" : "bwd_weights";
}

struct Tensors {
  Tensor x, w, b, y, dx, dw, db;
};

Tensors& tensors(const Layer& l) {
  static std::map<std::string, Tensors> cache;
  auto it = cache.find(l.label);
  if (it != cache.end()) return it->second;
  const Conv2dParams& p = l.p;
  Tensors t;
  t.x = random_device({p.N, p.C, p.H, p.W}, 1);
  t.w = random_device({p.K, p.C / p.groups, p.R, p.S}, 2);
  t.b = random_device({p.K}, 3);
  t.y = random_device({p.N, p.K, p.P(), p.Q()}, 4);  // doubles as dy
  t.dx = Tensor::empty(t.x.shape(), DType::F32, Device::CUDA);
  t.dw = Tensor::empty(t.w.shape(), DType::F32, Device::CUDA);
  t.db = Tensor::empty(t.b.shape(), DType::F32, Device::CUDA);
  return cache.emplace(l.label, std::move(t)).first->second;
}

// Our kernels through the backend interface, with convolution version v.
void run_ours(const Layer& l, Pass pass, int v) {
  set_conv_version(v);
  Backend& be = *cuda_backend_if_device();
  Tensors& t = tensors(l);
  switch (pass) {
    case Pass::Forward: be.conv2d_forward(l.p, t.x, t.w, &t.b, t.y); break;
    case Pass::BackwardData: be.conv2d_backward_data(l.p, t.y, t.w, t.dx); break;
    case Pass::BackwardWeights: be.conv2d_backward_weights(l.p, t.x, t.y, t.dw, &t.db); break;
  }
}

#if defined(ASTROCNN_BENCH_WITH_CUDNN)
void cudnn_check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw Error(std::string("cuDNN ") + what + " failed: " + cudnnGetErrorString(status));
}

cudnnHandle_t cudnn() {
  static cudnnHandle_t handle = [] {
    cudnnHandle_t h = nullptr;
    cudnn_check(cudnnCreate(&h), "cudnnCreate");
    cudnn_check(cudnnSetStream(h, bench_stream()), "cudnnSetStream");
    return h;
  }();
  return handle;
}

// Descriptors, chosen algorithms and workspace of one layer.
struct CudnnLayer {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  Tensor workspace;
};

CudnnLayer& cudnn_layer(const Layer& l) {
  static std::map<std::string, CudnnLayer> cache;
  auto it = cache.find(l.label);
  if (it != cache.end()) return it->second;
  const Conv2dParams& p = l.p;
  CudnnLayer c;
  auto i = [](int64_t v) { return static_cast<int>(v); };
  cudnn_check(cudnnCreateTensorDescriptor(&c.x), "cudnnCreateTensorDescriptor");
  cudnn_check(cudnnCreateTensorDescriptor(&c.y), "cudnnCreateTensorDescriptor");
  cudnn_check(cudnnCreateTensorDescriptor(&c.b), "cudnnCreateTensorDescriptor");
  cudnn_check(cudnnCreateFilterDescriptor(&c.w), "cudnnCreateFilterDescriptor");
  cudnn_check(cudnnCreateConvolutionDescriptor(&c.conv), "cudnnCreateConvolutionDescriptor");
  cudnn_check(cudnnSetTensor4dDescriptor(c.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.C), i(p.H), i(p.W)),
              "cudnnSetTensor4dDescriptor(x)");
  cudnn_check(cudnnSetTensor4dDescriptor(c.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.K), i(p.P()), i(p.Q())),
              "cudnnSetTensor4dDescriptor(y)");
  cudnn_check(cudnnSetTensor4dDescriptor(c.b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, i(p.K), 1, 1),
              "cudnnSetTensor4dDescriptor(b)");
  cudnn_check(cudnnSetFilter4dDescriptor(c.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, i(p.K), i(p.C / p.groups),
                                         i(p.R), i(p.S)),
              "cudnnSetFilter4dDescriptor");
  cudnn_check(cudnnSetConvolution2dDescriptor(c.conv, i(p.pad_top), i(p.pad_left), i(p.stride_h), i(p.stride_w), 1,
                                              1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
              "cudnnSetConvolution2dDescriptor");
  cudnn_check(cudnnSetConvolutionGroupCount(c.conv, i(p.groups)), "cudnnSetConvolutionGroupCount");
  cudnn_check(cudnnSetConvolutionMathType(c.conv, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");

  int found = 0;
  cudnnConvolutionFwdAlgoPerf_t fwd[8];
  cudnn_check(cudnnGetConvolutionForwardAlgorithm_v7(cudnn(), c.x, c.w, c.conv, c.y, 8, &found, fwd),
              "cudnnGetConvolutionForwardAlgorithm_v7");
  c.fwd = fwd[0].algo;
  cudnnConvolutionBwdDataAlgoPerf_t bwd_data[8];
  cudnn_check(cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn(), c.w, c.y, c.conv, c.x, 8, &found, bwd_data),
              "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  c.bwd_data = bwd_data[0].algo;
  cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter[8];
  cudnn_check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn(), c.x, c.y, c.conv, c.w, 8, &found, bwd_filter),
              "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  c.bwd_filter = bwd_filter[0].algo;

  size_t a = 0, b = 0, d = 0;
  cudnn_check(cudnnGetConvolutionForwardWorkspaceSize(cudnn(), c.x, c.w, c.conv, c.y, c.fwd, &a),
              "cudnnGetConvolutionForwardWorkspaceSize");
  cudnn_check(cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn(), c.w, c.y, c.conv, c.x, c.bwd_data, &b),
              "cudnnGetConvolutionBackwardDataWorkspaceSize");
  cudnn_check(cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn(), c.x, c.y, c.conv, c.w, c.bwd_filter, &d),
              "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  const size_t bytes = std::max({a, b, d, sizeof(float)});
  c.workspace = Tensor::empty({static_cast<int64_t>((bytes + 3) / 4)}, DType::F32, Device::CUDA);
  return cache.emplace(l.label, std::move(c)).first->second;
}

// The same work as run_ours: forward with bias, backward weights with the bias gradient.
void run_cudnn(const Layer& l, Pass pass) {
  CudnnLayer& c = cudnn_layer(l);
  Tensors& t = tensors(l);
  const float one = 1.0f, zero = 0.0f;
  void* ws = c.workspace.raw();
  const size_t ws_bytes = c.workspace.nbytes();
  switch (pass) {
    case Pass::Forward:
      cudnn_check(cudnnConvolutionForward(cudnn(), &one, c.x, t.x.raw(), c.w, t.w.raw(), c.conv, c.fwd, ws, ws_bytes,
                                          &zero, c.y, t.y.raw()),
                  "cudnnConvolutionForward");
      cudnn_check(cudnnAddTensor(cudnn(), &one, c.b, t.b.raw(), &one, c.y, t.y.raw()), "cudnnAddTensor");
      break;
    case Pass::BackwardData:
      cudnn_check(cudnnConvolutionBackwardData(cudnn(), &one, c.w, t.w.raw(), c.y, t.y.raw(), c.conv, c.bwd_data, ws,
                                               ws_bytes, &zero, c.x, t.dx.raw()),
                  "cudnnConvolutionBackwardData");
      break;
    case Pass::BackwardWeights:
      cudnn_check(cudnnConvolutionBackwardFilter(cudnn(), &one, c.x, t.x.raw(), c.y, t.y.raw(), c.conv, c.bwd_filter,
                                                 ws, ws_bytes, &zero, c.w, t.dw.raw()),
                  "cudnnConvolutionBackwardFilter");
      cudnn_check(cudnnConvolutionBackwardBias(cudnn(), &one, c.y, t.y.raw(), &zero, c.b, t.db.raw()),
                  "cudnnConvolutionBackwardBias");
      break;
  }
}

// cuDNN's seconds per call per (layer, pass), measured once on first use
// the same way as ours (bench_timing.h).
double cudnn_seconds(const Layer& l, Pass pass) {
  static std::map<std::string, double> cache;
  const std::string key = std::string(l.label) + "/" + pass_name(pass);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  return cache[key] = baseline_seconds_per_call([&] { run_cudnn(l, pass); });
}
#endif

void register_benchmarks() {
  for (const Layer& l : kLayers) {
    for (Pass pass : {Pass::Forward, Pass::BackwardData, Pass::BackwardWeights}) {
      const std::string base = std::string("conv/") + l.label + "/" + pass_name(pass) + "/";
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
      benchmark::RegisterBenchmark((base + "cudnn_fp32").c_str(), [&l, pass](benchmark::State& state) {
        run_timed(state, l.p.flops(), [&] { run_cudnn(l, pass); });
        state.counters["vs_cudnn"] = 1.0;
      })->UseManualTime()->Unit(benchmark::kMillisecond);
#endif
      for (int v = 1; v <= conv_version_count(); ++v) {
        benchmark::RegisterBenchmark((base + conv_version_name(v)).c_str(), [&l, pass, v](benchmark::State& state) {
          const double seconds = run_timed(state, l.p.flops(), [&] { run_ours(l, pass, v); });
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
          state.counters["vs_cudnn"] = speedup_over_baseline(cudnn_seconds(l, pass), seconds);
#else
          (void)seconds;
#endif
        })->UseManualTime()->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
  const char* baseline_missing = nullptr;
#else
  const char* baseline_missing = "built without cuDNN: no vs_cudnn ratios";
#endif
  return astrocnn::bench::run_cuda_benchmarks("bench_cuda_conv", baseline_missing, argc, argv,
                                              register_benchmarks);
}

#else  // !ASTROCNN_HAVE_CUDA

int main() {
  std::puts("bench_cuda_conv: this build has no CUDA backend; nothing to run");
  return 0;
}

#endif
