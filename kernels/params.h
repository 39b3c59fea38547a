// Shape/attribute records shared by every backend's kernels. They are plain
// structs: the ops layer fills and validates them, kernels only read them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace astrocnn {

// Where a convolution's kernel moves over its input: the strides, the zero
// padding on each side (asymmetric for TensorFlow's "same" padding), and the
// channel groups. What a caller of ops::conv2d chooses; the sizes come from
// the tensors.
struct Conv2dGeometry {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t groups = 1;

  static Conv2dGeometry symmetric(int64_t stride, int64_t pad, int64_t groups = 1) {
    return {stride, stride, pad, pad, pad, pad, groups};
  }
};

// 2-D convolution, NCHW input [N,C,H,W], weight [K,C/groups,R,S], output
// [N,K,P,Q]: the geometry plus the sizes, all a kernel needs.
struct Conv2dParams : Conv2dGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels, kernel height, kernel width

  // The convolution of an input of shape `x` [N,C,H,W] by a weight of shape
  // `w` [K,C/groups,R,S] under `geometry`; validated.
  static Conv2dParams of(const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                         const Conv2dGeometry& geometry);

  int64_t P() const { return (H + pad_top + pad_bottom - R) / stride_h + 1; }
  int64_t Q() const { return (W + pad_left + pad_right - S) / stride_w + 1; }
  double flops() const { return 2.0 * N * K * P() * Q() * (C / groups) * R * S; }
  void validate() const;  // throws astrocnn::Error with the reason
  std::string str() const;
};

// Max / average pooling over windows R x S of an NCHW tensor.
// Padding rule for average pooling: with count_include_pad (PyTorch's
// default) every window divides by R*S, zero padding counted; without it the
// divisor is the number of real input pixels under the window (TensorFlow's
// "SAME" rule, used by the LeNet-style fake/real net). Max pooling ignores
// padded positions (they are -infinity).
// The window: its size, strides, padding and padding rule. What a caller of
// ops::max_pool2d / avg_pool2d chooses; Pool2dParams adds the input's sizes.
struct Pool2dWindow {
  int64_t R = 2, S = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool count_include_pad = true;  // average pooling only
};

struct Pool2dParams : Pool2dWindow {
  int64_t N = 0, C = 0, H = 0, W = 0;

  // The pooling of an input of shape `x` [N,C,H,W] by `window`; validated.
  static Pool2dParams of(const std::vector<int64_t>& x, const Pool2dWindow& window);

  int64_t P() const { return (H + pad_top + pad_bottom - R) / stride_h + 1; }
  int64_t Q() const { return (W + pad_left + pad_right - S) / stride_w + 1; }
  void validate() const;
  std::string str() const;
};

// Batch normalisation over N and spatial positions, per channel C.
struct BatchNormParams {
  int64_t N = 0, C = 0, HW = 1;
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch (PyTorch's convention)
  // Backward only: true when the forward used batch statistics (training),
  // false when it used the running statistics (eval), where batch norm is a
  // fixed per-channel affine map and save_mean/save_invstd hold the running
  // mean and 1/sqrt(running_var + eps).
  bool use_batch_stats = true;
};

// The hyper-parameters of SGD (PyTorch's torch.optim.SGD), with PyTorch's
// defaults (but a concrete lr): what the optimiser (core/optim.h) is given.
struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // L2 penalty folded into the gradient
  bool nesterov = false;      // needs momentum > 0 and dampening == 0, as in PyTorch
};

// One SGD step on one parameter, what every backend's sgd_update computes:
//   d = grad + weight_decay * param
//   v = momentum * v + (1 - dampening) * d      (v = d on the first step)
//   d = nesterov ? d + momentum * v : v         (when momentum != 0)
//   param -= lr * d
struct SgdParams : SgdOptions {
  bool first_step = true;  // velocity is initialised from d, not decayed
};

}  // namespace astrocnn
