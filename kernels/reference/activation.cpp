// Reference kernels: ReLU, leaky ReLU, sigmoid, SiLU, row softmax.
#include <algorithm>
#include <cmath>

#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// NaN propagates through ReLU (max(NaN, 0) would hide it): x > 0 is false for
// NaN, so the explicit test keeps it.
template <class T>
void relu_forward_ref(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] > T(0) || std::isnan(x[i])) ? x[i] : T(0);
}

// Gradient passes where the output is positive (at exactly 0 it is 0, as in PyTorch).
template <class T>
void relu_backward_ref(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

// The slope is applied in the tensor's type, as every backend does.
template <class T>
void leaky_relu_forward_ref(T slope, const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}

template <class T>
void leaky_relu_backward_ref(T slope, const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : slope * dy[i];
}

// Written in the two branches that never overflow exp().
template <class T>
void sigmoid_forward_ref(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    } else {
      T e = std::exp(x[i]);
      y[i] = e / (T(1) + e);
    }
  }
}

template <class T>
void sigmoid_backward_ref(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
}

// SiLU as PyTorch computes it: x / (1 + exp(-x)). For x below about -88
// exp(-x) overflows to infinity and y is -0, the limit; x = -inf gives NaN.
template <class T>
void silu_forward_ref(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (T(1) + std::exp(-x[i]));
}

// d/dx [x s(x)] = s + x s (1 - s), with the overflow-free sigmoid.
template <class T>
void silu_backward_ref(const T* x, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T s;
    sigmoid_forward_ref(&x[i], &s, 1);
    dx[i] = dy[i] * s * (T(1) + x[i] * (T(1) - s));
  }
}

// Stable softmax: subtract the row maximum before exp().
template <class T>
void softmax_forward_ref(const T* x, T* y, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + n * C;
    T* yr = y + n * C;
    T m = xr[0];
    for (int64_t c = 1; c < C; ++c) m = std::max(m, xr[c]);
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(xr[c]) - m);
    for (int64_t c = 0; c < C; ++c) yr[c] = static_cast<T>(std::exp(static_cast<double>(xr[c]) - m) / sum);
  }
}

}  // namespace

void ReferenceBackend::relu_forward(const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T, relu_forward_ref(x.data<T>(), y.data<T>(), x.numel()));
}
void ReferenceBackend::relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T,
                           relu_backward_ref(y.data<T>(), dy.data<T>(), dx.data<T>(), y.numel()));
}
void ReferenceBackend::leaky_relu_forward(double slope, const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           leaky_relu_forward_ref(static_cast<T>(slope), x.data<T>(), y.data<T>(), x.numel()));
}
void ReferenceBackend::leaky_relu_backward(double slope, const Tensor& y, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T,
                           leaky_relu_backward_ref(static_cast<T>(slope), y.data<T>(), dy.data<T>(),
                                                   dx.data<T>(), y.numel()));
}
void ReferenceBackend::sigmoid_forward(const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T, sigmoid_forward_ref(x.data<T>(), y.data<T>(), x.numel()));
}
void ReferenceBackend::sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T,
                           sigmoid_backward_ref(y.data<T>(), dy.data<T>(), dx.data<T>(), y.numel()));
}
void ReferenceBackend::silu_forward(const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T, silu_forward_ref(x.data<T>(), y.data<T>(), x.numel()));
}
void ReferenceBackend::silu_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           silu_backward_ref(x.data<T>(), dy.data<T>(), dx.data<T>(), x.numel()));
}
void ReferenceBackend::softmax_forward(const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           softmax_forward_ref(x.data<T>(), y.data<T>(), x.size(0), x.size(1)));
}

}  // namespace astrocnn
