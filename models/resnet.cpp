// ResNet-18 and ResNet-50 (He et al. 2016, "Deep Residual Learning for Image
// Recognition"), with torchvision's structure and state_dict names, so its
// checkpoints load one to one (same in_channels and outputs):
//
//   name     ResNet-18                      ResNet-50                           output (224 input)
//   conv1    7x7, 64, stride 2, pad 3 (no bias); bn1; relu                      64 x 112x112
//   maxpool  3x3 max-pool, stride 2, pad 1                                      64 x 56x56
//   layer1   2 BasicBlocks, 64              3 Bottlenecks, width 64             64 / 256 x 56x56
//   layer2   2 BasicBlocks, 128, stride 2   4 Bottlenecks, width 128, stride 2  128 / 512 x 28x28
//   layer3   2 BasicBlocks, 256, stride 2   6 Bottlenecks, width 256, stride 2  256 / 1024 x 14x14
//   layer4   2 BasicBlocks, 512, stride 2   3 Bottlenecks, width 512, stride 2  512 / 2048 x 7x7
//   avgpool  global average pool                                                512 / 2048
//   fc       dense outputs                                                      outputs
//
// (A Bottleneck of width w outputs 4w channels.)
//
// The first block of a stage carries its stride and, when the shape changes,
// a "downsample" projection (layers/resnet_blocks.h). With
// ModelOptions::small_input_stem the stem is conv1 3x3 stride 1 pad 1 and
// there is no max-pool, the usual choice for 32-64 pixel images (CIFAR-style).
//
// Initialisation as torchvision: convolutions kaiming_normal_ (fan_out, ReLU
// gain), batch norm weight 1 and bias 0, fc PyTorch's Linear default; and,
// on request (zero_init_residual), the last batch norm of each residual
// branch at weight 0, as torchvision's zero_init_residual=True.
#include "core/init.h"
#include "layers/layers.h"
#include "models/chain.h"
#include "models/models.h"

namespace astrocnn::models {

namespace {

constexpr int64_t kStemChannels = 64;

// A stage ("layer1" ... "layer4"): `blocks` residual blocks of `width`, the
// first with `stride`. Updates `in_channels` to the stage's output channels.
template <class Block>
std::shared_ptr<Sequential> make_stage(int64_t& in_channels, int64_t width, int64_t blocks,
                                       int64_t stride) {
  auto stage = std::make_shared<Sequential>();
  for (int64_t b = 0; b < blocks; ++b) {
    stage->add(std::make_shared<Block>(in_channels, width, b == 0 ? stride : 1));
    in_channels = width * Block::expansion;
  }
  return stage;
}

void kaiming_init_convolutions(Module& m) {
  if (auto* conv = dynamic_cast<Conv2d*>(&m))
    init::kaiming_normal_(conv->weight(), 0.0, init::FanMode::FanOut);
  for (const auto& [name, child] : m.children()) kaiming_init_convolutions(*child);
}

template <class Block>
std::shared_ptr<Module> resnet(const char* model, const int64_t (&blocks)[4],
                               const ModelOptions& o) {
  check_options(model, o);  // refuses activations but ReLU, which the blocks apply themselves
  auto net = std::make_shared<Chain>("ResNet");
  if (o.small_input_stem) {
    net->add("conv1", std::make_shared<Conv2d>(o.in_channels, kStemChannels, 3, 1, 1, false));
  } else {
    net->add("conv1", std::make_shared<Conv2d>(o.in_channels, kStemChannels, 7, 2, 3, false));
  }
  net->add("bn1", std::make_shared<BatchNorm2d>(kStemChannels));
  net->add("relu", std::make_shared<ReLU>());
  if (!o.small_input_stem) net->add("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));

  int64_t channels = kStemChannels;
  const int64_t widths[4] = {64, 128, 256, 512};
  for (int s = 0; s < 4; ++s) {
    int64_t stride = s == 0 ? 1 : 2;
    net->add("layer" + std::to_string(s + 1),
             make_stage<Block>(channels, widths[s], blocks[s], stride));
  }
  net->add("avgpool", std::make_shared<GlobalAvgPool>());  // [N,C,H,W] -> [N,C]
  net->add("fc", std::make_shared<Dense>(channels, o.outputs));
  kaiming_init_convolutions(*net);
  return net;
}

// The last batch norm of the residual branch of `m`, when m is a block.
BatchNorm2d* branch_end_norm(Module& m) {
  if (auto* block = dynamic_cast<BasicBlock*>(&m)) return &block->branch_end_norm();
  if (auto* block = dynamic_cast<Bottleneck*>(&m)) return &block->branch_end_norm();
  return nullptr;
}

int64_t zero_branch_norms(Module& m) {
  int64_t count = 0;
  if (BatchNorm2d* bn = branch_end_norm(m)) {
    init::constant_(bn->weight(), 0.0);
    ++count;
  }
  for (const auto& [name, child] : m.children()) count += zero_branch_norms(*child);
  return count;
}

}  // namespace

int64_t zero_init_residual(Module& net) {
  const int64_t count = zero_branch_norms(net);
  ASTRO_CHECK(count > 0, "zero-init-residual: the ", net.type_name(), " has no residual blocks "
              "(it applies to resnet18 and resnet50)");
  return count;
}

std::shared_ptr<Module> resnet18(const ModelOptions& o) {
  return resnet<BasicBlock>("resnet18", {2, 2, 2, 2}, o);
}

std::shared_ptr<Module> resnet50(const ModelOptions& o) {
  return resnet<Bottleneck>("resnet50", {3, 4, 6, 3}, o);
}

}  // namespace astrocnn::models
