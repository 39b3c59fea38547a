#include "core/tensor/error.h"
#include "layers/layers.h"
#include "models/models.h"

namespace astrocnn::models {

std::shared_ptr<Module> small_cnn(const ModelOptions& o) {
  check_options("small", o);
  ASTRO_CHECK(o.image_size >= 4 && o.image_size % 4 == 0, "model 'small': image size must be a ",
              "multiple of 4 (two 2x2 poolings), got ", o.image_size);
  int64_t pooled = o.image_size / 4;
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Conv2d>(o.in_channels, 16, 5, 1, Padding::same()));
  net->add(make_activation(o.activation));
  net->add(std::make_shared<MaxPool2d>(2));
  net->add(std::make_shared<Conv2d>(16, 32, 3, 1, Padding::same()));
  net->add(make_activation(o.activation));
  net->add(std::make_shared<MaxPool2d>(2));
  net->add(std::make_shared<Flatten>());
  net->add(std::make_shared<Dense>(32 * pooled * pooled, 64));
  net->add(make_activation(o.activation));
  net->add(std::make_shared<Dense>(64, o.outputs));
  return net;
}

}  // namespace astrocnn::models
