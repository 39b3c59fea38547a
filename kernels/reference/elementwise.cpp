// Reference kernels: fill, add (the residual add), scale.
#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

template <class T>
void add_ref(const T* a, const T* b, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

template <class T>
void scale_ref(const T* x, T alpha, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i];
}

}  // namespace

void ReferenceBackend::fill(Tensor& y, double value) {
  if (y.dtype() == DType::I64) {
    int64_t* d = y.data<int64_t>();
    for (int64_t i = 0; i < y.numel(); ++i) d[i] = static_cast<int64_t>(value);
    return;
  }
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T, {
    T* d = y.data<T>();
    for (int64_t i = 0; i < y.numel(); ++i) d[i] = static_cast<T>(value);
  });
}

void ReferenceBackend::add(const Tensor& a, const Tensor& b, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T, add_ref(a.data<T>(), b.data<T>(), y.data<T>(), y.numel()));
}

void ReferenceBackend::scale(const Tensor& x, double alpha, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(y.dtype(), T,
                           scale_ref(x.data<T>(), static_cast<T>(alpha), y.data<T>(), y.numel()));
}

}  // namespace astrocnn
