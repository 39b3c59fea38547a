#include "kernels/backend.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace astrocnn {

void Backend::missing(const char* op) const {
  throw NotImplemented(detail::concat("op '", op, "' is not implemented by the ", name(),
                                     " backend"));
}

#define ASTRO_MISSING(sig, op) \
  void Backend::sig { missing(op); }

ASTRO_MISSING(fill(Tensor&, double), "fill")
ASTRO_MISSING(add(const Tensor&, const Tensor&, Tensor&), "add")
ASTRO_MISSING(scale(const Tensor&, double, Tensor&), "scale")
ASTRO_MISSING(conv2d_forward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor*, Tensor&), "conv2d_forward")
ASTRO_MISSING(conv2d_backward_data(const Conv2dParams&, const Tensor&, const Tensor&, Tensor&), "conv2d_backward_data")
ASTRO_MISSING(conv2d_backward_weights(const Conv2dParams&, const Tensor&, const Tensor&, Tensor&, Tensor*), "conv2d_backward_weights")
ASTRO_MISSING(max_pool2d_forward(const Pool2dParams&, const Tensor&, Tensor&), "max_pool2d_forward")
ASTRO_MISSING(max_pool2d_backward(const Pool2dParams&, const Tensor&, const Tensor&, Tensor&), "max_pool2d_backward")
ASTRO_MISSING(avg_pool2d_forward(const Pool2dParams&, const Tensor&, Tensor&), "avg_pool2d_forward")
ASTRO_MISSING(avg_pool2d_backward(const Pool2dParams&, const Tensor&, Tensor&), "avg_pool2d_backward")
ASTRO_MISSING(global_avg_pool_forward(const Tensor&, Tensor&), "global_avg_pool_forward")
ASTRO_MISSING(global_avg_pool_backward(const Tensor&, Tensor&), "global_avg_pool_backward")
ASTRO_MISSING(dense_forward(const Tensor&, const Tensor&, const Tensor*, Tensor&), "dense_forward")
ASTRO_MISSING(dense_backward_data(const Tensor&, const Tensor&, Tensor&), "dense_backward_data")
ASTRO_MISSING(dense_backward_weights(const Tensor&, const Tensor&, Tensor&, Tensor*), "dense_backward_weights")
ASTRO_MISSING(relu_forward(const Tensor&, Tensor&), "relu_forward")
ASTRO_MISSING(relu_backward(const Tensor&, const Tensor&, Tensor&), "relu_backward")
ASTRO_MISSING(sigmoid_forward(const Tensor&, Tensor&), "sigmoid_forward")
ASTRO_MISSING(sigmoid_backward(const Tensor&, const Tensor&, Tensor&), "sigmoid_backward")
ASTRO_MISSING(softmax_forward(const Tensor&, Tensor&), "softmax_forward")
ASTRO_MISSING(maxout_forward(int64_t, const Tensor&, Tensor&), "maxout_forward")
ASTRO_MISSING(maxout_backward(int64_t, const Tensor&, const Tensor&, Tensor&), "maxout_backward")
ASTRO_MISSING(dropout_forward(double, uint64_t, uint64_t, const Tensor&, Tensor&, Tensor&), "dropout_forward")
ASTRO_MISSING(dropout_backward(const Tensor&, const Tensor&, Tensor&), "dropout_backward")
ASTRO_MISSING(batch_norm_forward_train(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, Tensor&, Tensor&, Tensor&, Tensor&, Tensor&), "batch_norm_forward_train")
ASTRO_MISSING(batch_norm_forward_eval(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, Tensor&), "batch_norm_forward_eval")
ASTRO_MISSING(batch_norm_backward(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, Tensor&, Tensor&, Tensor&), "batch_norm_backward")
ASTRO_MISSING(softmax_xent_forward(const Tensor&, const Tensor&, Tensor&, Tensor&), "softmax_xent_forward")
ASTRO_MISSING(softmax_xent_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&), "softmax_xent_backward")
ASTRO_MISSING(mse_forward(const Tensor&, const Tensor&, Tensor&), "mse_forward")
ASTRO_MISSING(mse_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&), "mse_backward")
ASTRO_MISSING(cosine_loss_forward(const Tensor&, const Tensor&, Tensor&), "cosine_loss_forward")
ASTRO_MISSING(cosine_loss_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&), "cosine_loss_backward")
ASTRO_MISSING(sgd_update(const SgdParams&, Tensor&, const Tensor&, Tensor&), "sgd_update")

#undef ASTRO_MISSING

namespace {
Backend* g_backends[2] = {nullptr, nullptr};
std::atomic<int> g_force_reference{-1};  // -1: not decided yet, read the environment once

bool env_forces_reference() {
  const char* v = std::getenv("ASTROCNN_BACKEND");
  return v && std::strcmp(v, "reference") == 0;
}
}  // namespace

void register_backend(Device d, Backend* backend) { g_backends[static_cast<int>(d)] = backend; }

void force_reference_backend(bool on) { g_force_reference.store(on ? 1 : 0); }

bool reference_backend_forced() {
  int v = g_force_reference.load();
  if (v < 0) {
    v = env_forces_reference() ? 1 : 0;
    g_force_reference.store(v);
  }
  return v == 1;
}

// The built-in fast backends are reached through these functions rather than
// static registrar objects: a registrar in a static library is dropped by the
// linker when nothing refers to its object file.
#if defined(ASTROCNN_HAVE_ONEDNN)
Backend& onednn_backend();  // kernels/cpu/
#endif
#if defined(ASTROCNN_HAVE_CUDA)
Backend* cuda_backend_if_device();  // kernels/cuda/: nullptr when no CUDA device is present
#endif

Backend& backend_for(Device d) {
  if (d == Device::CPU) {
    if (reference_backend_forced()) return reference_backend();
    if (g_backends[0]) return *g_backends[0];
#if defined(ASTROCNN_HAVE_ONEDNN)
    return onednn_backend();
#else
    return reference_backend();
#endif
  }
  Backend* b = g_backends[static_cast<int>(d)];
#if defined(ASTROCNN_HAVE_CUDA)
  if (!b) b = cuda_backend_if_device();
#endif
  ASTRO_CHECK(b != nullptr, "no backend for device '", device_name(d),
              "': this build has no CUDA backend or no CUDA device was found");
  return *b;
}

}  // namespace astrocnn
