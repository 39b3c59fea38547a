// The model registry: names for `astrocnn train --model`, and the checks
// every model shares.
#include <functional>

#include "core/tensor/error.h"
#include "layers/activation.h"
#include "models/models.h"

namespace astrocnn::models {

namespace {

struct Entry {
  const char* name;
  std::function<std::shared_ptr<Module>(const ModelOptions&)> build;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"small", small_cnn},   {"huertas", huertas},   {"lenet", lenet},
      {"resnet18", resnet18}, {"resnet50", resnet50}, {"alexnet", alexnet},
  };
  return entries;
}

}  // namespace

void check_options(const std::string& model, const ModelOptions& o) {
  ASTRO_CHECK(o.in_channels > 0, "model '", model, "': input channels must be positive, got ",
              o.in_channels);
  ASTRO_CHECK(o.outputs > 0, "model '", model, "': outputs must be positive, got ", o.outputs);
  ASTRO_CHECK(o.image_size > 0, "model '", model, "': image size must be positive, got ",
              o.image_size);
  ASTRO_CHECK(o.dropout >= 0 && o.dropout < 1, "model '", model,
              "': dropout probability must be in [0, 1), got ", o.dropout);
  check_activation(model, o.activation);
}

void check_activation(const std::string& model, const std::string& activation) {
  try {
    make_activation(activation);  // a known name, or Error listing them
  } catch (const Error& e) {
    throw Error("model '" + model + "': " + e.what());
  }
  // The residual blocks (layers/resnet_blocks.h) call ops::relu themselves.
  const bool resnet = model == "resnet18" || model == "resnet50";
  ASTRO_CHECK(!resnet || activation == "relu", "model '", model, "': activation '", activation,
              "' is not supported: the residual blocks use ReLU, as He et al. (2016)");
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const Entry& e : registry()) names.push_back(e.name);
  return names;
}

std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& options) {
  for (const Entry& e : registry())
    if (name == e.name) return e.build(options);
  std::string known;
  for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown model '" + name + "' (known: " + known + ")");
}

}  // namespace astrocnn::models
