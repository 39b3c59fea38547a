// The views of a tensor that autograd must see: reshape and flatten share
// the storage and record a node whose backward reshapes the gradient back.
// They are Tensor members (tensor.h) but live here, above the kernels,
// because recording a node is autograd's business, not the tensor data's.
#include "core/autograd.h"
#include "core/tensor/tensor.h"

namespace astrocnn {

// Reshape is a view: same storage, new shape. Its backward reshapes the
// gradient back, so autograd sees it as an ordinary op.
namespace {
struct ReshapeNode final : Node {
  Shape input_shape;
  std::vector<Tensor> backward(const Tensor& g) override { return {g.reshape(input_shape)}; }
  const char* name() const override { return "reshape"; }
};
}  // namespace

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      ASTRO_CHECK(infer < 0, "reshape ", str(), " to ", shape_str(new_shape), ": more than one -1");
      infer = static_cast<int64_t>(i);
    } else {
      ASTRO_CHECK(s[i] >= 0, "reshape ", str(), " to ", shape_str(new_shape), ": negative size");
      known *= s[i];
    }
  }
  if (infer >= 0) {
    ASTRO_CHECK(known > 0 && numel() % known == 0, "cannot reshape ", str(), " to ",
                shape_str(new_shape));
    s[infer] = numel() / known;
  }
  ASTRO_CHECK(shape_numel(s) == numel(), "cannot reshape ", str(), " to ", shape_str(new_shape),
              ": element counts differ");
  Tensor out = detach();
  out.impl().shape = s;
  out.impl().strides = contiguous_strides(s);
  if (auto node = record_node<ReshapeNode>({*this}, out)) node->input_shape = shape();
  return out;
}

Tensor Tensor::flatten(int64_t start_dim) const {
  ASTRO_CHECK(start_dim >= 0 && start_dim <= dim(), "flatten(", start_dim, ") of ", str());
  Shape s(shape().begin(), shape().begin() + start_dim);
  int64_t rest = 1;
  for (int64_t i = start_dim; i < dim(); ++i) rest *= shape()[i];
  s.push_back(rest);
  return reshape(s);
}

}  // namespace astrocnn
