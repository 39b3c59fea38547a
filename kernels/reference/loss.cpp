// Reference kernels: the loss functions (softmax cross-entropy, mean squared
// error, cosine-similarity loss). Every sum accumulates in double.
//
// Each forward writes one element, the mean loss; each backward reads the
// one-element upstream gradient `gloss` and overwrites dpred/dlogits.
// NaN in an input reaches the loss (the NaN policy of core/ops.h): none of the
// loops below skips or clamps a NaN.
#include <cmath>

#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// Cosine-loss rows whose prediction or target norm is below this count as
// "no direction": cos = 0 (loss 1) and zero gradient (kernels/backend.h).
constexpr double kMinNorm = 1e-12;

// The row maximum, NaN if the row holds a NaN. (A plain std::max chain can
// skip a NaN; the NaN would still reach the sum of exponentials, but saying
// so explicitly keeps that guarantee from resting on a detail.)
template <class T>
double row_max(const T* x, int64_t C) {
  double m = x[0];
  for (int64_t c = 1; c < C; ++c)
    if (std::isnan(static_cast<double>(x[c])) || x[c] > m) m = x[c];
  return m;
}

// loss_n = log(sum_c exp(x_nc)) - x_n,label, computed as
// m + log(sum_c exp(x_nc - m)) with m the row maximum, so that exp() never
// overflows (logits of +-1000 stay finite). probs = exp(x - m) / sum.
template <class T>
void softmax_xent_forward_ref(const T* logits, const int64_t* labels, T* probs, T* loss,
                              int64_t N, int64_t C) {
  double total = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* x = logits + n * C;
    T* p = probs + n * C;
    double m = row_max(x, C);
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(x[c]) - m);
    double log_sum_exp = m + std::log(sum);
    total += log_sum_exp - static_cast<double>(x[labels[n]]);
    for (int64_t c = 0; c < C; ++c) p[c] = static_cast<T>(std::exp(static_cast<double>(x[c]) - m) / sum);
  }
  loss[0] = static_cast<T>(total / static_cast<double>(N));
}

// d(mean loss)/dx_nc = (probs_nc - [c == label_n]) / N, times the upstream gradient.
template <class T>
void softmax_xent_backward_ref(const T* probs, const int64_t* labels, double gloss, T* dlogits,
                               int64_t N, int64_t C) {
  double scale = gloss / static_cast<double>(N);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      double onehot = c == labels[n] ? 1.0 : 0.0;
      dlogits[n * C + c] = static_cast<T>(scale * (static_cast<double>(probs[n * C + c]) - onehot));
    }
}

template <class T>
void mse_forward_ref(const T* pred, const T* target, T* loss, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double diff = static_cast<double>(pred[i]) - target[i];
    sum += diff * diff;
  }
  loss[0] = static_cast<T>(sum / static_cast<double>(n));
}

// d/dpred_i of mean (pred - target)^2 = 2 (pred_i - target_i) / n.
template <class T>
void mse_backward_ref(const T* pred, const T* target, double gloss, T* dpred, int64_t n) {
  double scale = 2.0 * gloss / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    dpred[i] = static_cast<T>(scale * (static_cast<double>(pred[i]) - target[i]));
}

// The dot product and both norms of one row pair.
struct RowGeometry {
  double dot = 0, pred_norm = 0, target_norm = 0;
  // Written as "norm < min" so that a NaN norm is NOT degenerate: NaN then
  // flows into cos and the loss instead of being replaced by the loss 1.
  bool degenerate() const { return pred_norm < kMinNorm || target_norm < kMinNorm; }
  double cos() const { return degenerate() ? 0.0 : dot / (pred_norm * target_norm); }
};

template <class T>
RowGeometry row_geometry(const T* p, const T* t, int64_t K) {
  RowGeometry g;
  double pp = 0, tt = 0;
  for (int64_t k = 0; k < K; ++k) {
    g.dot += static_cast<double>(p[k]) * t[k];
    pp += static_cast<double>(p[k]) * p[k];
    tt += static_cast<double>(t[k]) * t[k];
  }
  g.pred_norm = std::sqrt(pp);
  g.target_norm = std::sqrt(tt);
  return g;
}

