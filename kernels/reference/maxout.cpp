// Reference kernels: maxout (Goodfellow et al., 2013).
// x [N, n*k, S...] -> y [N, n, S...]: output unit j is the maximum of the k
// consecutive inputs j*k .. j*k+k-1 along dimension 1, independently at each
// trailing (spatial) position. Everything after dimension 1 is flattened into
// S positions, so [N,C] and [N,C,H,W] take the same loops.
#include <cmath>

#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// True when `candidate` should replace the current `best`. Strictly greater,
// so ties keep the FIRST maximum (forward and backward must agree on it). A
// NaN wins over a number, so NaN propagates to the output as in PyTorch.
template <class T>
bool beats(T candidate, T best) {
  return candidate > best || (std::isnan(candidate) && !std::isnan(best));
}

// Index (0..k-1) of the winning input of one group. `group` points at the
// group's first input; consecutive members are `stride` elements apart.
template <class T>
int64_t argmax_in_group(const T* group, int64_t k, int64_t stride) {
  int64_t best = 0;
  for (int64_t i = 1; i < k; ++i)
    if (beats(group[i * stride], group[best * stride])) best = i;
  return best;
}

template <class T>
void maxout_forward_ref(const T* x, T* y, int64_t N, int64_t units, int64_t k, int64_t S) {
  const int64_t C = units * k;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < units; ++j)
      for (int64_t s = 0; s < S; ++s) {
        const T* group = x + (n * C + j * k) * S + s;
        y[(n * units + j) * S + s] = group[argmax_in_group(group, k, S) * S];
      }
}

// The gradient of a max is routed entirely to the winning input; the other
// k-1 inputs of the group get zero.
template <class T>
void maxout_backward_ref(const T* x, const T* dy, T* dx, int64_t N, int64_t units, int64_t k,
                         int64_t S) {
  const int64_t C = units * k;
  for (int64_t i = 0; i < N * C * S; ++i) dx[i] = T(0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < units; ++j)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t first = (n * C + j * k) * S + s;
        const int64_t winner = argmax_in_group(x + first, k, S);
        dx[first + winner * S] = dy[(n * units + j) * S + s];
      }
}

// Number of positions per (sample, channel): the product of the dims after 1.
int64_t trailing_size(const Tensor& t) {
  int64_t S = 1;
  for (int64_t d = 2; d < t.dim(); ++d) S *= t.size(d);
  return S;
}

}  // namespace

void ReferenceBackend::maxout_forward(int64_t k, const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           maxout_forward_ref(x.data<T>(), y.data<T>(), x.size(0), y.size(1), k,
                                              trailing_size(x)));
}

void ReferenceBackend::maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           maxout_backward_ref(x.data<T>(), dy.data<T>(), dx.data<T>(), x.size(0),
                                               dy.size(1), k, trailing_size(x)));
}

}  // namespace astrocnn
