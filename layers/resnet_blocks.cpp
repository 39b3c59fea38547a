#include "layers/resnet_blocks.h"

#include <initializer_list>
#include <string>
#include <utility>

#include "core/ops.h"

namespace astrocnn {

namespace {

std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride) {
  return std::make_shared<Conv2d>(in, out, 3, stride, 1, /*bias=*/false);
}

std::shared_ptr<Conv2d> conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return std::make_shared<Conv2d>(in, out, 1, stride, 0, /*bias=*/false);
}

// The projection shortcut, or null when the identity fits.
std::shared_ptr<Sequential> make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return std::make_shared<Sequential>(
      std::initializer_list<std::shared_ptr<Module>>{conv1x1(in, out, stride),
                                                     std::make_shared<BatchNorm2d>(out)});
}

void check_block(const char* block, int64_t in, int64_t channels, int64_t stride) {
  ASTRO_CHECK(in > 0 && channels > 0 && stride > 0, block,
              ": channel counts and stride must be positive, got in ", in, ", ", channels,
              ", stride ", stride);
}

// The ONNX graph of a residual block on x: conv1-bn1-relu1, conv2-bn2(-relu2,
// conv3-bn3), then relu(that + shortcut), the shortcut being x or
// downsample(x). The probe follows the graph, not the block's forward(), so
// that the exporter's check of the whole model against its forward() also
// checks this reading of the block.
OnnxValue export_residual(OnnxGraph& g, const std::string& path, const OnnxValue& x,
                          std::initializer_list<std::pair<Conv2d*, BatchNorm2d*>> branch,
                          Sequential* downsample) {
  auto child = [&path](const std::string& name, int n) {
    return onnx_child_path(path, name + std::to_string(n));
  };
  OnnxValue y = x;
  int n = 0;
  for (const auto& [conv, bn] : branch) {
    if (n > 0) y = {g.add_node("Relu", child("relu", n), {y.name}), ops::relu(y.probe)};
    ++n;
    y = conv->export_onnx(g, child("conv", n), y);
    y = bn->export_onnx(g, child("bn", n), y);
  }
  OnnxValue shortcut =
      downsample ? downsample->export_onnx(g, onnx_child_path(path, "downsample"), x) : x;
  const std::string sum = g.add_node("Add", onnx_child_path(path, "add"), {y.name, shortcut.name});
  return {g.add_node("Relu", onnx_child_path(path, "relu"), {sum}),
          ops::relu(ops::add(y.probe, shortcut.probe))};
}

}  // namespace

BasicBlock::BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride)
    : out_channels_(out_channels) {
  check_block("BasicBlock", in_channels, out_channels, stride);
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(out_channels));
  if (auto d = make_downsample(in_channels, out_channels, stride))
    downsample_ = register_module("downsample", d);
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor y = ops::relu(bn1_->forward(conv1_->forward(x)));
  y = bn2_->forward(conv2_->forward(y));
  Tensor shortcut = downsample_ ? downsample_->forward(x) : x;
  return ops::relu(ops::add(y, shortcut));
}

OnnxValue BasicBlock::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  return export_residual(g, path, x, {{conv1_.get(), bn1_.get()}, {conv2_.get(), bn2_.get()}},
                         downsample_.get());
}

Bottleneck::Bottleneck(int64_t in_channels, int64_t width, int64_t stride)
    : out_channels_(width * expansion) {
  check_block("Bottleneck", in_channels, width, stride);
  conv1_ = register_module("conv1", conv1x1(in_channels, width));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  // The stride sits on the 3x3 convolution, as in torchvision (ResNet v1.5).
  conv2_ = register_module("conv2", conv3x3(width, width, stride));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(width));
  conv3_ = register_module("conv3", conv1x1(width, out_channels_));
  bn3_ = register_module("bn3", std::make_shared<BatchNorm2d>(out_channels_));
  if (auto d = make_downsample(in_channels, out_channels_, stride))
    downsample_ = register_module("downsample", d);
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = ops::relu(bn1_->forward(conv1_->forward(x)));
  y = ops::relu(bn2_->forward(conv2_->forward(y)));
  y = bn3_->forward(conv3_->forward(y));
  Tensor shortcut = downsample_ ? downsample_->forward(x) : x;
  return ops::relu(ops::add(y, shortcut));
}

OnnxValue Bottleneck::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  return export_residual(
      g, path, x,
      {{conv1_.get(), bn1_.get()}, {conv2_.get(), bn2_.get()}, {conv3_.get(), bn3_.get()}},
      downsample_.get());
}

}  // namespace astrocnn
