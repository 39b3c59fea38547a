// The published networks (models/): parameter counts against the papers and
// torchvision, state_dict names against torchvision's, initialisation,
// output shapes, a short training check, and bad options.
//
// Building a big network draws its millions of random weights, which costs
// far more than anything else here, so each test case builds its network
// once and checks everything about it (ctest runs every case in a process of
// its own), and forward passes use the smallest sizes that make sense.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/init.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/tensor/philox.h"
#include "layers/activation.h"
#include "models/models.h"
#include "named_tensors.h"

using namespace astrocnn;
using namespace astrocnn::models;
using namespace astrocnn::testing;

namespace {

// The shape of state_dict entry `name`, or {-1} when there is none.
Shape shape_of(const std::map<std::string, Tensor>& state, const std::string& name) {
  auto it = state.find(name);
  return it == state.end() ? Shape{-1} : it->second.shape();
}

Tensor random_images(int64_t n, int64_t channels, int64_t size) {
  Tensor x = Tensor::empty({n, channels, size, size});
  init::normal_(x, 0.0, 1.0);
  return x;
}

ModelOptions options(int64_t in_channels, int64_t outputs, int64_t image_size) {
  ModelOptions o;
  o.in_channels = in_channels;
  o.outputs = outputs;
  o.image_size = image_size;
  return o;
}

struct Stats {
  double mean = 0, std = 0;
};

Stats stats_of(const Tensor& t) {
  std::vector<double> v = t.to(DType::F64).to_vector<double>();
  Stats s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / static_cast<double>(v.size()));
  return s;
}

bool all_equal(const Tensor& t, double value) {
  for (double x : t.to(DType::F64).to_vector<double>())
    if (x != static_cast<double>(static_cast<float>(value))) return false;
  return true;
}

