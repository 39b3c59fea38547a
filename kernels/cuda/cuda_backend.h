// The CUDA backend: hand-written kernels, float32 only. Its methods are
// defined next to the kernels they launch, one op family per .cu file in this
// directory (elementwise, activation, dense, conv2d, pool, maxout, dropout,
// batchnorm, loss, sgd). Every launch goes to the one stream of runtime.cu, so
// kernels, copies and the caching allocator's reuse of freed blocks are
// ordered without further synchronisation.
#pragma once
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"

namespace astrocnn {

class CudaBackend final : public Backend {
 public:
  std::string name() const override { return "cuda"; }
  Device device() const override { return Device::CUDA; }

  void fill(Tensor& y, double value) override;
  void add(const Tensor& a, const Tensor& b, Tensor& y) override;
  void scale(const Tensor& x, double alpha, Tensor& y) override;

  void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor* bias,
                      Tensor& y) override;
  void conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                            Tensor& dx) override;
  void conv2d_backward_weights(const Conv2dParams& p, const Tensor& x, const Tensor& dy,
                               Tensor& dw, Tensor* dbias) override;

  void max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) override;
  void max_pool2d_backward(const Pool2dParams& p, const Tensor& x, const Tensor& dy,
                           Tensor& dx) override;
  void avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) override;
  void avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) override;
  void global_avg_pool_forward(const Tensor& x, Tensor& y) override;
  void global_avg_pool_backward(const Tensor& dy, Tensor& dx) override;

  void dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) override;
  void dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) override;
  void dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor* dbias) override;

  void relu_forward(const Tensor& x, Tensor& y) override;
  void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) override;
  void sigmoid_forward(const Tensor& x, Tensor& y) override;
  void sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) override;
  void softmax_forward(const Tensor& x, Tensor& y) override;

  void maxout_forward(int64_t k, const Tensor& x, Tensor& y) override;
  void maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) override;

  void dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x, Tensor& y,
                       Tensor& mask) override;
  void dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) override;

  void batch_norm_forward_train(const BatchNormParams& p, const Tensor& x, const Tensor& gamma,
                                const Tensor& beta, Tensor& running_mean, Tensor& running_var,
                                Tensor& y, Tensor& save_mean, Tensor& save_invstd) override;
  void batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x, const Tensor& gamma,
                               const Tensor& beta, const Tensor& running_mean,
                               const Tensor& running_var, Tensor& y) override;
  void batch_norm_backward(const BatchNormParams& p, const Tensor& x, const Tensor& dy,
                           const Tensor& gamma, const Tensor& save_mean, const Tensor& save_invstd,
                           Tensor& dx, Tensor& dgamma, Tensor& dbeta) override;

  void softmax_xent_forward(const Tensor& logits, const Tensor& labels, Tensor& probs,
                            Tensor& loss) override;
  void softmax_xent_backward(const Tensor& probs, const Tensor& labels, const Tensor& gloss,
                             Tensor& dlogits) override;
  void mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss) override;
  void mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                    Tensor& dpred) override;
  void cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss) override;
  void cosine_loss_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                            Tensor& dpred) override;

  void sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad, Tensor& velocity) override;
};

}  // namespace astrocnn
