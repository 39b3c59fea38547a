// The op interface every backend implements: reference (plain loops, the
// oracle), cpu (oneDNN) and cuda (hand-written kernels).
//
// Conventions, the same for every backend:
// - Callers (core/ops/*.cpp) validate shapes and allocate every output; a
//   kernel writes every element of its outputs (tests poison them with NaN
//   first) and never resizes anything.
// - Backward kernels OVERWRITE their gradient outputs; autograd does the summing.
// - All tensors of one call live on the backend's device and share a dtype
//   (labels are int64). The reference backend takes float32 and float64.
// - A backend that lacks an op inherits the default, which throws
//   NotImplemented naming the op; test harnesses report that as SKIP.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "kernels/params.h"

namespace astrocnn {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Device device() const = 0;

  // ---- elementwise / memory ----
  virtual void fill(Tensor& y, double value);
  virtual void add(const Tensor& a, const Tensor& b, Tensor& y);  // y = a + b (residual add)
  virtual void scale(const Tensor& x, double alpha, Tensor& y);   // y = alpha * x

  // ---- convolution ----
  virtual void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w,
                              const Tensor* bias, Tensor& y);
  virtual void conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                                    Tensor& dx);
  virtual void conv2d_backward_weights(const Conv2dParams& p, const Tensor& x, const Tensor& dy,
                                       Tensor& dw, Tensor* dbias);

  // ---- pooling ----
  virtual void max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y);
  virtual void max_pool2d_backward(const Pool2dParams& p, const Tensor& x, const Tensor& dy,
                                   Tensor& dx);
  virtual void avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y);
  virtual void avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx);
  virtual void global_avg_pool_forward(const Tensor& x, Tensor& y);    // [N,C,H,W] -> [N,C]
  virtual void global_avg_pool_backward(const Tensor& dy, Tensor& dx);  // [N,C] -> [N,C,H,W]

  // ---- dense (linear): x [N,I], w [O,I], bias [O], y [N,O] ----
  virtual void dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y);
  virtual void dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx);
  virtual void dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw, Tensor* dbias);

  // ---- activations (backward uses the forward output y) ----
  virtual void relu_forward(const Tensor& x, Tensor& y);
  virtual void relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx);
  virtual void sigmoid_forward(const Tensor& x, Tensor& y);
  virtual void sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx);
  virtual void softmax_forward(const Tensor& x, Tensor& y);  // rows of [N,C]

  // ---- maxout: x [N, n*k, ...] -> y [N, n, ...]; output j is the max of
  // inputs j*k .. j*k+k-1 along dimension 1 (consecutive groups). Ties go to
  // the first maximum, in forward and backward alike; a NaN in a group wins.
  virtual void maxout_forward(int64_t k, const Tensor& x, Tensor& y);
  virtual void maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx);

  // ---- dropout (inverted): element i is kept when philox::uniform(seed, offset + i) >= p
  // (the float uniform compared with p in double),
  // and then scaled by 1/(1-p). mask holds 0 or 1/(1-p) per element.
  virtual void dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x,
                               Tensor& y, Tensor& mask);
  virtual void dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx);

  // ---- batch norm over [N,C,H,W] (or [N,C]) per channel ----
  // Training: normalise with batch statistics (biased variance), save the mean
  // and 1/sqrt(var+eps) for backward, and update running_mean/var in place
  // (running variance uses the unbiased estimate, as PyTorch does).
  virtual void batch_norm_forward_train(const BatchNormParams& p, const Tensor& x,
                                        const Tensor& gamma, const Tensor& beta,
                                        Tensor& running_mean, Tensor& running_var, Tensor& y,
                                        Tensor& save_mean, Tensor& save_invstd);
  virtual void batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x,
                                       const Tensor& gamma, const Tensor& beta,
                                       const Tensor& running_mean, const Tensor& running_var,
                                       Tensor& y);
  virtual void batch_norm_backward(const BatchNormParams& p, const Tensor& x, const Tensor& dy,
                                   const Tensor& gamma, const Tensor& save_mean,
                                   const Tensor& save_invstd, Tensor& dx, Tensor& dgamma,
                                   Tensor& dbeta);

  // ---- losses: forward writes a one-element `loss`; backward scales by the
  // one-element upstream gradient `gloss` ----
  // Softmax + cross-entropy, fused: logits [N,C], labels int64 [N]; mean over N.
  // probs [N,C] is saved for backward.
  virtual void softmax_xent_forward(const Tensor& logits, const Tensor& labels, Tensor& probs,
                                    Tensor& loss);
  virtual void softmax_xent_backward(const Tensor& probs, const Tensor& labels,
                                     const Tensor& gloss, Tensor& dlogits);
  // Mean squared error over all elements; RMSE = sqrt(MSE).
  virtual void mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss);
  virtual void mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                            Tensor& dpred);
  // Cosine-similarity loss: mean over rows of 1 - cos(pred_i, target_i), rows of [N,K].
  // A row whose prediction or target has norm below 1e-12 has cos = 0 (loss 1)
  // and receives zero gradient.
  virtual void cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss);
  virtual void cosine_loss_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                    Tensor& dpred);

  // ---- optimiser: one fused SGD step on a parameter, in place ----
  virtual void sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad, Tensor& velocity);

 protected:
  [[noreturn]] void missing(const char* op) const;
};

// ---- registry ----
// The backend that runs ops on tensors of this device: for CPU the oneDNN
// backend when built, unless the reference backend is forced by
// ASTROCNN_BACKEND=reference or force_reference_backend(true).
Backend& backend_for(Device d);
Backend& reference_backend();
// Float64 tensors on the CPU always run on the reference backend (the only
// one that takes double), which is how gradient checks run in double.
inline Backend& backend_for(const Tensor& t) {
  if (t.device() == Device::CPU && t.dtype() != DType::F32) return reference_backend();
  return backend_for(t.device());
}
void register_backend(Device d, Backend* backend);  // not owned; nullptr unregisters
void force_reference_backend(bool on);
bool reference_backend_forced();

// RAII: run everything on the reference backend while alive (tests, oracles).
class ReferenceBackendGuard {
 public:
  ReferenceBackendGuard() : previous_(reference_backend_forced()) { force_reference_backend(true); }
  ~ReferenceBackendGuard() { force_reference_backend(previous_); }

 private:
  bool previous_;
};

}  // namespace astrocnn