bool all_finite(const Tensor& t) {
  for (float v : t.to_vector<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

// How many modules of `type` `m` holds, itself included, at any depth.
int64_t count_modules(const Module& m, const std::string& type) {
  int64_t n = m.type_name() == type ? 1 : 0;
  for (const auto& [name, child] : m.children()) n += count_modules(*child, type);
  return n;
}

// The names of the direct children of `m`, in order.
std::vector<std::string> child_names(const Module& m) {
  std::vector<std::string> names;
  for (const auto& [name, child] : m.children()) names.push_back(name);
  return names;
}

}  // namespace

// ---------------------------------------------------------------------------
// ResNets and AlexNet against torchvision (3 channels, 1000 classes)
// ---------------------------------------------------------------------------

TEST_CASE("resnet18 matches torchvision's count, names and initialisation", "[models]") {
  manual_seed(1);
  auto net = resnet18(options(3, 1000, 224));
  CHECK(net->parameter_count() == 11689512);  // torchvision.models.resnet18()

  NamedTensors state = net->state_dict();
  // torchvision: 20 convolutions, 20 batch norms x 5 entries, fc weight and bias.
  CHECK(state.size() == 122);
  CHECK(net->named_parameters().size() == 62);
  std::vector<std::string> names = names_of(state);
  std::vector<std::string> first(names.begin(), names.begin() + 7);
  CHECK(first == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias",
                                          "bn1.running_mean", "bn1.running_var",
                                          "bn1.num_batches_tracked", "layer1.0.conv1.weight"});
  CHECK(names[names.size() - 2] == "fc.weight");
  CHECK(names.back() == "fc.bias");

  auto s = by_name(state);
  CHECK(shape_of(s, "conv1.weight") == Shape{64, 3, 7, 7});
  CHECK(shape_of(s, "layer1.0.conv1.weight") == Shape{64, 64, 3, 3});
  CHECK(shape_of(s, "layer1.1.bn2.running_var") == Shape{64});
  CHECK(shape_of(s, "layer2.0.conv1.weight") == Shape{128, 64, 3, 3});
  CHECK(shape_of(s, "layer2.0.downsample.0.weight") == Shape{128, 64, 1, 1});
  CHECK(shape_of(s, "layer3.0.downsample.1.running_var") == Shape{256});
  CHECK(shape_of(s, "layer4.1.bn2.num_batches_tracked") == Shape{});
  CHECK(shape_of(s, "layer4.1.conv2.weight") == Shape{512, 512, 3, 3});
  CHECK(shape_of(s, "fc.weight") == Shape{1000, 512});
  CHECK(shape_of(s, "fc.bias") == Shape{1000});
  // Identity shortcuts have no downsample: layer1 keeps 64 channels and stride 1.
  CHECK(s.count("layer1.0.downsample.0.weight") == 0);
  CHECK(s.count("layer2.1.downsample.0.weight") == 0);

  // torchvision's initialisation: kaiming_normal_(fan_out, ReLU), so
  // std = sqrt(2 / (out_channels * R * S)); batch norm 1 and 0; fc keeps
  // Linear's default, uniform in +-1/sqrt(512), whose std is bound / sqrt(3).
  CHECK(stats_of(s.at("conv1.weight")).std == Approx(std::sqrt(2.0 / (64 * 49))).epsilon(0.03));
  CHECK(stats_of(s.at("layer1.0.conv1.weight")).std == Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
  CHECK(stats_of(s.at("layer4.1.conv2.weight")).std ==
        Approx(std::sqrt(2.0 / (512 * 9))).epsilon(0.03));
  CHECK(stats_of(s.at("layer2.0.downsample.0.weight")).std ==
        Approx(std::sqrt(2.0 / 128)).epsilon(0.03));
  CHECK(all_equal(s.at("layer3.1.bn2.weight"), 1.0));
  CHECK(all_equal(s.at("layer3.1.bn2.bias"), 0.0));
  CHECK(stats_of(s.at("fc.weight")).std ==
        Approx(1 / std::sqrt(512.0) / std::sqrt(3.0)).epsilon(0.05));

  // The standard stem also takes small images: 32 -> 16 -> 8 -> 8 -> 4 -> 2 -> 1.
  Tensor y = net->forward(random_images(2, 3, 32));
  CHECK(y.shape() == Shape{2, 1000});
  CHECK(all_finite(y));
}

TEST_CASE("resnet18 with the small-input stem keeps 64x64 cutouts large", "[models]") {
  manual_seed(2);
  ModelOptions o = options(3, 10, 32);
  o.small_input_stem = true;
  auto net = resnet18(o);
  auto s = by_name(net->state_dict());
  CHECK(shape_of(s, "conv1.weight") == Shape{64, 3, 3, 3});  // 3x3 instead of 7x7
  CHECK(shape_of(s, "fc.weight") == Shape{10, 512});
  CHECK(net->parameter_count() == 11689512 - 64 * 3 * (49 - 9) - 512 * 990 - 990);
  Tensor y = net->forward(random_images(2, 3, 32));
  CHECK(y.shape() == Shape{2, 10});
  CHECK(all_finite(y));
}

TEST_CASE("zero_init_residual starts every residual block as its shortcut", "[models]") {
  manual_seed(5);
  ModelOptions o = options(3, 4, 16);
  o.small_input_stem = true;
  auto net = resnet18(o);
  CHECK(zero_init_residual(*net) == 8);  // bn2 of 2 BasicBlocks in each of 4 stages
  for (const auto& [name, t] : net->named_parameters()) {
    CAPTURE(name);
    const std::vector<float> v = t.to_vector<float>();
    const bool branch_end = name.find(".bn2.weight") != std::string::npos;
    const bool other_scale = !branch_end && name.find("bn") != std::string::npos && name.find(".weight") != std::string::npos;
    if (branch_end) CHECK(std::all_of(v.begin(), v.end(), [](float w) { return w == 0.0f; }));
    if (other_scale) CHECK(std::all_of(v.begin(), v.end(), [](float w) { return w == 1.0f; }));
  }
  CHECK(by_name(net->state_dict()).at("layer2.0.downsample.1.weight").to_vector<float>().front() == 1.0f);

  // In evaluation, layer1 (identity shortcuts) then passes the stem's
  // non-negative output through unchanged: relu(0 + x) = x.
  net->eval();
  NoGradGuard no_grad;
  std::map<std::string, Module*> part;
  for (const auto& [name, child] : net->children()) part[name] = child.get();
  Tensor stem = part.at("relu")->forward(part.at("bn1")->forward(part.at("conv1")->forward(random_images(2, 3, 16))));
  Tensor through = part.at("layer1")->forward(stem);
  CHECK(through.to_vector<float>() == stem.to_vector<float>());

  auto bottlenecks = resnet50(options(3, 2, 32));
  CHECK(zero_init_residual(*bottlenecks) == 16);  // bn3 of 3 + 4 + 6 + 3 Bottlenecks
  CHECK(by_name(bottlenecks->state_dict()).at("layer3.5.bn3.weight").to_vector<float>() ==
        std::vector<float>(1024, 0.0f));
  CHECK(by_name(bottlenecks->state_dict()).at("layer3.5.bn2.weight").to_vector<float>() ==
        std::vector<float>(256, 1.0f));

  auto plain = huertas(options(1, 5, 64));
  CHECK_THROWS_WITH(zero_init_residual(*plain), Catch::Contains("no residual blocks"));
}

TEST_CASE("resnet50 matches torchvision's count and names", "[models]") {
  manual_seed(3);
  auto net = resnet50(options(3, 1000, 224));
  CHECK(net->parameter_count() == 25557032);  // torchvision.models.resnet50()
  NamedTensors state = net->state_dict();
  // torchvision: 53 convolutions, 53 batch norms x 5 entries, fc weight and bias.
  CHECK(state.size() == 320);
  CHECK(net->named_parameters().size() == 161);
  auto s = by_name(state);
  CHECK(shape_of(s, "layer1.0.conv1.weight") == Shape{64, 64, 1, 1});
  CHECK(shape_of(s, "layer1.0.conv2.weight") == Shape{64, 64, 3, 3});
  CHECK(shape_of(s, "layer1.0.conv3.weight") == Shape{256, 64, 1, 1});
  CHECK(shape_of(s, "layer1.0.downsample.0.weight") == Shape{256, 64, 1, 1});
  CHECK(shape_of(s, "layer1.1.conv1.weight") == Shape{64, 256, 1, 1});
  CHECK(shape_of(s, "layer2.0.conv2.weight") == Shape{128, 128, 3, 3});
  CHECK(shape_of(s, "layer3.5.bn3.running_mean") == Shape{1024});
  CHECK(shape_of(s, "layer4.2.bn3.num_batches_tracked") == Shape{});
  CHECK(shape_of(s, "layer4.0.downsample.1.weight") == Shape{2048});
  CHECK(shape_of(s, "fc.weight") == Shape{1000, 2048});
  CHECK(s.count("layer3.6.conv1.weight") == 0);  // layer3 has blocks 0..5

  Tensor y = net->forward(random_images(2, 3, 32));
  CHECK(y.shape() == Shape{2, 1000});
  CHECK(all_finite(y));
}

TEST_CASE("alexnet matches torchvision's count and names at 224 pixels", "[models]") {
  manual_seed(4);
  auto net = alexnet(options(3, 1000, 224));
  CHECK(net->parameter_count() == 61100840);  // torchvision.models.alexnet()
  std::vector<std::string> expected;
  for (const char* layer : {"features.0", "features.3", "features.6", "features.8", "features.10",
                            "classifier.1", "classifier.4", "classifier.6"})
    for (const char* p : {".weight", ".bias"}) expected.push_back(std::string(layer) + p);
  CHECK(names_of(net->state_dict()) == expected);
  auto s = by_name(net->state_dict());
  CHECK(shape_of(s, "features.0.weight") == Shape{64, 3, 11, 11});
  CHECK(shape_of(s, "features.3.weight") == Shape{192, 64, 5, 5});
  CHECK(shape_of(s, "features.10.weight") == Shape{256, 256, 3, 3});
  CHECK(shape_of(s, "classifier.1.weight") == Shape{4096, 9216});  // 256*6*6, as torchvision
  CHECK(shape_of(s, "classifier.6.weight") == Shape{1000, 4096});
}

TEST_CASE("alexnet at its smallest input flattens a 1x1 feature map", "[models]") {
  manual_seed(5);
  auto net = alexnet(options(3, 4, 63));
  CHECK(by_name(net->state_dict()).at("classifier.1.weight").shape() == Shape{4096, 256});
  net->eval();
  Tensor y = net->forward(random_images(1, 3, 63));
  CHECK(y.shape() == Shape{1, 4});
  CHECK(all_finite(y));
}

// ---------------------------------------------------------------------------
// huertas, lenet, small
// ---------------------------------------------------------------------------

TEST_CASE("huertas follows the paper's layer and initialisation table", "[models]") {
  manual_seed(6);
  auto net = huertas(options(1, 5, 64));
  // 1x64x64 input, 5 outputs (weights + biases):
  //   conv1 32*1*6*6 + 32       =     1,184
  //   conv2 64*32*5*5 + 64      =    51,264
  //   conv3 128*64*3*3 + 128    =    73,856
  //   conv4 128*128*3*3 + 128   =   147,584
  //   fc1   4096*2048 + 4096    = 8,392,704   (2048 = 128*4*4 flattened)
  //   fc2   4096*2048 + 4096    = 8,392,704
  //   fc3   5*2048 + 5          =    10,245
  //   total                      17,069,541
  CHECK(net->parameter_count() == 17069541);
  CHECK(names_of(net->state_dict()) ==
        std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                 "conv3.weight", "conv3.bias", "conv4.weight", "conv4.bias",
                                 "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                 "fc3.weight", "fc3.bias"});
  auto s = by_name(net->state_dict());
  CHECK(shape_of(s, "conv1.weight") == Shape{32, 1, 6, 6});
  CHECK(shape_of(s, "conv4.weight") == Shape{128, 128, 3, 3});
  CHECK(shape_of(s, "fc1.weight") == Shape{4096, 2048});  // 2 maxout pieces per unit
  CHECK(shape_of(s, "fc2.weight") == Shape{4096, 2048});
  CHECK(shape_of(s, "fc3.weight") == Shape{5, 2048});

  struct Row {
    const char* layer;
    double weight_std, bias;
  };
  for (const Row& row : {Row{"conv1", 0.01, 0.1}, Row{"conv2", 0.01, 0.1}, Row{"conv3", 0.01, 0.1},
                         Row{"conv4", 0.1, 0.1}, Row{"fc1", 0.001, 0.01}, Row{"fc2", 0.001, 0.01},
                         Row{"fc3", 0.01, 0.1}}) {
    INFO(row.layer);
    Tensor w = s.at(std::string(row.layer) + ".weight");
    Stats st = stats_of(w);
    // A sample standard deviation of n normals is off by about 1/sqrt(2n)
    // relative; allow 4 of those, and at least 2 %.
    double n = static_cast<double>(w.numel());
    CHECK(st.std == Approx(row.weight_std).epsilon(std::max(0.02, 4 / std::sqrt(2 * n))));
    CHECK(st.mean == Approx(0).margin(4 * row.weight_std / std::sqrt(n)));
    CHECK(all_equal(s.at(std::string(row.layer) + ".bias"), row.bias));
  }

  Tensor x = random_images(2, 1, 64);
  net->eval();
  Tensor y = net->forward(x);
  CHECK(y.shape() == Shape{2, 5});
  CHECK(all_finite(y));
  // Evaluation switches dropout off: the same input gives the same output.
  CHECK(y.to_vector<float>() == net->forward(x).to_vector<float>());
  // Training draws fresh dropout masks after fc1 and fc2, so outputs differ.
  net->train();
  CHECK(net->forward(x).to_vector<float>() != net->forward(x).to_vector<float>());
}

TEST_CASE("huertas answers Galaxy Zoo's 37 questions from its smallest input", "[models]") {
  manual_seed(7);
  // Any channel count; 37 pixels leaves a 1x1 feature map, so fc1 takes 128 inputs.
  auto net = huertas(options(3, 37, 37));
  CHECK(by_name(net->state_dict()).at("fc1.weight").shape() == Shape{4096, 128});
  Tensor y = net->forward(random_images(2, 3, 37));
  CHECK(y.shape() == Shape{2, 37});
  CHECK(all_finite(y));
}

TEST_CASE("lenet classifies 6-band cutouts as fake or real", "[models]") {
  manual_seed(8);
  auto net = lenet(options(6, 2, 64));
  // 6x64x64 input, 2 outputs:
  //   conv1 18*6*7*7 + 18       =     5,310
  //   conv2 36*18*7*7 + 36      =    31,788
  //   conv3 54*36*7*7 + 54      =    95,310
  //   fc1   64*3456 + 64        =   221,248   (3456 = 54*8*8 flattened)
  //   fc2   2*64 + 2            =       130
  //   total                         353,786
  CHECK(net->parameter_count() == 353786);
  CHECK(names_of(net->state_dict()) ==
        std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                 "conv3.weight", "conv3.bias", "fc1.weight", "fc1.bias",
                                 "fc2.weight", "fc2.bias"});
  auto s = by_name(net->state_dict());
  CHECK(shape_of(s, "conv1.weight") == Shape{18, 6, 7, 7});
  CHECK(shape_of(s, "conv3.weight") == Shape{54, 36, 7, 7});
  CHECK(shape_of(s, "fc1.weight") == Shape{64, 3456});  // 54*8*8
  CHECK(shape_of(s, "fc2.weight") == Shape{2, 64});
  Tensor y = net->forward(random_images(2, 6, 64));
  CHECK(y.shape() == Shape{2, 2});
  CHECK(all_finite(y));

  // SAME pools round up: 20 -> 10 -> 5 -> 3, so fc1 takes 54*3*3 inputs.
  auto odd = lenet(options(6, 2, 20));
  CHECK(by_name(odd->state_dict()).at("fc1.weight").shape() == Shape{64, 486});
  CHECK(odd->forward(random_images(2, 6, 20)).shape() == Shape{2, 2});
}

TEST_CASE("the small model is unchanged", "[models]") {
  manual_seed(9);
  // 1x64x64, 5 outputs: 416 + 4,640 + (8192*64 + 64) + (64*5 + 5).
  CHECK(make_model("small", options(1, 5, 64))->parameter_count() == 529733);
  CHECK(small_cnn(options(1, 5, 16))->forward(random_images(2, 1, 16)).shape() == Shape{2, 5});
}

TEST_CASE("the layer-chain models take any activation and keep their parameters", "[models]") {
  for (const std::string model : {"small", "huertas", "lenet", "alexnet"}) {
    // The smallest sizes each takes: small a multiple of 4, huertas 37, alexnet 63.
    ModelOptions o = options(2, 3, model == "alexnet" ? 63 : 40);
    manual_seed(12);
    auto relu = make_model(model, o);  // the default: the published network
    const int64_t activations_in_net = count_modules(*relu, "ReLU");
    CHECK(activations_in_net >= 3);
    const NamedTensors relu_state = relu->state_dict();
    for (const ActivationEntry& a : activations()) {
      INFO(model << " with " << a.name);
      o.activation = a.name;
      manual_seed(12);
      auto net = o.activation == "relu" ? relu : make_model(model, o);
      const std::string type = a.make()->type_name();  // "ReLU", "LeakyReLU", "SiLU"
      CHECK(count_modules(*net, type) == activations_in_net);
      if (type != "ReLU") CHECK(count_modules(*net, "ReLU") == 0);
      // Activations have no parameters and draw no random numbers: the same
      // names, shapes and initial weights as with ReLU.
      const NamedTensors state = net->state_dict();
      REQUIRE(names_of(state) == names_of(relu_state));
      for (size_t i = 0; i < state.size(); ++i)
        CHECK(state[i].second.to_vector<float>() == relu_state[i].second.to_vector<float>());
      Tensor y = net->forward(random_images(2, 2, o.image_size));
      CHECK(y.shape() == Shape{2, 3});
      CHECK(all_finite(y));
    }
  }
  // huertas and lenet name their activation layers after the activation;
  // with ReLU the names are those they always had.
  ModelOptions o = options(1, 2, 40);
  CHECK(child_names(*lenet(o)) ==
        std::vector<std::string>{"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3",
                                 "relu3", "pool3", "flatten", "fc1", "relu4", "fc2"});
  o.activation = "silu";
  CHECK(child_names(*huertas(o))[1] == "silu1");
  o.activation = "leaky_relu";
  auto leaky = small_cnn(o);
  auto* first = dynamic_cast<LeakyReLU*>(leaky->children()[1].second.get());
  REQUIRE(first != nullptr);
  CHECK(first->slope() == 0.01);
}

// ---------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------

TEST_CASE("lenet's loss falls over a few SGD steps on a tiny batch", "[models]") {
  manual_seed(11);
  auto net = lenet(options(6, 2, 16));
  // Class 1 ("fake") images are brighter by one unit in every band, a signal
  // that survives the three average pools.
  Tensor x = random_images(4, 6, 16);
  std::vector<int64_t> label_values{0, 1, 1, 0};
  std::vector<float> pixels = x.to_vector<float>();
  const size_t per_image = 6 * 16 * 16;
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] += static_cast<float>(label_values[i / per_image]);
  x = Tensor::from_vector(pixels, x.shape());
  Tensor labels = Tensor::from_vector(label_values, {4});
  SgdOptions so;
  so.lr = 0.1;
  so.momentum = 0.9;
  SGD sgd(net->named_parameters(), so);
  std::vector<double> losses;
  // The three average pools damp the signal, so the first steps move slowly.
  for (int step = 0; step < 14; ++step) {
    sgd.zero_grad();
    Tensor loss = ops::softmax_cross_entropy(net->forward(x), labels);
    losses.push_back(loss.item());
    loss.backward();
    sgd.step();
  }
  INFO("loss " << losses.front() << " -> " << losses.back());
  CHECK(losses.front() == Approx(std::log(2.0)).margin(0.2));  // near chance at the start
  CHECK(losses.back() < 0.6 * losses.front());
}

