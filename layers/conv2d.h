// 2-D convolution layer, like torch.nn.Conv2d: parameters "weight"
// [out, in/groups, R, S] and, unless disabled, "bias" [out].
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"
#include "layers/padding.h"

namespace astrocnn {

// Every option, for rectangular kernels and strides.
struct Conv2dConfig {
  int64_t in_channels = 1, out_channels = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  Padding padding = 0;  // pixels, or Padding::same()
  bool bias = true;
  int64_t groups = 1;
};

class Conv2d : public Module {
 public:
  // Square kernel and stride; padding in pixels or Padding::same().
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         Padding padding = 0, bool bias = true, int64_t groups = 1);
  explicit Conv2d(const Conv2dConfig& config);

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  // Conv, the padding resolved for the input size at that point.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;

  const Conv2dConfig& config() const { return config_; }
  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }  // undefined when the layer has no bias

  // PyTorch's default: kaiming_uniform_(a = sqrt(5)) on the weight, which is
  // uniform in +-1/sqrt(fan_in), and the same bound for the bias.
  void reset_parameters();

 private:
  Conv2dConfig config_;
  Tensor weight_, bias_;
};

}  // namespace astrocnn
