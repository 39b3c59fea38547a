#include "bench/recording_backend.h"

namespace astrocnn::bench {

// ---- the two recorded ops: note the shape, then pass through ----

void RecordingBackend::conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w,
                                      const Tensor* bias, Tensor& y) {
  convs_.push_back(p);
  inner_.conv2d_forward(p, x, w, bias, y);
}

void RecordingBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias,
                                     Tensor& y) {
  denses_.push_back(DenseShape{x.size(0), x.size(1), w.size(0)});
  inner_.dense_forward(x, w, bias, y);
}

// ---- every other op passes straight through, in the table's order ----
// (C++ cannot forward a parameter list without naming its parameters, so
// these are written out; the declarations come from the table, and a
// missing one here fails to link.)

void RecordingBackend::fill(Tensor& y, double value) { inner_.fill(y, value); }
void RecordingBackend::add(const Tensor& a, const Tensor& b, Tensor& y) { inner_.add(a, b, y); }
void RecordingBackend::scale(const Tensor& x, double alpha, Tensor& y) { inner_.scale(x, alpha, y); }

void RecordingBackend::conv2d_backward_data(const Conv2dParams& p, const Tensor& dy,
                                            const Tensor& w, Tensor& dx) {
  inner_.conv2d_backward_data(p, dy, w, dx);
}
void RecordingBackend::conv2d_backward_weights(const Conv2dParams& p, const Tensor& x,
                                               const Tensor& dy, Tensor& dw, Tensor* dbias) {
  inner_.conv2d_backward_weights(p, x, dy, dw, dbias);
}

void RecordingBackend::max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  inner_.max_pool2d_forward(p, x, y);
}
void RecordingBackend::max_pool2d_backward(const Pool2dParams& p, const Tensor& x,
                                           const Tensor& dy, Tensor& dx) {
  inner_.max_pool2d_backward(p, x, dy, dx);
}
void RecordingBackend::avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  inner_.avg_pool2d_forward(p, x, y);
}
void RecordingBackend::avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) {
  inner_.avg_pool2d_backward(p, dy, dx);
}
void RecordingBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  inner_.global_avg_pool_forward(x, y);
}
void RecordingBackend::global_avg_pool_backward(const Tensor& dy, Tensor& dx) {
  inner_.global_avg_pool_backward(dy, dx);
}

void RecordingBackend::dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  inner_.dense_backward_data(dy, w, dx);
}
void RecordingBackend::dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw,
                                              Tensor* dbias) {
  inner_.dense_backward_weights(x, dy, dw, dbias);
}

void RecordingBackend::relu_forward(const Tensor& x, Tensor& y) { inner_.relu_forward(x, y); }
void RecordingBackend::relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  inner_.relu_backward(y, dy, dx);
}
void RecordingBackend::sigmoid_forward(const Tensor& x, Tensor& y) { inner_.sigmoid_forward(x, y); }
void RecordingBackend::sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  inner_.sigmoid_backward(y, dy, dx);
}
void RecordingBackend::softmax_forward(const Tensor& x, Tensor& y) { inner_.softmax_forward(x, y); }
void RecordingBackend::leaky_relu_forward(double slope, const Tensor& x, Tensor& y) {
  inner_.leaky_relu_forward(slope, x, y);
}
void RecordingBackend::leaky_relu_backward(double slope, const Tensor& y, const Tensor& dy,
                                           Tensor& dx) {
  inner_.leaky_relu_backward(slope, y, dy, dx);
}

void RecordingBackend::maxout_forward(int64_t k, const Tensor& x, Tensor& y) {
  inner_.maxout_forward(k, x, y);
}
void RecordingBackend::maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) {
  inner_.maxout_backward(k, x, dy, dx);
}

void RecordingBackend::dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x,
                                       Tensor& y, Tensor& mask) {
  inner_.dropout_forward(p, seed, offset, x, y, mask);
}
void RecordingBackend::dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) {
  inner_.dropout_backward(mask, dy, dx);
}

void RecordingBackend::batch_norm_forward_train(const BatchNormParams& p, const Tensor& x,
                                                const Tensor& gamma, const Tensor& beta,
                                                Tensor& running_mean, Tensor& running_var,
                                                Tensor& y, Tensor& save_mean, Tensor& save_invstd) {
  inner_.batch_norm_forward_train(p, x, gamma, beta, running_mean, running_var, y, save_mean,
                                  save_invstd);
}
void RecordingBackend::batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x,
                                               const Tensor& gamma, const Tensor& beta,
                                               const Tensor& running_mean,
                                               const Tensor& running_var, Tensor& y) {
  inner_.batch_norm_forward_eval(p, x, gamma, beta, running_mean, running_var, y);
}
void RecordingBackend::batch_norm_backward(const BatchNormParams& p, const Tensor& x,
                                           const Tensor& dy, const Tensor& gamma,
                                           const Tensor& save_mean, const Tensor& save_invstd,
                                           Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  inner_.batch_norm_backward(p, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

void RecordingBackend::softmax_xent_forward(const Tensor& logits, const Tensor& labels,
                                            Tensor& probs, Tensor& loss) {
  inner_.softmax_xent_forward(logits, labels, probs, loss);
}
void RecordingBackend::softmax_xent_backward(const Tensor& probs, const Tensor& labels,
                                             const Tensor& gloss, Tensor& dlogits) {
  inner_.softmax_xent_backward(probs, labels, gloss, dlogits);
}
void RecordingBackend::mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  inner_.mse_forward(pred, target, loss);
}
void RecordingBackend::mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                    Tensor& dpred) {
  inner_.mse_backward(pred, target, gloss, dpred);
}
void RecordingBackend::cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  inner_.cosine_loss_forward(pred, target, loss);
}
void RecordingBackend::cosine_loss_backward(const Tensor& pred, const Tensor& target,
                                            const Tensor& gloss, Tensor& dpred) {
  inner_.cosine_loss_backward(pred, target, gloss, dpred);
}

void RecordingBackend::sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad,
                                  Tensor& velocity) {
  inner_.sgd_update(p, param, grad, velocity);
}

// ---- the scope that installs a recorder ----

RecordingScope::RecordingScope(RecordingBackend& recorder)
    : reference_was_forced_(reference_backend_forced()) {
  // backend_for() returns the reference backend before any registered one
  // while it is forced; the recorder already wraps it in that case.
  force_reference_backend(false);
  register_backend(Device::CPU, &recorder);
}

RecordingScope::~RecordingScope() {
  register_backend(Device::CPU, nullptr);
  force_reference_backend(reference_was_forced_);
}

}  // namespace astrocnn::bench
