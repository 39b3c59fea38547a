// The differentiable ops: what layers and models call.
//
// Each function checks its arguments (shapes, dtypes, devices) with a clear
// Error, allocates the outputs, runs the kernel of the backend that owns the
// tensors (kernels/backend.h) and, when gradients are on, records a Node
// whose backward calls the matching backward kernels. One op family per file
// in core/ops/, named like the kernels that implement it.
#pragma once
#include <cstdint>

#include "core/tensor/tensor.h"
#include "kernels/params.h"

namespace astrocnn::ops {

// ---- elementwise (core/ops/elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);  // same shapes; the residual add
Tensor scale(const Tensor& x, double alpha);
Tensor relu(const Tensor& x);         // core/ops/activation.cpp
Tensor leaky_relu(const Tensor& x, double slope = 0.01);  // slope >= 0
Tensor sigmoid(const Tensor& x);      // core/ops/activation.cpp
Tensor silu(const Tensor& x);         // x * sigmoid(x) (swish); core/ops/activation.cpp
Tensor softmax(const Tensor& x);      // rows of [N,C]; not differentiable (prediction only)

// ---- convolution (core/ops/conv2d.cpp): x [N,C,H,W], w [K,C/groups,R,S], bias [K] or undefined ----
// Strides, padding and groups: Conv2dGeometry (kernels/params.h).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& geometry);

// TensorFlow "SAME" padding for one spatial dimension of size `in`, window
// `k`, stride `s`: the output has ceil(in / s) positions and the odd pixel of
// padding goes after (bottom/right), as in TensorFlow. (core/ops/pool.cpp)
struct SamePadding { int64_t before = 0, after = 0; };
SamePadding same_padding(int64_t in, int64_t k, int64_t stride);

// ---- pooling (core/ops/pool.cpp) ----
// The window, strides and padding: Pool2dWindow (kernels/params.h).
Tensor max_pool2d(const Tensor& x, const Pool2dWindow& window);
Tensor avg_pool2d(const Tensor& x, const Pool2dWindow& window);
Tensor global_avg_pool(const Tensor& x);  // [N,C,H,W] -> [N,C]

// ---- dense (core/ops/dense.cpp): x [N,I], w [O,I], bias [O] or undefined ----
Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias);

// ---- maxout (core/ops/maxout.cpp): groups of k consecutive channels/features along dim 1 ----
Tensor maxout(const Tensor& x, int64_t k);

// ---- dropout (core/ops/dropout.cpp): inverted dropout; identity when !training or p == 0 ----
Tensor dropout(const Tensor& x, double p, bool training, uint64_t seed, uint64_t offset);

// ---- batch norm (core/ops/batchnorm.cpp): x [N,C,H,W] or [N,C] ----
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum, double eps);

// ---- losses (core/ops/loss.cpp): each returns a one-element tensor ----
// NaN policy: losses propagate NaN (a NaN in pred or target gives a NaN loss,
// as in PyTorch); the trainer checks the loss and stops with an error.
Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels);  // labels int64 [N]
Tensor mse_loss(const Tensor& pred, const Tensor& target);
Tensor rmse_loss(const Tensor& pred, const Tensor& target);  // sqrt(mse); gradient 0 at mse == 0
Tensor cosine_loss(const Tensor& pred, const Tensor& target);  // mean(1 - cos) over rows of [N,K]

}  // namespace astrocnn::ops