template <class T>
void cosine_loss_forward_ref(const T* pred, const T* target, T* loss, int64_t N, int64_t K) {
  double total = 0;
  for (int64_t n = 0; n < N; ++n) total += 1.0 - row_geometry(pred + n * K, target + n * K, K).cos();
  loss[0] = static_cast<T>(total / static_cast<double>(N));
}

// With cos = p.t / (|p| |t|):  d cos / dp = t / (|p| |t|) - cos p / |p|^2,
// so d(1 - cos)/dp is its negative; each row carries a 1/N from the mean.
template <class T>
void cosine_loss_backward_ref(const T* pred, const T* target, double gloss, T* dpred, int64_t N,
                              int64_t K) {
  double scale = gloss / static_cast<double>(N);
  for (int64_t n = 0; n < N; ++n) {
    const T* p = pred + n * K;
    const T* t = target + n * K;
    T* d = dpred + n * K;
    RowGeometry g = row_geometry(p, t, K);
    if (g.degenerate()) {
      for (int64_t k = 0; k < K; ++k) d[k] = T(0);
      continue;
    }
    double cos = g.cos();
    double inv_norms = 1.0 / (g.pred_norm * g.target_norm);
    double inv_pred_sq = 1.0 / (g.pred_norm * g.pred_norm);
    for (int64_t k = 0; k < K; ++k) {
      double dcos = static_cast<double>(t[k]) * inv_norms - cos * static_cast<double>(p[k]) * inv_pred_sq;
      d[k] = static_cast<T>(-scale * dcos);
    }
  }
}

}  // namespace

void ReferenceBackend::softmax_xent_forward(const Tensor& logits, const Tensor& labels,
                                            Tensor& probs, Tensor& loss) {
  ASTRO_REFERENCE_DISPATCH(logits.dtype(), T,
                           softmax_xent_forward_ref(logits.data<T>(), labels.data<int64_t>(),
                                                    probs.data<T>(), loss.data<T>(),
                                                    logits.size(0), logits.size(1)));
}

void ReferenceBackend::softmax_xent_backward(const Tensor& probs, const Tensor& labels,
                                             const Tensor& gloss, Tensor& dlogits) {
  ASTRO_REFERENCE_DISPATCH(probs.dtype(), T,
                           softmax_xent_backward_ref(probs.data<T>(), labels.data<int64_t>(),
                                                     static_cast<double>(gloss.data<T>()[0]),
                                                     dlogits.data<T>(), probs.size(0),
                                                     probs.size(1)));
}

void ReferenceBackend::mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  ASTRO_REFERENCE_DISPATCH(pred.dtype(), T,
                           mse_forward_ref(pred.data<T>(), target.data<T>(), loss.data<T>(),
                                           pred.numel()));
}

void ReferenceBackend::mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                    Tensor& dpred) {
  ASTRO_REFERENCE_DISPATCH(pred.dtype(), T,
                           mse_backward_ref(pred.data<T>(), target.data<T>(),
                                            static_cast<double>(gloss.data<T>()[0]),
                                            dpred.data<T>(), pred.numel()));
}

void ReferenceBackend::cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  ASTRO_REFERENCE_DISPATCH(pred.dtype(), T,
                           cosine_loss_forward_ref(pred.data<T>(), target.data<T>(), loss.data<T>(),
                                                   pred.size(0), pred.size(1)));
}

void ReferenceBackend::cosine_loss_backward(const Tensor& pred, const Tensor& target,
                                            const Tensor& gloss, Tensor& dpred) {
  ASTRO_REFERENCE_DISPATCH(pred.dtype(), T,
                           cosine_loss_backward_ref(pred.data<T>(), target.data<T>(),
                                                    static_cast<double>(gloss.data<T>()[0]),
                                                    dpred.data<T>(), pred.size(0), pred.size(1)));
}

}  // namespace astrocnn
