// Layers (Modules): PyTorch state_dict names and shapes, parameter counts,
// default initialisation, output shapes, known values, gradient checks of
// every layer in float64 (input and parameters), train/eval behaviour,
// load_state_dict round trip and its errors, bad arguments.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/init.h"
#include "core/tensor/philox.h"
#include "gradcheck.h"
#include "layers/layers.h"
#include "named_tensors.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

// Converts the module to float64, then checks the gradients of module(x)
// with respect to x and to every parameter by central differences. The
// parameters are passed to check_gradients as extra inputs: they are handles
// to the module's own tensors, so the finite-difference perturbations reach
// the forward pass.
void check_module_gradients(Module& m, const Tensor& x) {
  m.to(DType::F64);
  std::vector<Tensor> inputs{x};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  check_gradients([&m](const std::vector<Tensor>& in) { return m(in[0]); }, inputs);
}

Tensor iota(const Shape& shape, double start = 1) {
  std::vector<float> v(shape_numel(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(start + i);
  return Tensor::from_vector(v, shape);
}

void set_values(Tensor& t, const std::vector<float>& v) {
  t.copy_from(Tensor::from_vector(v, t.shape()).to(t.dtype()));
}

}  // namespace

// ---------------------------------------------------------------------------
// Names, shapes and parameter counts
// ---------------------------------------------------------------------------

TEST_CASE("Conv2d and Dense have PyTorch's parameter names and shapes", "[layers]") {
  Conv2d conv(6, 8, 5);
  CHECK(names_of(conv.state_dict()) == std::vector<std::string>{"weight", "bias"});
  CHECK(conv.weight().shape() == Shape{8, 6, 5, 5});
  CHECK(conv.bias().shape() == Shape{8});
  CHECK(conv.parameter_count() == 8 * 6 * 25 + 8);

  Conv2d grouped(6, 8, 3, 1, 1, /*bias=*/false, /*groups=*/2);
  CHECK(names_of(grouped.state_dict()) == std::vector<std::string>{"weight"});
  CHECK(grouped.weight().shape() == Shape{8, 3, 3, 3});
  CHECK_FALSE(grouped.bias().defined());

  Conv2dConfig rect;
  rect.in_channels = 2;
  rect.out_channels = 4;
  rect.kernel_h = 1;
  rect.kernel_w = 3;
  CHECK(Conv2d(rect).weight().shape() == Shape{4, 2, 1, 3});

  Dense dense(30, 7);
  CHECK(names_of(dense.state_dict()) == std::vector<std::string>{"weight", "bias"});
  CHECK(dense.weight().shape() == Shape{7, 30});  // [out, in], like torch.nn.Linear
  CHECK(dense.bias().shape() == Shape{7});
  CHECK(Dense(30, 7, false).parameter_count() == 210);
}

TEST_CASE("BatchNorm2d has weight, bias and three buffers", "[layers]") {
  BatchNorm2d bn(5);
  CHECK(names_of(bn.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(names_of(bn.named_buffers()) ==
        std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
  CHECK(names_of(bn.state_dict()) ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                 "num_batches_tracked"});
  auto s = by_name(bn.state_dict());
  CHECK(s["num_batches_tracked"].shape() == Shape{});
  CHECK(s["num_batches_tracked"].dtype() == DType::I64);
  CHECK(bn.parameter_count() == 10);  // buffers are not parameters
  // PyTorch's defaults: gamma 1, beta 0, running mean 0, running variance 1.
  CHECK(bn.weight().to_vector<float>() == std::vector<float>(5, 1.f));
  CHECK(bn.bias().to_vector<float>() == std::vector<float>(5, 0.f));
  CHECK(bn.running_mean().to_vector<float>() == std::vector<float>(5, 0.f));
  CHECK(bn.running_var().to_vector<float>() == std::vector<float>(5, 1.f));
  CHECK(bn.num_batches_tracked() == 0);
}

TEST_CASE("BasicBlock state_dict matches torchvision", "[layers]") {
  BasicBlock block(64, 128, 2);  // resnet18's layer2.0
  const std::vector<std::string> expected = {
      "conv1.weight",
      "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
      "conv2.weight",
      "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
      "downsample.0.weight",
      "downsample.1.weight", "downsample.1.bias", "downsample.1.running_mean",
      "downsample.1.running_var", "downsample.1.num_batches_tracked"};
  CHECK(names_of(block.state_dict()) == expected);
  auto s = by_name(block.state_dict());
  CHECK(s["conv1.weight"].shape() == Shape{128, 64, 3, 3});
  CHECK(s["conv2.weight"].shape() == Shape{128, 128, 3, 3});
  CHECK(s["bn1.running_mean"].shape() == Shape{128});
  CHECK(s["downsample.0.weight"].shape() == Shape{128, 64, 1, 1});
  CHECK(s["downsample.1.num_batches_tracked"].dtype() == DType::I64);
  // conv1 128*64*9 = 73,728 + conv2 128*128*9 = 147,456 + downsample conv
  // 128*64 = 8,192 + three batch norms of 2*128 = 768: 230,144, as torchvision.
  CHECK(block.parameter_count() == 230144);

  // Same channels, stride 1: identity shortcut, no downsample entries.
  // 2 convs of 64*64*9 = 36,864 + 2 batch norms of 2*64 = 128: 73,984.
  BasicBlock plain(64, 64, 1);
  CHECK(plain.parameter_count() == 73984);
  CHECK(plain.state_dict().size() == 12);
  CHECK(by_name(plain.state_dict()).count("downsample.0.weight") == 0);
  // A channel change alone also needs the projection.
  CHECK(by_name(BasicBlock(64, 32, 1).state_dict()).count("downsample.0.weight") == 1);
}

TEST_CASE("Bottleneck state_dict matches torchvision", "[layers]") {
  // resnet50's layer1.1: 256 -> 64 -> 64 -> 256, identity shortcut.
  // Convolutions: 256*64 = 16,384 + 64*64*9 = 36,864 + 64*256 = 16,384 = 69,632;
  // batch norms: 2*64 + 2*64 + 2*256 = 768; total 70,400.
  Bottleneck block(256, 64, 1);
  CHECK(block.out_channels() == 256);
  CHECK(block.parameter_count() == 69632 + 768);
  auto s = by_name(block.state_dict());
  CHECK(s.size() == 3 + 3 * 5);
  CHECK(s["conv1.weight"].shape() == Shape{64, 256, 1, 1});
  CHECK(s["conv2.weight"].shape() == Shape{64, 64, 3, 3});
  CHECK(s["conv3.weight"].shape() == Shape{256, 64, 1, 1});
  CHECK(s["bn3.running_var"].shape() == Shape{256});
  CHECK(s.count("downsample.0.weight") == 0);

  // resnet50's layer1.0: 64 -> 256 channels needs the projection (64*256 + 2*256 more): 75,008.
  Bottleneck first(64, 64, 1);
  auto f = by_name(first.state_dict());
  CHECK(f["downsample.0.weight"].shape() == Shape{256, 64, 1, 1});
  CHECK(f.count("downsample.1.num_batches_tracked") == 1);
  CHECK(first.parameter_count() == 75008);
}

TEST_CASE("Sequential names children 0, 1, ... and chains them", "[layers]") {
  Sequential seq;
  auto conv = seq.add(std::make_shared<Conv2d>(1, 2, 3, 1, 1));
  seq.add(std::make_shared<ReLU>());
  seq.add(std::make_shared<Flatten>());
  seq.add(std::make_shared<Dense>(2 * 4 * 4, 3));
  CHECK(seq.size() == 4);
  CHECK(names_of(seq.state_dict()) ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias"});
  CHECK(seq[1].type_name() == "ReLU");
  CHECK(&seq[0] == conv.get());
  CHECK_THROWS_WITH(seq[4], Catch::Contains("index 4 out of range for 4 modules"));

  Tensor x = random_tensor({2, 1, 4, 4}, 5, -1, 1, DType::F32);
  Tensor y = seq(x);
  CHECK(y.shape() == Shape{2, 3});
  Tensor manual = seq[3](seq[2](seq[1](seq[0](x))));
  CHECK(y.to_vector<float>() == manual.to_vector<float>());

  Sequential listed{std::make_shared<Dense>(4, 3), std::make_shared<ReLU>(),
                    std::make_shared<Dense>(3, 2)};
  CHECK(names_of(listed.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(listed.parameter_count() == 4 * 3 + 3 + 3 * 2 + 2);
}

// ---------------------------------------------------------------------------
// Default initialisation (PyTorch's)
// ---------------------------------------------------------------------------

TEST_CASE("Conv2d and Dense default initialisation is uniform in +-1/sqrt(fan_in)", "[layers]") {
  manual_seed(2024);
  auto check_bound = [](const Tensor& t, double bound) {
    double lo = 1e9, hi = -1e9;
    for (float v : t.to_vector<float>()) {
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
    CHECK(lo >= -bound);
    CHECK(hi <= bound);
    CHECK(hi - lo > bound);  // spread over the interval, not a constant
  };
  Conv2d conv(3, 16, 5);  // fan_in 3*25 = 75
  check_bound(conv.weight(), 1 / std::sqrt(75.0));
  check_bound(conv.bias(), 1 / std::sqrt(75.0));
  Conv2d grouped(8, 8, 3, 1, 1, true, 4);  // fan_in 2*9 = 18
  check_bound(grouped.weight(), 1 / std::sqrt(18.0));
  check_bound(grouped.bias(), 1 / std::sqrt(18.0));
  Dense dense(100, 20);
  check_bound(dense.weight(), 0.1);
  check_bound(dense.bias(), 0.1);

  // Layers draw from the global stream: two layers differ, a re-seed repeats.
  Dense other(100, 20);
  CHECK(other.weight().to_vector<float>() != dense.weight().to_vector<float>());
  manual_seed(2024);
  Conv2d again(3, 16, 5);
  CHECK(again.weight().to_vector<float>() == conv.weight().to_vector<float>());
}

// ---------------------------------------------------------------------------
// Output shapes and known values
// ---------------------------------------------------------------------------

TEST_CASE("Conv2d output shapes, including SAME padding on odd sizes", "[layers]") {
  CHECK(Conv2d(2, 4, 3, 1, 1)(Tensor::zeros({1, 2, 5, 5})).shape() == Shape{1, 4, 5, 5});
  CHECK(Conv2d(2, 4, 3, 2)(Tensor::zeros({3, 2, 7, 7})).shape() == Shape{3, 4, 3, 3});
  // SAME: ceil(in / stride) whatever the kernel.
  CHECK(Conv2d(2, 3, 3, 2, Padding::same())(Tensor::zeros({1, 2, 7, 9})).shape() ==
        Shape{1, 3, 4, 5});
  CHECK(Conv2d(2, 3, 4, 1, Padding::same())(Tensor::zeros({2, 2, 5, 6})).shape() ==
        Shape{2, 3, 5, 6});
  CHECK(Conv2d(2, 3, 5, 3, Padding::same())(Tensor::zeros({1, 2, 11, 4})).shape() ==
        Shape{1, 3, 4, 2});
  // Rectangular kernel, stride and padding: H = 4, W = (7 + 2 - 3) / 2 + 1 = 4.
  Conv2dConfig c;
  c.in_channels = 2;
  c.out_channels = 3;
  c.kernel_h = 1;
  c.kernel_w = 3;
  c.stride_w = 2;
  c.padding = Padding(0, 1);
  CHECK(Conv2d(c)(Tensor::zeros({1, 2, 4, 7})).shape() == Shape{1, 3, 4, 4});
}

TEST_CASE("Conv2d SAME padding puts the odd pixel after", "[layers]") {
  // Ones 3x3, 2x2 kernel of ones, stride 1: one pixel of padding, all of it
  // at the bottom/right, so the last row and column see fewer pixels.
  Conv2d conv(1, 1, 2, 1, Padding::same());
  init::constant_(conv.weight(), 1);
  init::constant_(conv.bias(), 0);
  CHECK(conv(Tensor::full({1, 1, 3, 3}, 1.0)).to_vector<float>() ==
        std::vector<float>{4, 4, 2, 4, 4, 2, 2, 2, 1});
  // Ones 4x4, 3x3 kernel, stride 2: 2x2 outputs, padding 0 before and 1 after.
  Conv2d strided(1, 1, 3, 2, Padding::same(), false);
  init::constant_(strided.weight(), 1);
  CHECK(strided(Tensor::full({1, 1, 4, 4}, 1.0)).to_vector<float>() ==
        std::vector<float>{9, 6, 6, 4});
}

TEST_CASE("Dense computes x weight^T + bias", "[layers]") {
  Dense dense(2, 2);
  set_values(dense.weight(), {1, 2, 3, 4});
  set_values(dense.bias(), {0.5f, -1});
  Tensor y = dense(Tensor::from_vector<float>({1, 1, 2, -1}, {2, 2}));
  CHECK(y.to_vector<float>() == std::vector<float>{3.5f, 6, 0.5f, 1});
}

TEST_CASE("pooling layers: shapes and known values", "[layers]") {
  CHECK(MaxPool2d(2)(Tensor::zeros({1, 2, 7, 7})).shape() == Shape{1, 2, 3, 3});
  CHECK(MaxPool2d(3, 2, 1)(Tensor::zeros({2, 1, 8, 8})).shape() == Shape{2, 1, 4, 4});
  CHECK(MaxPool2d(3, 2, Padding::same())(Tensor::zeros({1, 1, 7, 7})).shape() ==
        Shape{1, 1, 4, 4});
  CHECK(AvgPool2d(2, 2, Padding::same(), false)(Tensor::zeros({1, 3, 5, 5})).shape() ==
        Shape{1, 3, 3, 3});
  CHECK(GlobalAvgPool()(Tensor::zeros({2, 3, 4, 5})).shape() == Shape{2, 3});
  CHECK(Flatten()(Tensor::zeros({2, 3, 4, 5})).shape() == Shape{2, 60});

  // 1..9 in a 3x3 image, 2x2 windows, SAME: the padded pixels never win a max.
  CHECK(MaxPool2d(2, 2, Padding::same())(iota({1, 1, 3, 3})).to_vector<float>() ==
        std::vector<float>{5, 6, 8, 9});
  // Average of ones with SAME padding: counting the padding (PyTorch's default)
  // dilutes the border windows; without it (TensorFlow) every window is 1.
  Tensor ones = Tensor::full({1, 1, 3, 3}, 1.0);
  CHECK(AvgPool2d(2, 2, Padding::same(), true)(ones).to_vector<float>() ==
        std::vector<float>{1, 0.5f, 0.5f, 0.25f});
  CHECK(AvgPool2d(2, 2, Padding::same(), false)(ones).to_vector<float>() ==
        std::vector<float>{1, 1, 1, 1});
  CHECK(GlobalAvgPool()(iota({1, 2, 2, 2})).to_vector<float>() == std::vector<float>{2.5f, 6.5f});
}

TEST_CASE("ReLU and Maxout layers", "[layers]") {
  CHECK(ReLU()(Tensor::from_vector<float>({-1, 2}, {1, 2})).to_vector<float>() ==
        std::vector<float>{0, 2});
  // Maxout(2) over [1, 4] features: max(1, 5) and max(-2, 0).
  CHECK(Maxout(2)(Tensor::from_vector<float>({1, 5, -2, 0}, {1, 4})).to_vector<float>() ==
        std::vector<float>{5, 0});
  CHECK(Maxout(3)(Tensor::zeros({2, 6, 3, 3})).shape() == Shape{2, 2, 3, 3});
}

TEST_CASE("residual blocks: output shapes with stride 2", "[layers]") {
  Tensor x = random_tensor({2, 4, 7, 7}, 3, -1, 1, DType::F32);
  CHECK(BasicBlock(4, 8, 2)(x).shape() == Shape{2, 8, 4, 4});
  CHECK(BasicBlock(4, 4, 1)(x).shape() == Shape{2, 4, 7, 7});
  CHECK(Bottleneck(4, 4, 2)(x).shape() == Shape{2, 16, 4, 4});
  CHECK(Bottleneck(4, 2, 1)(x).shape() == Shape{2, 8, 7, 7});
  // The final ReLU makes every output non-negative.
  for (float v : BasicBlock(4, 8, 2)(x).to_vector<float>()) CHECK(v >= 0);
}

// ---------------------------------------------------------------------------
// Gradient checks, float64
// ---------------------------------------------------------------------------

TEST_CASE("Conv2d gradients wrt input and parameters", "[layers][gradcheck]") {
  SECTION("padding 1, batch 2") {
    Conv2d conv(2, 3, 3, 1, 1);
    check_module_gradients(conv, random_tensor({2, 2, 5, 5}, 21));
  }
  SECTION("SAME, stride 2, odd sizes, groups 2, no bias") {
    Conv2d conv(4, 2, 3, 2, Padding::same(), false, 2);
    check_module_gradients(conv, random_tensor({3, 4, 5, 7}, 22));
  }
  SECTION("rectangular kernel") {
    Conv2dConfig c;
    c.in_channels = 1;
    c.out_channels = 2;
    c.kernel_h = 2;
    c.kernel_w = 3;
    c.stride_h = 2;
    c.padding = Padding(1, 0);
    Conv2d conv(c);
    check_module_gradients(conv, random_tensor({2, 1, 5, 6}, 23));
  }
}

TEST_CASE("Dense gradients wrt input and parameters", "[layers][gradcheck]") {
  Dense dense(7, 3);
  check_module_gradients(dense, random_tensor({4, 7}, 31));
}

TEST_CASE("pooling, activation and reshaping layers' gradients", "[layers][gradcheck]") {
  MaxPool2d max_pool(3, 2, 1);
  check_module_gradients(max_pool, random_tensor({2, 2, 7, 6}, 41));
  AvgPool2d avg_same(2, 2, Padding::same(), false);
  check_module_gradients(avg_same, random_tensor({2, 3, 5, 5}, 42));
  GlobalAvgPool global;
  check_module_gradients(global, random_tensor({2, 3, 3, 5}, 43));
  Flatten flatten;
  check_module_gradients(flatten, random_tensor({2, 3, 2, 2}, 44));
  Maxout maxout(3);
  check_module_gradients(maxout, random_tensor({2, 6, 3, 3}, 45));
  // ReLU away from its kink at 0.
  Tensor x = random_tensor({3, 8}, 46, 0.05, 1.0);
  double* d = x.data<double>();
  for (int64_t i = 0; i < x.numel(); i += 3) d[i] = -d[i];
  ReLU relu;
  check_module_gradients(relu, x);
}

TEST_CASE("Dropout gradients with a fixed mask", "[layers][gradcheck]") {
  Dropout dropout(0.3);
  // Every forward draws a new mask; rewinding the global stream before each
  // call makes the finite differences see the same mask as the backward pass.
  const uint64_t start = global_rng().offset();
  std::vector<Tensor> inputs{random_tensor({4, 10}, 51)};
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        global_rng().set_offset(start);
        return dropout(in[0]);
      },
      inputs);
}

TEST_CASE("BatchNorm2d gradients in train and eval mode", "[layers][gradcheck]") {
  BatchNorm2d bn(3);
  bn.to(DType::F64);
  set_values(bn.weight(), {1.5f, -0.5f, 2});
  set_values(bn.bias(), {0.1f, 0.2f, -0.3f});
  SECTION("train, [N,C,H,W]") { check_module_gradients(bn, random_tensor({2, 3, 3, 5}, 61)); }
  SECTION("train, [N,C]") { check_module_gradients(bn, random_tensor({5, 3}, 62)); }
  SECTION("eval") {
    set_values(bn.running_mean(), {0.5f, -1, 0});
    set_values(bn.running_var(), {2, 0.25f, 1});
    bn.eval();
    check_module_gradients(bn, random_tensor({2, 3, 4, 3}, 63));
  }
}

TEST_CASE("residual block gradients (train mode, with downsample)", "[layers][gradcheck]") {
  SECTION("BasicBlock") {
    BasicBlock block(2, 3, 2);
    check_module_gradients(block, random_tensor({2, 2, 5, 5}, 71));
  }
  SECTION("BasicBlock, identity shortcut, eval") {
    BasicBlock block(2, 2, 1);
    block.eval();
    check_module_gradients(block, random_tensor({2, 2, 4, 3}, 72));
  }
  SECTION("Bottleneck") {
    Bottleneck block(3, 2, 2);
    check_module_gradients(block, random_tensor({2, 3, 5, 5}, 73));
  }
}

TEST_CASE("Sequential gradients flow through every child", "[layers][gradcheck]") {
  Sequential seq{std::make_shared<Conv2d>(1, 2, 3, 1, 1), std::make_shared<MaxPool2d>(2),
                 std::make_shared<Flatten>(), std::make_shared<Dense>(8, 3)};
  check_module_gradients(seq, random_tensor({2, 1, 4, 4}, 81));
}

// ---------------------------------------------------------------------------
// Train / eval behaviour
// ---------------------------------------------------------------------------

TEST_CASE("Dropout drops and rescales in training and is the identity in eval", "[layers]") {
  Dropout dropout(0.5);
  Tensor x = Tensor::full({4000}, 1.0);
  manual_seed(11);
  std::vector<float> a = dropout(x).to_vector<float>();
  int64_t zeros = 0;
  for (float v : a) {
    CHECK((v == 0 || v == 2));  // kept elements are scaled by 1/(1-p)
    zeros += v == 0;
  }
  CHECK(zeros == Approx(2000).margin(150));
  // Each call draws a fresh slice of the stream ...
  CHECK(global_rng().offset() == 4000);
  CHECK(dropout(x).to_vector<float>() != a);
  // ... and a re-seed reproduces the first mask.
  manual_seed(11);
  CHECK(dropout(x).to_vector<float>() == a);

  dropout.eval();
  CHECK_FALSE(dropout.is_training());
  CHECK(dropout(x).to_vector<float>() == std::vector<float>(4000, 1.f));
  CHECK(global_rng().offset() == 4000);  // eval draws nothing
  dropout.train();
  CHECK(dropout(x).to_vector<float>() != std::vector<float>(4000, 1.f));
}

TEST_CASE("BatchNorm2d uses batch statistics in training and running ones in eval", "[layers]") {
  // Channel 0 holds {1, 3} (mean 2, biased var 1, unbiased 2), channel 1
  // {10, 30} (mean 20, biased var 100, unbiased 200).
  BatchNorm2d bn(2);
  Tensor x = Tensor::from_vector<float>({1, 10, 3, 30}, {2, 2});
  std::vector<float> y = bn(x).to_vector<float>();
  CHECK(y[0] == Approx(-1).epsilon(1e-4));
  CHECK(y[1] == Approx(-1).epsilon(1e-4));
  CHECK(y[2] == Approx(1).epsilon(1e-4));
  CHECK(y[3] == Approx(1).epsilon(1e-4));
  // running = 0.9 * running + 0.1 * batch, with the unbiased variance.
  std::vector<float> rm = bn.running_mean().to_vector<float>();
  std::vector<float> rv = bn.running_var().to_vector<float>();
  CHECK(rm[0] == Approx(0.2));
  CHECK(rm[1] == Approx(2.0));
  CHECK(rv[0] == Approx(0.9 + 0.2));
  CHECK(rv[1] == Approx(0.9 + 20));
  CHECK(bn.num_batches_tracked() == 1);
  bn(x);
  CHECK(bn.num_batches_tracked() == 2);

  bn.eval();
  rm = bn.running_mean().to_vector<float>();
  rv = bn.running_var().to_vector<float>();
  y = bn(x).to_vector<float>();
  CHECK(y[0] == Approx((1 - rm[0]) / std::sqrt(rv[0] + 1e-5)));
  CHECK(y[3] == Approx((30 - rm[1]) / std::sqrt(rv[1] + 1e-5)));
  // Eval neither updates the running statistics nor counts the batch.
  CHECK(bn.running_mean().to_vector<float>() == rm);
  CHECK(bn.num_batches_tracked() == 2);
}

TEST_CASE("train() and eval() reach every nested module", "[layers]") {
  Sequential seq{std::make_shared<BasicBlock>(2, 4, 2), std::make_shared<Dropout>(0.5)};
  CHECK(seq[0].is_training());
  seq.eval();
  CHECK_FALSE(seq.is_training());
  CHECK_FALSE(seq[1].is_training());
  const auto& block_children = seq[0].children();
  CHECK_FALSE(block_children.back().second->children()[1].second->is_training());  // downsample.1
  // In eval a block is deterministic and leaves its statistics alone.
  Tensor x = random_tensor({2, 2, 5, 5}, 90, -1, 1, DType::F32);
  std::vector<float> first = seq(x).to_vector<float>();
  CHECK(seq(x).to_vector<float>() == first);
  auto s = by_name(seq.state_dict());
  CHECK(s["0.bn1.num_batches_tracked"].item() == 0);
  seq.train();
  seq(x);
  CHECK(s["0.bn1.num_batches_tracked"].item() == 1);
  CHECK(s["0.downsample.1.num_batches_tracked"].item() == 1);
}

TEST_CASE("layers run in float64 after Module::to", "[layers]") {
  BasicBlock block(2, 3, 2);
  block.to(DType::F64);
  for (const Tensor& p : block.parameters()) CHECK(p.dtype() == DType::F64);
  Tensor y = block(random_tensor({2, 2, 5, 5}, 91));
  CHECK(y.dtype() == DType::F64);
  CHECK(y.shape() == Shape{2, 3, 3, 3});
  CHECK(by_name(block.state_dict())["bn1.num_batches_tracked"].item() == 1);
}

// ---------------------------------------------------------------------------
// load_state_dict
// ---------------------------------------------------------------------------

TEST_CASE("load_state_dict round trip copies parameters and buffers", "[layers]") {
  Tensor x = random_tensor({2, 3, 6, 6}, 100, -1, 1, DType::F32);
  BasicBlock source(3, 5, 2);
  source(x);  // move the running statistics and the counter off their defaults
  BasicBlock target(3, 5, 2);
  target.load_state_dict(source.state_dict());

  auto src = by_name(source.state_dict());
  for (const auto& [name, t] : target.state_dict()) {
    INFO(name);
    check_close(t.to(DType::F64), src[name].to(DType::F64), 0, 0);
  }
  CHECK(by_name(target.state_dict())["downsample.1.num_batches_tracked"].item() == 1);
  // The loaded tensors are copies, and the model's own tensors keep their identity.
  CHECK_FALSE(by_name(target.state_dict())["conv1.weight"].same(src["conv1.weight"]));
  source.eval();
  target.eval();
  CHECK(target(x).to_vector<float>() == source(x).to_vector<float>());

  // Loading converts the dtype to the model's.
  BasicBlock wide(3, 5, 2);
  wide.to(DType::F64);
  wide.load_state_dict(source.state_dict());
  wide.eval();
  check_close(wide(x.to(DType::F64)), source(x), 1e-4, 1e-5);
}

TEST_CASE("load_state_dict reports missing, unexpected and mis-shaped entries", "[layers]") {
  BasicBlock block(2, 4, 2);
  NamedTensors state = BasicBlock(2, 4, 2).state_dict();

  NamedTensors missing;
  for (const auto& [name, t] : state)
    if (name != "bn1.running_mean") missing.emplace_back(name, t);
  CHECK_THROWS_WITH(block.load_state_dict(missing), Catch::Contains("missing 'bn1.running_mean'"));

  NamedTensors extra = state;
  extra.emplace_back("fc.weight", Tensor::zeros({2, 2}));
  CHECK_THROWS_WITH(block.load_state_dict(extra), Catch::Contains("unexpected 'fc.weight'"));

  NamedTensors misshaped = BasicBlock(2, 4, 2).state_dict();
  for (auto& [name, t] : misshaped)
    if (name == "conv2.weight") t = Tensor::zeros({4, 4, 1, 1});
  CHECK_THROWS_WITH(block.load_state_dict(misshaped),
                    Catch::Contains("'conv2.weight' has shape [4,4,1,1]") &&
                        Catch::Contains("expects [4,4,3,3]"));

  // A block without a projection shortcut cannot take one with it.
  CHECK_THROWS_WITH(BasicBlock(4, 4, 1).load_state_dict(BasicBlock(4, 4, 2).state_dict()),
                    Catch::Contains("unexpected 'downsample.0.weight'"));
}

// ---------------------------------------------------------------------------
// Bad arguments
// ---------------------------------------------------------------------------

TEST_CASE("layers reject bad arguments with clear errors", "[layers][errors]") {
  CHECK_THROWS_WITH(Conv2d(6, 4, 3, 1, 0, true, 4), Catch::Contains("groups = 4 must divide"));
  CHECK_THROWS_WITH(Conv2d(0, 4, 3), Catch::Contains("channel counts must be positive"));
  CHECK_THROWS_WITH(Conv2d(2, 4, 3, 0), Catch::Contains("kernel and stride must be positive"));
  CHECK_THROWS_WITH(Conv2d(2, 4, 3, 1, -1), Catch::Contains("padding must be >= 0"));
  CHECK_THROWS_WITH(Conv2d(2, 4, 3)(Tensor::zeros({2, 5, 5})),
                    Catch::Contains("Conv2d: expected an input [N,C,H,W]"));
  CHECK_THROWS_AS(Conv2d(2, 4, 3)(Tensor::zeros({1, 3, 5, 5})), Error);
  CHECK_THROWS_WITH(MaxPool2d(0), Catch::Contains("MaxPool2d: kernel and stride"));
  CHECK_THROWS_WITH(AvgPool2d(2)(Tensor::zeros({4, 4})), Catch::Contains("AvgPool2d: expected"));
  CHECK_THROWS_WITH(Dense(0, 3), Catch::Contains("Dense: feature counts"));
  CHECK_THROWS_AS(Dense(4, 3)(Tensor::zeros({2, 5})), Error);
  CHECK_THROWS_WITH(Dropout(1.0), Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(Maxout(0), Catch::Contains("group size k"));
  CHECK_THROWS_WITH(BatchNorm2d(3)(Tensor::zeros({2, 4, 2, 2})),
                    Catch::Contains("has 4 channels, the layer has 3"));
  CHECK_THROWS_WITH(BatchNorm2d(3)(Tensor::zeros({2, 3, 2})), Catch::Contains("BatchNorm2d: expected"));
  CHECK_THROWS_WITH(BatchNorm2d(3, -1), Catch::Contains("eps must be positive"));
  CHECK_THROWS_WITH(BasicBlock(4, 8, 0), Catch::Contains("BasicBlock"));
}
