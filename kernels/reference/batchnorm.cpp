// Reference kernels: batch normalisation (Ioffe & Szegedy, 2015).
//
// x is viewed as [N, C, HW] (HW = 1 for [N,C] inputs). Each channel c is
// normalised over its m = N*HW values:
//   xhat = (x - mean_c) * invstd_c,   invstd_c = 1 / sqrt(var_c + eps)
//   y    = gamma_c * xhat + beta_c
// Training uses the batch mean and the BIASED batch variance (divide by m),
// eval uses the running statistics. Sums accumulate in double; the variance
// is computed in two passes (sum of squared deviations from the mean), which
// does not cancel catastrophically when |mean| >> std.
#include <cmath>

#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// Where element (n, c, s) of a [N, C, HW] tensor lives.
struct ChannelLayout {
  int64_t N, C, HW;
  int64_t at(int64_t n, int64_t c, int64_t s) const { return (n * C + c) * HW + s; }
  int64_t per_channel() const { return N * HW; }
};

template <class T>
void batch_norm_forward_train_ref(const BatchNormParams& p, const T* x, const T* gamma,
                                  const T* beta, T* running_mean, T* running_var, T* y,
                                  T* save_mean, T* save_invstd) {
  const ChannelLayout L{p.N, p.C, p.HW};
  const double m = static_cast<double>(L.per_channel());  // > 1, checked by ops::batch_norm
  for (int64_t c = 0; c < L.C; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) sum += x[L.at(n, c, s)];
    const double mean = sum / m;

    double squared_deviations = 0;
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) {
        const double d = x[L.at(n, c, s)] - mean;
        squared_deviations += d * d;
      }
    const double biased_var = squared_deviations / m;
    const double invstd = 1.0 / std::sqrt(biased_var + p.eps);

    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) {
        const int64_t i = L.at(n, c, s);
        y[i] = static_cast<T>((x[i] - mean) * invstd * gamma[c] + beta[c]);
      }
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);

    // PyTorch's convention: running = (1 - momentum) * running + momentum * batch,
    // with the UNBIASED variance, an estimate of the population variance for eval.
    const double unbiased_var = squared_deviations / (m - 1);
    running_mean[c] = static_cast<T>((1 - p.momentum) * running_mean[c] + p.momentum * mean);
    running_var[c] = static_cast<T>((1 - p.momentum) * running_var[c] + p.momentum * unbiased_var);
  }
}

template <class T>
void batch_norm_forward_eval_ref(const BatchNormParams& p, const T* x, const T* gamma,
                                 const T* beta, const T* running_mean, const T* running_var,
                                 T* y) {
  const ChannelLayout L{p.N, p.C, p.HW};
  for (int64_t c = 0; c < L.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + p.eps);
    const double mean = running_mean[c];
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) {
        const int64_t i = L.at(n, c, s);
        y[i] = static_cast<T>((x[i] - mean) * invstd * gamma[c] + beta[c]);
      }
  }
}

// With g = dy, xhat as in the forward and sums over the m values of a channel:
//   dbeta  = sum g
//   dgamma = sum g * xhat
//   dx     = gamma * invstd * (g - dbeta / m - xhat * dgamma / m)   (batch statistics)
//   dx     = gamma * invstd * g                                     (fixed running statistics)
// The two extra terms of the training formula are the gradient flowing
// through the batch mean and variance, which depend on every x of the channel.
template <class T>
void batch_norm_backward_ref(const BatchNormParams& p, const T* x, const T* dy, const T* gamma,
                             const T* save_mean, const T* save_invstd, T* dx, T* dgamma,
                             T* dbeta) {
  const ChannelLayout L{p.N, p.C, p.HW};
  const double m = static_cast<double>(L.per_channel());
  for (int64_t c = 0; c < L.C; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) {
        const int64_t i = L.at(n, c, s);
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * ((x[i] - mean) * invstd);
      }
    dbeta[c] = static_cast<T>(sum_dy);
    dgamma[c] = static_cast<T>(sum_dy_xhat);

    const double scale = gamma[c] * invstd;
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.HW; ++s) {
        const int64_t i = L.at(n, c, s);
        double g = dy[i];
        if (p.use_batch_stats) {
          const double xhat = (x[i] - mean) * invstd;
          g -= sum_dy / m + xhat * sum_dy_xhat / m;
        }
        dx[i] = static_cast<T>(scale * g);
      }
  }
}

}  // namespace

void ReferenceBackend::batch_norm_forward_train(const BatchNormParams& p, const Tensor& x,
                                                const Tensor& gamma, const Tensor& beta,
                                                Tensor& running_mean, Tensor& running_var,
                                                Tensor& y, Tensor& save_mean,
                                                Tensor& save_invstd) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           batch_norm_forward_train_ref(
                               p, x.data<T>(), gamma.data<T>(), beta.data<T>(),
                               running_mean.data<T>(), running_var.data<T>(), y.data<T>(),
                               save_mean.data<T>(), save_invstd.data<T>()));
}

void ReferenceBackend::batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x,
                                               const Tensor& gamma, const Tensor& beta,
                                               const Tensor& running_mean,
                                               const Tensor& running_var, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           batch_norm_forward_eval_ref(p, x.data<T>(), gamma.data<T>(),
                                                       beta.data<T>(), running_mean.data<T>(),
                                                       running_var.data<T>(), y.data<T>()));
}

void ReferenceBackend::batch_norm_backward(const BatchNormParams& p, const Tensor& x,
                                           const Tensor& dy, const Tensor& gamma,
                                           const Tensor& save_mean, const Tensor& save_invstd,
                                           Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           batch_norm_backward_ref(p, x.data<T>(), dy.data<T>(), gamma.data<T>(),
                                                   save_mean.data<T>(), save_invstd.data<T>(),
                                                   dx.data<T>(), dgamma.data<T>(),
                                                   dbeta.data<T>()));
}

}  // namespace astrocnn
