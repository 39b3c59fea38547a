// Benchmark: every convolution version of the CUDA backend (forward, backward
// data, backward weights) against cuDNN on every distinct convolution of the
// five networks at the batches of ASTROCNN_BENCH_BATCHES (default 32,256;
// bench/network_layers.h), timed with CUDA events on the backend's stream.
//
// Run names: conv/<networks#layer>/b<batch>/<shape>/<pass>/<version>, e.g.
//   conv/huertas@64#2/b256/conv 32->64 5x5 s1 p0 on 29x29/bwd_data/v2_implicit_gemm
// so --benchmark_filter picks networks, batches, shapes, passes or versions.
// Counters: TFLOP/s; peak_share = TFLOP/s over the GPU's peak for the run's
// math (bench/gpu_peak.h); vs_cudnn = cuDNN's time / ours (above 1: ours is
// faster; bench_timing.h). cuDNN runs with the algorithm its heuristics rank
// first, in FMA math (FP32, no TF32) for our FP32 versions, and in tensor-op
// math (TF32) for versions named *tf32*. After the runs, one table of all.
//
// cuDNN is only the yardstick here; the library never links it. Built as
// plain C++ by bench/CMakeLists.txt; without CUDA it only says so.
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(ASTROCNN_HAVE_CUDA)
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/cuda_bench_harness.h"
#include "bench/network_layers.h"
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
#include <cudnn.h>
#endif

namespace {

using namespace astrocnn;
using namespace astrocnn::bench;

enum class Pass { Forward, BackwardData, BackwardWeights };
const char* pass_name(Pass p) {
  return p == Pass::Forward ? "fwd" : p == Pass::BackwardData ? "bwd_data" : "bwd_weights";
}
constexpr Pass kPasses[] = {Pass::Forward, Pass::BackwardData, Pass::BackwardWeights};

// Each version says what its multiplies read the operands as (cuda_api.h).
bool conv_version_uses_tf32(int v) { return conv_version_precision(v) == Precision::TF32; }

bool any_tf32_conv_version() {
  for (int v = 1; v <= conv_version_count(); ++v)
    if (conv_version_uses_tf32(v)) return true;
  return false;
}

struct Tensors {
  Tensor x, w, b, y, dx, dw, db;
};

Tensors& tensors(const NetworkConv& l) {
  static CurrentLayer<Tensors> current;
  return current.get(&l, [&] {
    const Conv2dParams& p = l.p;
    Tensors t;
    t.x = random_device({p.N, p.C, p.H, p.W}, 1);
    t.w = random_device({p.K, p.C / p.groups, p.R, p.S}, 2);
    t.b = random_device({p.K}, 3);
    t.y = random_device({p.N, p.K, p.P(), p.Q()}, 4);  // doubles as dy
    t.dx = Tensor::empty(t.x.shape(), DType::F32, Device::CUDA);
    t.dw = Tensor::empty(t.w.shape(), DType::F32, Device::CUDA);
    t.db = Tensor::empty(t.b.shape(), DType::F32, Device::CUDA);
    return t;
  });
}

// Our kernels through the backend interface, with convolution version v.
void run_ours(const NetworkConv& l, Pass pass, int v) {
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

// Descriptors, chosen algorithm per pass and workspace of one layer in one
// math mode: FP32 (FMA only, like our FP32 kernels) or TF32 (tensor cores).
class CudnnLayer {
 public:
  CudnnLayer(const Conv2dParams& p, Math math) {
    auto i = [](int64_t v) { return static_cast<int>(v); };
    cudnn_check(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    cudnn_check(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    cudnn_check(cudnnCreateTensorDescriptor(&b), "cudnnCreateTensorDescriptor");
    cudnn_check(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    cudnn_check(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    cudnn_check(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.C), i(p.H), i(p.W)),
                "cudnnSetTensor4dDescriptor(x)");
    cudnn_check(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(p.N), i(p.K), i(p.P()), i(p.Q())),
                "cudnnSetTensor4dDescriptor(y)");
    cudnn_check(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, i(p.K), 1, 1),
                "cudnnSetTensor4dDescriptor(b)");
    cudnn_check(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, i(p.K), i(p.C / p.groups),
                                           i(p.R), i(p.S)),
                "cudnnSetFilter4dDescriptor");
    // cuDNN pads symmetrically; every layer of the networks does too.
    ASTRO_CHECK(p.pad_top == p.pad_bottom && p.pad_left == p.pad_right,
                "cuDNN baseline: asymmetric padding is not supported: ", p.str());
    cudnn_check(cudnnSetConvolution2dDescriptor(conv, i(p.pad_top), i(p.pad_left), i(p.stride_h), i(p.stride_w), 1,
                                                1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                "cudnnSetConvolution2dDescriptor");
    cudnn_check(cudnnSetConvolutionGroupCount(conv, i(p.groups)), "cudnnSetConvolutionGroupCount");
    cudnn_check(cudnnSetConvolutionMathType(conv, math == Math::TF32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH),
                "cudnnSetConvolutionMathType");

    // The algorithm cuDNN's heuristics rank first, per pass.
    int found = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd_perf[8];
    cudnn_check(cudnnGetConvolutionForwardAlgorithm_v7(cudnn(), x, w, conv, y, 8, &found, fwd_perf),
                "cudnnGetConvolutionForwardAlgorithm_v7");
    fwd = fwd_perf[0].algo;
    cudnnConvolutionBwdDataAlgoPerf_t bwd_data_perf[8];
    cudnn_check(cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn(), w, y, conv, x, 8, &found, bwd_data_perf),
                "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    bwd_data = bwd_data_perf[0].algo;
    cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter_perf[8];
    cudnn_check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn(), x, y, conv, w, 8, &found, bwd_filter_perf),
                "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    bwd_filter = bwd_filter_perf[0].algo;

    size_t a = 0, c = 0, d = 0;
    cudnn_check(cudnnGetConvolutionForwardWorkspaceSize(cudnn(), x, w, conv, y, fwd, &a),
                "cudnnGetConvolutionForwardWorkspaceSize");
    cudnn_check(cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn(), w, y, conv, x, bwd_data, &c),
                "cudnnGetConvolutionBackwardDataWorkspaceSize");
    cudnn_check(cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn(), x, y, conv, w, bwd_filter, &d),
                "cudnnGetConvolutionBackwardFilterWorkspaceSize");
    const size_t bytes = std::max({a, c, d, sizeof(float)});
    workspace = Tensor::empty({static_cast<int64_t>((bytes + 3) / 4)}, DType::F32, Device::CUDA);
  }

  ~CudnnLayer() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(b);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  CudnnLayer(const CudnnLayer&) = delete;
  CudnnLayer& operator=(const CudnnLayer&) = delete;

  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  Tensor workspace;
};

