// Ops oneDNN has no primitive for, written as plain loops over contiguous
// float32 arrays: the inner loops have no branches the compiler cannot turn
// into blends, so they vectorise. The elementwise ones are split over the
// backend's threads (cpu::parallel_for); all are memory-bound.
#include <algorithm>
#include <cmath>

#include "core/philox.h"
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {

void OneDnnBackend::fill(Tensor& y, double value) {
  if (y.dtype() != DType::F32) return reference_backend().fill(y, value);  // int64 labels
  float* ys = y.data<float>();
  const float v = static_cast<float>(value);
  cpu::parallel_for(y.numel(), [=](int64_t i) { ys[i] = v; });
}

// Same arithmetic as the reference (alpha rounded to float first), so the
// result is bit-identical. A loop rather than oneDNN's eltwise_linear because
// alpha would be part of the primitive's key and may change every call.
void OneDnnBackend::scale(const Tensor& x, double alpha, Tensor& y) {
  cpu::require_f32("scale", x);
  const float a = static_cast<float>(alpha);
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  cpu::parallel_for(x.numel(), [=](int64_t i) { ys[i] = a * xs[i]; });
}

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

// ---- dropout: the mask comes from the same Philox positions as on every
// other backend, so a seed reproduces the same dropped units everywhere ----
void OneDnnBackend::dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x,
                                    Tensor& y, Tensor& mask) {
  cpu::require_f32("dropout_forward", x);
  const float keep = static_cast<float>(1.0 / (1.0 - p));  // unused when p == 1: nothing is kept
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  float* ms = mask.data<float>();
  cpu::parallel_for(x.numel(), [=](int64_t i) {
    ms[i] = philox::uniform(seed, offset + static_cast<uint64_t>(i)) >= p ? keep : 0.0f;
    ys[i] = xs[i] * ms[i];
  });
}

void OneDnnBackend::dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) {
  cpu::require_f32("dropout_backward", dy);
  const float* ms = mask.data<float>();
  const float* dys = dy.data<float>();
  float* dxs = dx.data<float>();
  cpu::parallel_for(dy.numel(), [=](int64_t i) { dxs[i] = dys[i] * ms[i]; });
}

// ---- SGD, PyTorch's semantics (see SgdParams), each element in double as in
// the reference, so both round the same values once ----
void OneDnnBackend::sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad,
                               Tensor& velocity) {
  cpu::require_f32("sgd_update", param);
  float* w = param.data<float>();
  const float* g = grad.data<float>();
  const bool use_momentum = p.momentum != 0.0;
  float* v = use_momentum ? velocity.data<float>() : nullptr;
  cpu::parallel_for(param.numel(), [=](int64_t i) {
    double d = g[i];
    if (p.weight_decay != 0) d += p.weight_decay * static_cast<double>(w[i]);  // skipped at 0: 0 * inf
    if (use_momentum) {
      double buf = p.first_step ? d : p.momentum * v[i] + (1.0 - p.dampening) * d;
      v[i] = static_cast<float>(buf);
      d = p.nesterov ? d + p.momentum * buf : buf;
    }
    w[i] = static_cast<float>(w[i] - p.lr * d);
  });
}

}  // namespace astrocnn
