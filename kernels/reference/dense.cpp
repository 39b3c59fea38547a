// Reference kernels: dense (fully connected) layer, y = x w^T + b.
// x [N,I], w [O,I] (PyTorch's Linear layout), b [O], y [N,O].
// Sums accumulate in double whatever T is, so the oracle is not limited by
// float32 rounding on long dot products. Under a narrow math precision the
// operands are rounded to it first (kernels/precision.h), as in conv2d.cpp.
#include "kernels/precision.h"
#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

template <class T>
void dense_forward_ref(const T* x, const T* w, const T* b, T* y, int64_t N, int64_t I, int64_t O) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      double acc = b ? b[o] : 0.0;
      for (int64_t i = 0; i < I; ++i) acc += static_cast<double>(x[n * I + i]) * w[o * I + i];
      y[n * O + o] = static_cast<T>(acc);
    }
}

// dx[n,i] = sum_o dy[n,o] w[o,i]
template <class T>
void dense_backward_data_ref(const T* dy, const T* w, T* dx, int64_t N, int64_t I, int64_t O) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < I; ++i) {
      double acc = 0;
      for (int64_t o = 0; o < O; ++o) acc += static_cast<double>(dy[n * O + o]) * w[o * I + i];
      dx[n * I + i] = static_cast<T>(acc);
    }
}

// dw[o,i] = sum_n dy[n,o] x[n,i];  db[o] = sum_n dy[n,o]
template <class T>
void dense_backward_weights_ref(const T* x, const T* dy, T* dw, T* db, int64_t N, int64_t I,
                                int64_t O) {
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t i = 0; i < I; ++i) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) acc += static_cast<double>(dy[n * O + o]) * x[n * I + i];
      dw[o * I + i] = static_cast<T>(acc);
    }
    if (db) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) acc += dy[n * O + o];
      db[o] = static_cast<T>(acc);
    }
  }
}

}  // namespace

void ReferenceBackend::dense_forward(const Tensor& x_in, const Tensor& w_in, const Tensor* bias,
                                     Tensor& y) {
  const Tensor x = rounded_to_math_precision(x_in), w = rounded_to_math_precision(w_in);
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           dense_forward_ref(x.data<T>(), w.data<T>(), bias ? bias->data<T>() : nullptr,
                                             y.data<T>(), x.size(0), x.size(1), w.size(0)));
}

void ReferenceBackend::dense_backward_data(const Tensor& dy_in, const Tensor& w_in, Tensor& dx) {
  const Tensor dy = rounded_to_math_precision(dy_in), w = rounded_to_math_precision(w_in);
  ASTRO_REFERENCE_DISPATCH(dy.dtype(), T,
                           dense_backward_data_ref(dy.data<T>(), w.data<T>(), dx.data<T>(),
                                                   dx.size(0), dx.size(1), w.size(0)));
}

void ReferenceBackend::dense_backward_weights(const Tensor& x_in, const Tensor& dy_in, Tensor& dw,
                                              Tensor* dbias) {
  const Tensor x = rounded_to_math_precision(x_in), dy = rounded_to_math_precision(dy_in);
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           dense_backward_weights_ref(x.data<T>(), dy.data<T>(), dw.data<T>(),
                                                      dbias ? dbias->data<T>() : nullptr, x.size(0),
                                                      x.size(1), dw.size(0)));
}

}  // namespace astrocnn
