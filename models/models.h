// The networks astrocnn ships, built by name (`astrocnn train --model NAME`).
//
// Each model is a function returning a Module whose state_dict names follow
// the PyTorch module it reproduces, so checkpoints map one to one. Every model
// takes its input channels, output count and image size from ModelOptions.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/module.h"

namespace astrocnn::models {

struct ModelOptions {
  int64_t in_channels = 1;
  int64_t outputs = 5;
  int64_t image_size = 64;  // input height = width
  // ResNets only: a 3x3 stride-1 stem convolution and no max-pool, instead of
  // the 7x7 stride-2 convolution and 3x3 stride-2 max-pool built for 224-pixel
  // ImageNet photos, which would shrink a 64x64 cutout to 16x16 at once.
  bool small_input_stem = false;
  // Dropout probability of the dense layers of `huertas` and `alexnet`.
  double dropout = 0.5;
  // The non-linearity after each convolution and hidden dense layer, by its
  // name in activations() (layers/activation.h): "relu", "leaky_relu" (slope
  // 0.01) or "silu". small, huertas, lenet and alexnet take any; "relu" builds
  // the published networks. The ResNets take only "relu": their residual
  // blocks apply ReLU themselves.
  std::string activation = "relu";
};

// Throws Error unless channels, outputs and image size are positive, the
// dropout probability is in [0, 1) and the model takes the activation
// (check_activation); `model` names the model in the message.
void check_options(const std::string& model, const ModelOptions& options);

// Throws Error unless `activation` is a name of activations() and `model`
// can be built with it (the ResNets only with "relu"); the message starts
// with "model '<model>': ".
void check_activation(const std::string& model, const std::string& activation);

// "small": a small convolutional network for quick runs and the demo:
// conv 16@5x5 same -> ReLU -> max-pool 2 -> conv 32@3x3 same -> ReLU -> max-pool 2
// -> flatten -> dense 64 -> ReLU -> dense outputs.              (small_cnn.cpp)
// (Here and below, ReLU is options.activation's module where the model
// takes another activation.)
std::shared_ptr<Module> small_cnn(const ModelOptions& options);

// "huertas": the CANDELS morphology network of Huertas-Company et al. (2015),
// after Dieleman et al.: four valid convolutions, two maxout dense layers
// with dropout. Images of at least 37 pixels.                    (huertas.cpp)
std::shared_ptr<Module> huertas(const ModelOptions& options);

// "lenet": the LeNet-style fake/real galaxy classifier of the obiwan project:
// three 7x7 SAME convolutions, each followed by a 7x7 stride-2 average pool,
// then dense 64 and dense outputs (6x64x64 cutouts, 2 classes).    (lenet.cpp)
std::shared_ptr<Module> lenet(const ModelOptions& options);

// "resnet18", "resnet50": He et al. (2016), torchvision's structure and names.
// Any image size works (global average pooling before fc). ReLU only: any
// other options.activation is refused.                            (resnet.cpp)
std::shared_ptr<Module> resnet18(const ModelOptions& options);
std::shared_ptr<Module> resnet50(const ModelOptions& options);

// Sets the scale (weight) of the last batch norm of every residual branch to
// zero (bn2 of a BasicBlock, bn3 of a Bottleneck), so that each block starts
// as its shortcut and the network as a shallow one: Goyal et al. (2017),
// "Accurate, Large Minibatch SGD", and torchvision's zero_init_residual.
// Returns how many it set; throws Error when `net` has no residual block.
int64_t zero_init_residual(Module& net);

// "alexnet": Krizhevsky et al. (2012), torchvision's structure and names.
// Images of at least 63 pixels; see alexnet.cpp for sizes other than 224.
std::shared_ptr<Module> alexnet(const ModelOptions& options);

// Builds a model by name; throws Error listing the known names.  (registry.cpp)
std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& options);
std::vector<std::string> model_names();

}  // namespace astrocnn::models
