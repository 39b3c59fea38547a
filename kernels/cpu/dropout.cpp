// Inverted dropout: a plain loop over contiguous float32, on every thread.
#include "core/tensor/philox.h"
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {

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

}  // namespace astrocnn
