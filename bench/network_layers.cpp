#include "bench/network_layers.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/autograd.h"
#include "core/tensor/error.h"
#include "models/models.h"

namespace astrocnn::bench {

std::string NetworkConfig::name() const { return model + "@" + std::to_string(image_size); }

const std::vector<NetworkConfig>& network_configs() {
  // Input channels and outputs of each network's task in docs/REPRODUCING.md:
  static const std::vector<NetworkConfig> configs = {
      {"huertas", 64, 1, 5},   // CANDELS morphology: one band (F160W), 5 classes
      {"lenet", 64, 6, 2},     // obiwan fake/real: g, r, z and their inverse variances
      {"resnet18", 64, 1, 3},  // student study, merger data: one band, 3 parameters
      {"resnet50", 64, 1, 3},  // DeepGalaxy, merger data
      {"alexnet", 64, 1, 3},   // student study, merger data
      {"resnet50", 224, 3, 3},  // the ImageNet size (and colours) the network was made for
      {"alexnet", 224, 3, 3},
  };
  return configs;
}

RecordedNetwork record_network(const NetworkConfig& config) {
  models::ModelOptions options;
  options.in_channels = config.in_channels;
  options.outputs = config.outputs;
  options.image_size = config.image_size;
  std::shared_ptr<Module> net = models::make_model(config.model, options);
  net->eval();

  RecordingBackend recorder;
  {
    RecordingScope scope(recorder);
    NoGradGuard no_grad;
    const Tensor x = Tensor::zeros({1, config.in_channels, config.image_size, config.image_size});
    net->forward(x);
  }
  return RecordedNetwork{config, recorder.convs(), recorder.denses()};
}

const std::vector<RecordedNetwork>& recorded_networks() {
  static const std::vector<RecordedNetwork> networks = [] {
    std::vector<RecordedNetwork> all;
    for (const NetworkConfig& config : network_configs()) all.push_back(record_network(config));
    return all;
  }();
  return networks;
}

namespace {

// Everything that tells two convolutions apart, the batch included.
using ConvKey = std::array<int64_t, 14>;
ConvKey key_of(const Conv2dParams& p) {
  return {p.N,        p.C,       p.H,      p.W,        p.K,          p.R,         p.S,
          p.stride_h, p.stride_w, p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, p.groups};
}

using DenseKey = std::array<int64_t, 3>;
DenseKey key_of(const DenseShape& d) { return {d.N, d.I, d.O}; }

Conv2dParams at_batch(Conv2dParams p, int64_t batch) {
  p.N = batch;
  return p;
}
DenseShape at_batch(DenseShape d, int64_t batch) {
  d.N = batch;
  return d;
}

// One distinct shape and every layer that uses it.
template <class Shape>
struct Distinct {
  Shape shape;
  std::vector<LayerUse> uses;
};

// The distinct shapes of the layers `layers` (RecordedNetwork::convs or
// ::denses) of every network, each at `batch`, in order of first appearance.
template <class Shape>
std::vector<Distinct<Shape>> distinct_at_batch(int64_t batch,
                                               std::vector<Shape> RecordedNetwork::*layers) {
  std::vector<Distinct<Shape>> distinct;
  std::map<decltype(key_of(Shape{})), size_t> position;  // shape -> index in `distinct`
  for (const RecordedNetwork& network : recorded_networks()) {
    const std::vector<Shape>& recorded = network.*layers;
    for (size_t i = 0; i < recorded.size(); ++i) {
      const Shape shape = at_batch(recorded[i], batch);
      auto [it, is_new] = position.emplace(key_of(shape), distinct.size());
      if (is_new) distinct.push_back({shape, {}});
      distinct[it->second].uses.push_back({network.config.name(), static_cast<int>(i + 1)});
    }
  }
  return distinct;
}

// "resnet18@64#16+resnet50@64#50": each network once, with its first layer of the shape.
std::string users(const std::vector<LayerUse>& uses) {
  std::vector<std::string> seen;
  std::string out;
  for (const LayerUse& u : uses) {
    if (std::find(seen.begin(), seen.end(), u.network) != seen.end()) continue;
    seen.push_back(u.network);
    out += (out.empty() ? "" : "+") + u.network + "#" + std::to_string(u.index);
  }
  return out;
}

std::string pair_or_one(int64_t a, int64_t b) {
  return a == b ? std::to_string(a) : std::to_string(a) + "x" + std::to_string(b);
}

}  // namespace

std::string NetworkConv::shape() const {
  std::ostringstream s;
  s << "conv " << p.C << "->" << p.K << " " << p.R << "x" << p.S << " s"
    << pair_or_one(p.stride_h, p.stride_w);
  if (p.pad_top == p.pad_left && p.pad_top == p.pad_bottom && p.pad_top == p.pad_right)
    s << " p" << p.pad_top;
  else
    s << " p" << p.pad_top << "," << p.pad_left << "," << p.pad_bottom << "," << p.pad_right;
  if (p.groups != 1) s << " g" << p.groups;
  s << " on " << p.H << "x" << p.W;
  return s.str();
}

std::string NetworkConv::label() const {
  return users(uses) + "/b" + std::to_string(p.N) + "/" + shape();
}

std::string NetworkDense::shape() const {
  return "dense " + std::to_string(d.I) + "->" + std::to_string(d.O);
}

std::string NetworkDense::label() const {
  return users(uses) + "/b" + std::to_string(d.N) + "/" + shape();
}

std::vector<NetworkConv> network_convs(const std::vector<int64_t>& batches) {
  std::vector<NetworkConv> all;
  for (int64_t batch : batches)
    for (auto& [shape, uses] : distinct_at_batch(batch, &RecordedNetwork::convs))
      all.push_back(NetworkConv{shape, uses});
  return all;
}

std::vector<NetworkDense> network_denses(const std::vector<int64_t>& batches) {
  std::vector<NetworkDense> all;
  for (int64_t batch : batches)
    for (auto& [shape, uses] : distinct_at_batch(batch, &RecordedNetwork::denses))
      all.push_back(NetworkDense{shape, uses});
  return all;
}

int64_t distinct_conv_shapes(const RecordedNetwork& network) {
  std::map<ConvKey, int> seen;
  for (const Conv2dParams& p : network.convs) seen[key_of(p)]++;
  return static_cast<int64_t>(seen.size());
}

int64_t distinct_dense_shapes(const RecordedNetwork& network) {
  std::map<DenseKey, int> seen;
  for (const DenseShape& d : network.denses) seen[key_of(d)]++;
  return static_cast<int64_t>(seen.size());
}

std::vector<int64_t> parse_batches(const std::string& text) {
  const std::string expected = detail::concat(
      kBatchesVariable, ": expected a comma-separated list of positive batch sizes such as "
                        "\"32,256\", got \"", text, "\"");
  std::vector<int64_t> batches;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    ASTRO_CHECK(!item.empty() && item.find_first_not_of("0123456789") == std::string::npos &&
                    item.size() <= 9,
                expected);
    const int64_t batch = std::stoll(item);
    ASTRO_CHECK(batch > 0, expected);
    ASTRO_CHECK(std::find(batches.begin(), batches.end(), batch) == batches.end(), kBatchesVariable,
                ": batch ", batch, " is listed twice in \"", text, "\"");
    batches.push_back(batch);
  }
  ASTRO_CHECK(!batches.empty() && text.back() != ',', expected);
  return batches;
}

std::vector<int64_t> bench_batches() {
  const char* text = std::getenv(kBatchesVariable);
  return parse_batches(text ? text : "32,256");
}

}  // namespace astrocnn::bench
