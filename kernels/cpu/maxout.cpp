// Maxout: a plain loop (oneDNN has no primitive for it).
#include <algorithm>
#include <cmath>

#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {

// ---- maxout: x [N, groups*k, inner...] -> y [N, groups, inner...] ----
// Loops run over the contiguous `inner` positions so that the comparisons of
// one group member against the running maximum vectorise. The rule is the
// reference's: a strict `>` keeps the first maximum on ties, and a NaN beats
// any number, so NaN propagates (as in PyTorch).
namespace {
inline bool beats(float candidate, float best) {
  return candidate > best || (std::isnan(candidate) && !std::isnan(best));
}
}  // namespace

void OneDnnBackend::maxout_forward(int64_t k, const Tensor& x, Tensor& y) {
  cpu::require_f32("maxout_forward", x);
  const int64_t N = x.size(0), groups = y.size(1), inner = x.numel() / (N * x.size(1));
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  for (int64_t g = 0; g < N * groups; ++g) {
    const float* first = xs + g * k * inner;
    float* out = ys + g * inner;
    std::copy_n(first, inner, out);
    for (int64_t t = 1; t < k; ++t) {
      const float* cand = first + t * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = beats(cand[i], out[i]) ? cand[i] : out[i];
    }
  }
}

// The gradient goes to the first maximum of each group, zeros elsewhere.
void OneDnnBackend::maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) {
  cpu::require_f32("maxout_backward", x);
  const int64_t N = x.size(0), groups = dy.size(1), inner = x.numel() / (N * x.size(1));
  const float* xs = x.data<float>();
  const float* dys = dy.data<float>();
  float* dxs = dx.data<float>();
  std::fill_n(dxs, dx.numel(), 0.0f);
  for (int64_t g = 0; g < N * groups; ++g) {
    const float* first = xs + g * k * inner;
    float* dfirst = dxs + g * k * inner;
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t t = 1; t < k; ++t)
        if (beats(first[t * inner + i], first[best * inner + i])) best = t;
      dfirst[best * inner + i] = dys[g * inner + i];
    }
  }
}

}  // namespace astrocnn
