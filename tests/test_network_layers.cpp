// The layer list of the CUDA benchmarks (bench/network_layers.h): it must
// hold the networks' real convolution and dense shapes, each once, at the
// requested batches; and the recording backend that finds them must pass
// every op through unchanged.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "bench/gpu_peak.h"
#include "bench/network_layers.h"
#include "bench/recording_backend.h"
#include "core/tensor/error.h"
#include "core/init.h"
#include "core/ops.h"

using namespace astrocnn;
using namespace astrocnn::bench;

namespace {

bool used_by(const std::vector<LayerUse>& uses, const std::string& network) {
  return std::any_of(uses.begin(), uses.end(), [&](const LayerUse& u) { return u.network == network; });
}

// The entries of `convs` at batch `n` with these sizes (square input and
// kernel, symmetric stride and padding), used by `network`.
int64_t count_conv(const std::vector<NetworkConv>& convs, const std::string& network, int64_t n,
                   int64_t c, int64_t k, int64_t r, int64_t stride, int64_t pad, int64_t h) {
  return std::count_if(convs.begin(), convs.end(), [&](const NetworkConv& e) {
    const Conv2dParams& p = e.p;
    return p.N == n && p.C == c && p.K == k && p.R == r && p.S == r && p.stride_h == stride &&
           p.stride_w == stride && p.pad_top == pad && p.pad_left == pad && p.pad_bottom == pad &&
           p.pad_right == pad && p.H == h && p.W == h && p.groups == 1 && used_by(e.uses, network);
  });
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  Rng rng(seed);
  init::normal_(t, 0.0, 1.0, rng);
  return t;
}

}  // namespace

// One test case: recording the seven networks takes a second or two, once per process.
TEST_CASE("network layers: every distinct shape of the five networks at each batch") {
  const std::vector<int64_t> batches = {32, 256};
  const std::vector<NetworkConv> convs = network_convs(batches);
  const std::vector<NetworkDense> denses = network_denses(batches);

  for (int64_t b : batches) {
    // Huertas conv2: 32 -> 64, 5x5, valid, on the 29x29 map left by conv1 and the max-pool.
    CHECK(count_conv(convs, "huertas@64", b, 32, 64, 5, 1, 0, 29) == 1);
    // ResNet18 at 64x64: layer4's 512-channel 3x3 convolutions on 2x2 maps.
    CHECK(count_conv(convs, "resnet18@64", b, 512, 512, 3, 1, 1, 2) == 1);
    // ResNet50 at 224x224: the 7x7 stride-2 stem on the three colours.
    CHECK(count_conv(convs, "resnet50@224", b, 3, 64, 7, 2, 3, 224) == 1);
    // Huertas fc1: the 128 x 4 x 4 features into 2 x 2048 maxout pieces.
    CHECK(std::count_if(denses.begin(), denses.end(), [&](const NetworkDense& e) {
            return e.d.N == b && e.d.I == 2048 && e.d.O == 4096 && used_by(e.uses, "huertas@64");
          }) == 1);
  }

  SECTION("a shape two networks share is listed once, naming both") {
    // ResNet18 and ResNet50 at 64x64 both have 64 -> 64 3x3 convolutions on 16x16 maps.
    auto shared = std::find_if(convs.begin(), convs.end(), [](const NetworkConv& e) {
      return e.p.N == 32 && e.p.C == 64 && e.p.K == 64 && e.p.R == 3 && e.p.H == 16;
    });
    REQUIRE(shared != convs.end());
    CHECK(used_by(shared->uses, "resnet18@64"));
    CHECK(used_by(shared->uses, "resnet50@64"));
    CHECK(shared->label().find("resnet18@64#") == 0);
    CHECK(shared->label().find("+resnet50@64#") != std::string::npos);
  }

  SECTION("labels name the networks, the layer, the batch and the shape") {
    auto conv2 = std::find_if(convs.begin(), convs.end(), [](const NetworkConv& e) {
      return e.p.N == 256 && e.p.C == 32 && e.p.K == 64 && e.p.H == 29;
    });
    REQUIRE(conv2 != convs.end());
    CHECK(conv2->label() == "huertas@64#2/b256/conv 32->64 5x5 s1 p0 on 29x29");
    auto fc1 = std::find_if(denses.begin(), denses.end(),
                            [](const NetworkDense& e) { return e.d.N == 32 && e.d.I == 2048; });
    REQUIRE(fc1 != denses.end());
    CHECK(fc1->label().find("huertas@64#1") == 0);
    CHECK(fc1->label().find("/b32/dense 2048->4096") != std::string::npos);
  }

  SECTION("no duplicates; every entry is at a requested batch; every batch has every shape") {
    std::set<std::string> conv_labels, dense_labels;
    for (const NetworkConv& e : convs) {
      CHECK(conv_labels.insert(e.label()).second);
      CHECK((e.p.N == 32 || e.p.N == 256));
      CHECK(!e.uses.empty());
    }
    for (const NetworkDense& e : denses) {
      CHECK(dense_labels.insert(e.label()).second);
      CHECK((e.d.N == 32 || e.d.N == 256));
    }
    // Labels carry everything but the padding's sides; the shapes themselves are distinct too.
    std::set<std::string> conv_params;
    for (const NetworkConv& e : convs) conv_params.insert(e.p.str());
    CHECK(conv_params.size() == convs.size());
    const auto at_32 = std::count_if(convs.begin(), convs.end(), [](const NetworkConv& e) { return e.p.N == 32; });
    CHECK(at_32 * 2 == static_cast<int64_t>(convs.size()));
    CHECK(network_convs({7}).size() * 2 == convs.size());
  }

  SECTION("every network of the five runs convolutions and dense layers") {
    std::set<std::string> models;
    for (const RecordedNetwork& n : recorded_networks()) {
      models.insert(n.config.model);
      CHECK(!n.convs.empty());
      CHECK(!n.denses.empty());
      for (const Conv2dParams& p : n.convs) CHECK(p.N == 1);  // recorded at batch 1
    }
    CHECK(models == std::set<std::string>{"huertas", "lenet", "resnet18", "resnet50", "alexnet"});
  }
}