// The current layer's cuDNN set-up, per math mode, made on first use.
struct CudnnLayers {
  std::unique_ptr<CudnnLayer> fp32, tf32;
};

CudnnLayer& cudnn_layer(const NetworkConv& l, Math math) {
  static CurrentLayer<CudnnLayers> current;
  CudnnLayers& layers = current.get(&l, [] { return CudnnLayers{}; });
  std::unique_ptr<CudnnLayer>& c = math == Math::TF32 ? layers.tf32 : layers.fp32;
  if (!c) c = std::make_unique<CudnnLayer>(l.p, math);
  return *c;
}

// The same work as run_ours: forward with bias, backward weights with the bias gradient.
void run_cudnn(const NetworkConv& l, Pass pass, Math math) {
  CudnnLayer& c = cudnn_layer(l, math);
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

const char* cudnn_version_name(Math math) { return math == Math::TF32 ? "cudnn_tf32" : "cudnn_fp32"; }

// cuDNN's seconds per call per (layer, pass, math). The cuDNN run of that
// triple registers first and stores its own measurement here, so the ratios
// divide the times the table shows; when a filter left it out, the time is
// measured on first use the same way (bench_timing.h).
std::map<std::string, double>& cudnn_times() {
  static std::map<std::string, double> times;
  return times;
}
std::string cudnn_time_key(const NetworkConv& l, Pass pass, Math math) {
  return l.label() + "/" + pass_name(pass) + "/" + cudnn_version_name(math);
}
double cudnn_seconds(const NetworkConv& l, Pass pass, Math math) {
  const std::string key = cudnn_time_key(l, pass, math);
  auto it = cudnn_times().find(key);
  if (it != cudnn_times().end()) return it->second;
  return cudnn_times()[key] = baseline_seconds_per_call([&] { run_cudnn(l, pass, math); });
}
#endif

void register_layer(const NetworkConv& l, [[maybe_unused]] bool with_tf32) {
  for (Pass pass : kPasses) {
    const std::string base = "conv/" + l.label() + "/" + pass_name(pass) + "/";
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
    for (Math math : {Math::FP32, Math::TF32}) {
      if (math == Math::TF32 && !with_tf32) continue;
      register_run(base + cudnn_version_name(math), [&l, pass, math](benchmark::State& state) {
        guarded(state, [&] {
          const double seconds = run_timed(state, [&] { run_cudnn(l, pass, math); });
          cudnn_times()[cudnn_time_key(l, pass, math)] = seconds;
          report(state, {l.label(), pass_name(pass), cudnn_version_name(math), math, seconds, l.p.flops(), 1.0},
                 "vs_cudnn");
        });
      });
    }
#endif
    for (int v = 1; v <= conv_version_count(); ++v) {
      register_run(base + conv_version_name(v), [&l, pass, v](benchmark::State& state) {
        guarded(state, [&] {
          const Math math = conv_version_uses_tf32(v) ? Math::TF32 : Math::FP32;
          const double seconds = run_timed(state, [&] { run_ours(l, pass, v); });
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
          const double ratio = speedup_over_baseline(cudnn_seconds(l, pass, math), seconds);
#else
          const double ratio = NAN;
#endif
          report(state, {l.label(), pass_name(pass), conv_version_name(v), math, seconds, l.p.flops(), ratio},
                 "vs_cudnn");
        });
      });
    }
  }
}

// Every distinct convolution of the networks at every batch of
// ASTROCNN_BENCH_BATCHES (bench/network_layers.h), three passes each.
void register_benchmarks() {
  static const std::vector<NetworkConv> layers = network_convs(bench_batches());
  const bool with_tf32 = any_tf32_conv_version();
  std::printf("%zu convolution shapes x 3 passes x (%d versions + cuDNN%s)\n", layers.size(),
              conv_version_count(), with_tf32 ? " FP32 and TF32" : " FP32");
  for (const NetworkConv& l : layers) register_layer(l, with_tf32);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ASTROCNN_BENCH_WITH_CUDNN)
  const char* baseline_missing = nullptr;
#else
  const char* baseline_missing = "built without cuDNN: no vs_cudnn ratios";
#endif
  return astrocnn::bench::run_cuda_benchmarks("bench_cuda_conv", baseline_missing, "vs_cudnn", argc,
                                              argv, register_benchmarks);
}

#else  // !ASTROCNN_HAVE_CUDA

int main() {
  std::puts("bench_cuda_conv: this build has no CUDA backend; nothing to run");
  return 0;
}

#endif
