// The convolution and dense shapes of the networks astrocnn ships, as the
// kernels see them: the CUDA benchmarks (bench_cuda_conv, bench_cuda_sgemm)
// time exactly these, so a kernel is judged on the layers it will run.
//
// How the list is made: each network is built at its documented input size
// and run forward once at batch 1 on the CPU with a RecordingBackend in front
// of the CPU backend, which writes down every conv2d_forward's Conv2dParams
// and every dense_forward's (N, I, O). The batch is then replaced by each
// requested batch, and shapes that several layers or networks share are kept
// once, listing who uses them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bench/recording_backend.h"
#include "kernels/params.h"

namespace astrocnn::bench {

// One network as the benchmarks walk it: a model of models/models.h at one
// input size, with the input channels and outputs of its documented task.
struct NetworkConfig {
  std::string model;    // a name make_model() knows
  int64_t image_size;   // input height = width
  int64_t in_channels;  // bands of the input
  int64_t outputs;
  std::string name() const;  // "resnet18@64"
};

// huertas, lenet, resnet18, resnet50 and alexnet at 64x64 (the cutouts of
// docs/REPRODUCING.md), and resnet50 and alexnet at 224x224 (the ImageNet
// size they were designed for).
const std::vector<NetworkConfig>& network_configs();

// What one forward pass of a network at batch 1 ran, in call order.
struct RecordedNetwork {
  NetworkConfig config;
  std::vector<Conv2dParams> convs;
  std::vector<DenseShape> denses;
};

// Every network of network_configs(), recorded once per process (building
// and running them takes a second or two on the CPU) and kept.
const std::vector<RecordedNetwork>& recorded_networks();

// Records one forward pass of `config` at batch 1 (no gradients, eval mode).
RecordedNetwork record_network(const NetworkConfig& config);

// Where a shape occurs: the network, and the layer's 1-based position among
// that network's convolutions (or dense layers) in forward order.
struct LayerUse {
  std::string network;  // "resnet18@64"
  int index = 0;
};

struct NetworkConv {
  Conv2dParams p;  // N is the batch
  std::vector<LayerUse> uses;
  std::string shape() const;  // "conv 512->512 3x3 s1 p1 on 2x2"
  // "resnet18@64#16+resnet50@64#50/b256/conv 512->512 3x3 s1 p1 on 2x2": every
  // network that uses the shape with its first such layer, the batch, the
  // shape. The benchmarks name their runs with it, so --benchmark_filter
  // can pick networks, batches or shapes.
  std::string label() const;
};

struct NetworkDense {
  DenseShape d;  // N is the batch
  std::vector<LayerUse> uses;
  std::string shape() const;  // "dense 2048->4096"
  std::string label() const;  // "huertas@64#1/b256/dense 2048->4096"
};

// Every distinct convolution (dense) shape of the networks at each batch,
// batch by batch, shapes in order of first appearance.
std::vector<NetworkConv> network_convs(const std::vector<int64_t>& batches);
std::vector<NetworkDense> network_denses(const std::vector<int64_t>& batches);

// The distinct convolution and dense shapes of one recorded network (any
// batch), for reports.
int64_t distinct_conv_shapes(const RecordedNetwork& network);
int64_t distinct_dense_shapes(const RecordedNetwork& network);

// The batches to benchmark: ASTROCNN_BENCH_BATCHES (a comma-separated list of
// positive integers, "32,256" when unset). Throws Error naming the variable
// on anything else.
constexpr const char* kBatchesVariable = "ASTROCNN_BENCH_BATCHES";
std::vector<int64_t> bench_batches();
std::vector<int64_t> parse_batches(const std::string& text);

}  // namespace astrocnn::bench