// ---------------------------------------------------------------------------
// Bad options
// ---------------------------------------------------------------------------

TEST_CASE("bad model options give clear errors", "[models][errors]") {
  CHECK(model_names() ==
        std::vector<std::string>{"small", "huertas", "lenet", "resnet18", "resnet50", "alexnet"});
  CHECK_THROWS_WITH(make_model("vgg16", {}),
                    Catch::Contains("unknown model 'vgg16'") &&
                        Catch::Contains("small, huertas, lenet, resnet18, resnet50, alexnet"));

  // Every model checks its options before building anything.
  for (const std::string& name : model_names()) {
    INFO(name);
    ModelOptions o;
    o.outputs = 0;
    CHECK_THROWS_WITH(make_model(name, o),
                      Catch::Contains("model '" + name + "': outputs must be positive, got 0"));
    o = ModelOptions{};
    o.in_channels = -1;
    CHECK_THROWS_WITH(make_model(name, o), Catch::Contains("input channels must be positive"));
    o = ModelOptions{};
    o.image_size = 0;
    CHECK_THROWS_WITH(make_model(name, o), Catch::Contains("image size must be positive"));
    o = ModelOptions{};
    o.dropout = 1.0;
    CHECK_THROWS_WITH(make_model(name, o),
                      Catch::Contains("dropout probability must be in [0, 1)"));
    o = ModelOptions{};
    o.activation = "tanh";
    CHECK_THROWS_WITH(make_model(name, o),
                      Catch::Contains("model '" + name + "': unknown activation 'tanh'") &&
                          Catch::Contains("(known: relu, leaky_relu, silu)"));
  }
  // The residual blocks apply ReLU themselves: the ResNets take no other.
  for (const std::string resnet : {"resnet18", "resnet50"}) {
    ModelOptions o;
    o.activation = "silu";
    CHECK_THROWS_WITH(make_model(resnet, o),
                      Catch::Contains("model '" + resnet + "': activation 'silu' is not supported: "
                                      "the residual blocks use ReLU"));
    CHECK_NOTHROW(check_activation(resnet, "relu"));
  }

  CHECK_THROWS_WITH(huertas(options(1, 5, 36)),
                    Catch::Contains("model 'huertas': image size 36 is too small") &&
                        Catch::Contains("at least 37 pixels"));
  CHECK_THROWS_WITH(alexnet(options(3, 5, 62)),
                    Catch::Contains("model 'alexnet': image size 62 is too small") &&
                        Catch::Contains("at least 63 pixels"));
  CHECK_THROWS_WITH(small_cnn(options(1, 5, 30)), Catch::Contains("multiple of 4"));
}
