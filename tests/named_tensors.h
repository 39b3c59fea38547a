// Test helpers for a Module's named tensors (state_dict, named_parameters):
// their names in order, and a lookup by name.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/module.h"

namespace astrocnn::testing {

inline std::vector<std::string> names_of(const NamedTensors& named) {
  std::vector<std::string> names;
  for (const auto& [name, t] : named) names.push_back(name);
  return names;
}

inline std::map<std::string, Tensor> by_name(const NamedTensors& named) {
  return std::map<std::string, Tensor>(named.begin(), named.end());
}

}  // namespace astrocnn::testing
