#include "layers/sequential.h"

namespace astrocnn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) add(m);
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, child] : children()) y = child->forward(y);
  return y;
}

OnnxValue Sequential::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  return export_children_onnx(g, path, x);
}

Module& Sequential::operator[](size_t i) const {
  ASTRO_CHECK(i < size(), "Sequential: index ", i, " out of range for ", size(), " modules");
  return *children()[i].second;
}

}  // namespace astrocnn
