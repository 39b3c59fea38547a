#include "layers/batchnorm.h"

#include <vector>

#include "core/ops.h"

namespace astrocnn {

BatchNorm2d::BatchNorm2d(int64_t channels, double eps, double momentum)
    : channels_(channels), eps_(eps), momentum_(momentum) {
  ASTRO_CHECK(channels > 0, "BatchNorm2d: the channel count must be positive, got ", channels);
  ASTRO_CHECK(eps > 0, "BatchNorm2d: eps must be positive, got ", eps);
  ASTRO_CHECK(momentum >= 0 && momentum <= 1, "BatchNorm2d: momentum must be in [0, 1], got ",
              momentum);
  weight_ = register_parameter("weight", Tensor::full({channels}, 1.0));
  bias_ = register_parameter("bias", Tensor::zeros({channels}));
  running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var_ = register_buffer("running_var", Tensor::full({channels}, 1.0));
  num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::I64));
}

int64_t BatchNorm2d::num_batches_tracked() const {
  return static_cast<int64_t>(num_batches_tracked_.item());
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  ASTRO_CHECK(x.dim() == 4 || x.dim() == 2, "BatchNorm2d: expected an input [N,C,H,W] or [N,C], got ",
              x.str());
  ASTRO_CHECK(x.size(1) == channels_, "BatchNorm2d: input ", x.str(), " has ", x.size(1),
              " channels, the layer has ", channels_);
  Tensor y = ops::batch_norm(x, weight_, bias_, running_mean_, running_var_, is_training(),
                             momentum_, eps_);
  if (is_training()) {
    // The counter is a tiny buffer that may live on the GPU: update it by
    // value, through a host tensor of its own dtype.
    Tensor next = Tensor::full({}, static_cast<double>(num_batches_tracked() + 1),
                               num_batches_tracked_.dtype(), num_batches_tracked_.device());
    num_batches_tracked_.copy_from(next);
  }
  return y;
}

OnnxValue BatchNorm2d::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  // Inputs X, scale, B, input_mean, input_var; training_mode 0 (the default)
  // normalises with the running statistics, as astrocnn's eval mode does.
  std::vector<std::string> inputs = {x.name};
  const char* const names[] = {"weight", "bias", "running_mean", "running_var"};
  const Tensor* tensors[] = {&weight_, &bias_, &running_mean_, &running_var_};
  for (int i = 0; i < 4; ++i)
    inputs.push_back(g.add_initializer(path + "." + names[i], *tensors[i]));
  return {g.add_node("BatchNormalization", path, inputs, {onnx_float("epsilon", eps_)}),
          forward(x.probe)};
}

}  // namespace astrocnn