TEST_CASE("network layers: the recording backend notes convolutions and dense layers, and writes zeros") {
  const Tensor x = random_tensor({2, 3, 9, 9}, 1);
  const Tensor w = random_tensor({4, 3, 3, 3}, 2);
  const Tensor b = random_tensor({4}, 3);
  const Tensor xd = random_tensor({2, 5}, 4);
  const Tensor wd = random_tensor({6, 5}, 5);
  const Tensor bd = random_tensor({6}, 6);
  const Conv2dGeometry geometry = Conv2dGeometry::symmetric(2, 1);

  RecordingBackend recorder;
  Tensor conv_seen, dense_seen, relu_seen;
  {
    RecordingScope scope(recorder);
    CHECK(&backend_for(Device::CPU) == &recorder);
    conv_seen = ops::conv2d(x, w, b, geometry);
    dense_seen = ops::dense(xd, wd, bd);
    relu_seen = ops::relu(xd);  // every other op is the reference's
  }
  CHECK(&backend_for(Device::CPU) != &recorder);

  CHECK(conv_seen.shape() == Shape{2, 4, 5, 5});
  for (float v : conv_seen.to_vector<float>()) CHECK(v == 0.0f);
  CHECK(dense_seen.shape() == Shape{2, 6});
  for (float v : dense_seen.to_vector<float>()) CHECK(v == 0.0f);
  Tensor relu_expected;
  {
    ReferenceBackendGuard reference;
    relu_expected = ops::relu(xd);
  }
  CHECK(relu_seen.to_vector<float>() == relu_expected.to_vector<float>());
  REQUIRE(recorder.convs().size() == 1);
  CHECK(recorder.convs()[0].str() == Conv2dParams::of({2, 3, 9, 9}, {4, 3, 3, 3}, geometry).str());
  REQUIRE(recorder.denses().size() == 1);
  CHECK(recorder.denses()[0].N == 2);
  CHECK(recorder.denses()[0].I == 5);
  CHECK(recorder.denses()[0].O == 6);
}

TEST_CASE("network layers: ASTROCNN_BENCH_BATCHES takes positive batch sizes") {
  CHECK(parse_batches("32,256") == std::vector<int64_t>{32, 256});
  CHECK(parse_batches("8") == std::vector<int64_t>{8});
  for (const char* bad : {"", ",", "32,", ",32", "0", "-4", "32;256", "thirty", "32,32", "1e3",
                          "99999999999999999999"}) {
    INFO("ASTROCNN_BENCH_BATCHES=\"" << bad << "\"");
    CHECK_THROWS_WITH(parse_batches(bad), Catch::Contains("ASTROCNN_BENCH_BATCHES"));
  }
}

TEST_CASE("network layers: the GPU peak formula gives the published H100 and H200 figures") {
  // H100 SXM and H200: 132 SMs at 1980 MHz; H100 PCIe: 114 SMs at 1755 MHz.
  const GpuPeak h100_sxm = gpu_peak(9, 0, 132, 1980000);
  CHECK(h100_sxm.fp32 == Approx(66.9e12).epsilon(0.001));
  CHECK(h100_sxm.tf32 == Approx(535.3e12).epsilon(0.001));
  CHECK(gpu_peak(9, 0, 114, 1755000).fp32 == Approx(51.2e12).epsilon(0.001));
  // A100: 108 SMs at 1410 MHz, 19.5 TFLOP/s FP32 and 156 TF32.
  const GpuPeak a100 = gpu_peak(8, 0, 108, 1410000);
  CHECK(a100.fp32 == Approx(19.5e12).epsilon(0.001));
  CHECK(a100.tf32 == Approx(156e12).epsilon(0.001));
  CHECK(gpu_peak(12, 0, 100, 2000000).tf32 == 0);  // unknown: no TF32 share printed
  CHECK(h100_sxm.bf16 == Approx(2 * h100_sxm.tf32));  // BF16 tensor cores: twice TF32
  CHECK(a100.bf16 == Approx(2 * a100.tf32));
}
