// The two residual blocks of torchvision's ResNets, with torchvision's child
// names so that its checkpoints load one to one:
//
//   BasicBlock (ResNet-18/34):  conv1 3x3 (stride) - bn1 - relu - conv2 3x3 - bn2
//   Bottleneck (ResNet-50+):    conv1 1x1 - bn1 - relu - conv2 3x3 (stride) - bn2 - relu
//                               - conv3 1x1 (x4 channels) - bn3
//
// Each ends with relu(block(x) + shortcut(x)). The shortcut is the identity,
// or, when the stride is not 1 or the channel count changes, "downsample":
// a Sequential of "0" a 1x1 convolution (stride, no bias) and "1" a BatchNorm2d.
// Convolutions have no bias (batch norm follows each of them). In ONNX: the
// convolutions and batch norms, Relu between them, Add of the shortcut, Relu.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/module.h"
#include "layers/batchnorm.h"
#include "layers/conv2d.h"
#include "layers/sequential.h"

namespace astrocnn {

class BasicBlock : public Module {
 public:
  static constexpr int64_t expansion = 1;
  BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride = 1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BasicBlock"; }
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
  int64_t out_channels() const { return out_channels_; }
  // The residual branch's last batch norm (bn2), whose scale sets how much
  // the branch adds to the shortcut (models::zero_init_residual).
  BatchNorm2d& branch_end_norm() { return *bn2_; }

 private:
  int64_t out_channels_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<Sequential> downsample_;  // null when the shortcut is the identity
};

// `width` is the channel count of the inner 3x3 convolution; the block
// outputs width * expansion channels.
class Bottleneck : public Module {
 public:
  static constexpr int64_t expansion = 4;
  Bottleneck(int64_t in_channels, int64_t width, int64_t stride = 1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Bottleneck"; }
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
  int64_t out_channels() const { return out_channels_; }
  BatchNorm2d& branch_end_norm() { return *bn3_; }  // bn3 (see BasicBlock)

 private:
  int64_t out_channels_;
  std::shared_ptr<Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<Sequential> downsample_;
};

}  // namespace astrocnn
