// Reference kernels: inverted dropout (Srivastava et al., 2014).
//
// Element i (in flat row-major order over the WHOLE tensor, every channel
// and position alike) is kept when philox::uniform(seed, offset + i) >= p and
// then scaled by 1/(1-p), so the expected value of the output equals the
// input and evaluation needs no rescaling. The decision depends only on
// (seed, offset + i), never on loop order or thread layout, which is what lets
// the CUDA kernel reproduce the mask bit for bit: it must compare the same
// float uniform against p in double precision and use the same T-rounded scale.
#include "core/tensor/philox.h"
#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

template <class T>
void dropout_forward_ref(double p, uint64_t seed, uint64_t offset, const T* x, T* y, T* mask,
                         int64_t n) {
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  for (int64_t i = 0; i < n; ++i) {
    const double u = philox::uniform(seed, offset + static_cast<uint64_t>(i));
    mask[i] = u >= p ? keep_scale : T(0);
    y[i] = x[i] * mask[i];
  }
}

// The forward is y = x * mask with a constant mask, so dx = dy * mask.
template <class T>
void dropout_backward_ref(const T* mask, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
}

}  // namespace

void ReferenceBackend::dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x,
                                       Tensor& y, Tensor& mask) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           dropout_forward_ref(p, seed, offset, x.data<T>(), y.data<T>(),
                                               mask.data<T>(), x.numel()));
}

void ReferenceBackend::dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(dy.dtype(), T,
                           dropout_backward_ref(mask.data<T>(), dy.data<T>(), dx.data<T>(),
                                                dx.numel()));
}

}  // namespace astrocnn
