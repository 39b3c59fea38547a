// Batch normalisation, like torch.nn.BatchNorm2d, over [N,C,H,W] (or [N,C],
// like BatchNorm1d). Parameters "weight" (gamma, 1) and "bias" (beta, 0);
// buffers "running_mean" (0), "running_var" (1) and "num_batches_tracked"
// (an int64 scalar counting training forwards), named as in PyTorch so that
// checkpoints map one to one.
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"

namespace astrocnn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1);

  // Training: normalises with the batch statistics and updates the running
  // ones (running = (1 - momentum) * running + momentum * batch). Evaluation:
  // normalises with the running statistics.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }
  // BatchNormalization in its inference form: the running statistics.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;

  int64_t channels() const { return channels_; }
  double eps() const { return eps_; }
  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }
  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  int64_t num_batches_tracked() const;

 private:
  int64_t channels_;
  double eps_, momentum_;
  Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
};

}  // namespace astrocnn
