// The CPU backend built on oneDNN (Debian's libdnnl, the 2.x C++ API).
//
// oneDNN runs the compute-heavy ops (convolution, pooling, inner product,
// batch norm, softmax, sigmoid, add); the ops it lacks or gets subtly
// different from the interface (maxout, dropout, SGD, fill, scale, ReLU's NaN
// rule) are plain loops, and the losses, which are tiny, are delegated to the
// reference backend. Only float32 reaches this backend:
// backend_for() sends float64 tensors to the reference backend.
//
// This header is free of oneDNN types so that anything may include it; the
// oneDNN plumbing (engine, stream, primitive cache) lives in dnnl_context.h.
// Calls are serialised by one mutex (the cached primitives own scratch
// buffers); oneDNN parallelises inside each call.
#pragma once
#include <cstddef>

#include "kernels/backend.h"

namespace astrocnn {

// oneDNN's thread count. Debian's oneDNN uses OpenMP, so this sets OpenMP's
// default team size for the calling thread (OMP_NUM_THREADS gives the initial
// value) and drops the cached primitives, which oneDNN tunes for a thread count.
void set_cpu_threads(int threads);
int cpu_threads();

// How many op/shape entries the primitive cache holds (tests check that a
// repeated call builds nothing new).
size_t cpu_primitive_cache_size();

class OneDnnBackend final : public Backend {
 public:
  std::string name() const override { return "cpu-onednn"; }
  Device device() const override { return Device::CPU; }

  // loops.cpp
  void fill(Tensor& y, double value) override;
  void scale(const Tensor& x, double alpha, Tensor& y) override;
  void maxout_forward(int64_t k, const Tensor& x, Tensor& y) override;
  void maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) override;
  void dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x, Tensor& y,
                       Tensor& mask) override;
  void dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) override;
  void sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad, Tensor& velocity) override;

  // eltwise.cpp
  void add(const Tensor& a, const Tensor& b, Tensor& y) override;
  void relu_forward(const Tensor& x, Tensor& y) override;
  void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) override;
  void sigmoid_forward(const Tensor& x, Tensor& y) override;
  void sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) override;

  // softmax.cpp
  void softmax_forward(const Tensor& x, Tensor& y) override;

  // conv.cpp
  void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor* bias,
                      Tensor& y) override;
  void conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                            Tensor& dx) override;
  void conv2d_backward_weights(const Conv2dParams& p, const Tensor& x, const Tensor& dy,
                               Tensor& dw, Tensor* dbias) override;

  // pool.cpp
  void max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) override;
  void max_pool2d_backward(const Pool2dParams& p, const Tensor& x, const Tensor& dy,
                           Tensor& dx) override;
  void avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) override;
  void avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) override;
  void global_avg_pool_forward(const Tensor& x, Tensor& y) override;
  void global_avg_pool_backward(const Tensor& dy, Tensor& dx) override;

  // dense.cpp
  void dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) override;
  void dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) override;
  void dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor* dbias) override;

  // batchnorm.cpp
  void batch_norm_forward_train(const BatchNormParams& p, const Tensor& x, const Tensor& gamma,
                                const Tensor& beta, Tensor& running_mean, Tensor& running_var,
                                Tensor& y, Tensor& save_mean, Tensor& save_invstd) override;
  void batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x, const Tensor& gamma,
                               const Tensor& beta, const Tensor& running_mean,
                               const Tensor& running_var, Tensor& y) override;
  void batch_norm_backward(const BatchNormParams& p, const Tensor& x, const Tensor& dy,
                           const Tensor& gamma, const Tensor& save_mean, const Tensor& save_invstd,
                           Tensor& dx, Tensor& dgamma, Tensor& dbeta) override;

  // loss.cpp (delegated to the reference backend)
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
};

// The process-wide instance (kernels/backend.cpp's backend_for(Device::CPU) returns it).
Backend& onednn_backend();

}  // namespace astrocnn
