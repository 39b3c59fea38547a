// Pooling layers: MaxPool2d and AvgPool2d (windows over H and W, like
// torch.nn's) and GlobalAvgPool ([N,C,H,W] -> [N,C], the mean over H x W).
// None of them has parameters.
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"
#include "core/ops.h"
#include "layers/padding.h"

namespace astrocnn {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel) : MaxPool2d(kernel, kernel) {}  // stride = kernel, as PyTorch
  MaxPool2d(int64_t kernel, int64_t stride, Padding padding = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "MaxPool2d"; }
  // MaxPool, floor mode; padded pixels never win, as in astrocnn.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
  int64_t kernel() const { return kernel_; }
  int64_t stride() const { return stride_; }
  const Padding& padding() const { return padding_; }

 private:
  int64_t kernel_, stride_;
  Padding padding_;
};

// count_include_pad: PyTorch's default (true) divides every window by k*k;
// false divides by the number of real pixels under the window, which is what
// TensorFlow does with SAME padding.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t kernel) : AvgPool2d(kernel, kernel) {}
  AvgPool2d(int64_t kernel, int64_t stride, Padding padding = 0, bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "AvgPool2d"; }
  // AveragePool, floor mode, count_include_pad as the layer.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
  int64_t kernel() const { return kernel_; }
  int64_t stride() const { return stride_; }
  const Padding& padding() const { return padding_; }
  bool count_include_pad() const { return count_include_pad_; }

 private:
  int64_t kernel_, stride_;
  Padding padding_;
  bool count_include_pad_;
};

class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::global_avg_pool(x); }
  std::string type_name() const override { return "GlobalAvgPool"; }
  // GlobalAveragePool [N,C,1,1], then Flatten to [N,C].
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
};

}  // namespace astrocnn
