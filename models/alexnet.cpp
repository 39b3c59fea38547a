// AlexNet (Krizhevsky, Sutskever & Hinton 2012) as torchvision builds it
// (the single-tower variant with 64-192-384-256-256 channels), with its
// state_dict names, so its checkpoints load one to one (224 input):
//
//   name           type                               output (224 input)
//   features.0     conv 64@11x11, stride 4, pad 2     64x55x55   (features.1 ReLU)
//   features.2     max-pool 3x3, stride 2             64x27x27
//   features.3     conv 192@5x5, pad 2                192x27x27  (features.4 ReLU)
//   features.5     max-pool 3x3, stride 2             192x13x13
//   features.6     conv 384@3x3, pad 1                384x13x13  (features.7 ReLU)
//   features.8     conv 256@3x3, pad 1                256x13x13  (features.9 ReLU)
//   features.10    conv 256@3x3, pad 1                256x13x13  (features.11 ReLU)
//   features.12    max-pool 3x3, stride 2             256x6x6
//   classifier.0   dropout 0.5, then classifier.1 dense 4096 (classifier.2 ReLU)
//   classifier.3   dropout 0.5, then classifier.4 dense 4096 (classifier.5 ReLU)
//   classifier.6   dense outputs
//
// One difference: torchvision puts an adaptive average pool to 6x6 between
// features and classifier, so classifier.1 always takes 256*6*6 = 9216 inputs.
// We have no adaptive pool; classifier.1 takes the flattened feature map as
// it is, 256*s*s for an s x s map. Input sizes 223 to 254 (224 included) give
// s = 6 and match torchvision exactly; other sizes change classifier.1's
// shape (64 gives 1x1, so 256 inputs). The 11x11 stride-4 stem and three
// stride-2 pools need images of at least 63 pixels.
// Initialisation: PyTorch's layer defaults, as torchvision.
#include "core/tensor/error.h"
#include "layers/layers.h"
#include "models/chain.h"
#include "models/models.h"

namespace astrocnn::models {

namespace {

constexpr int64_t kMinImageSize = 63;
constexpr int64_t kFinalChannels = 256;
constexpr int64_t kHidden = 4096;

int64_t conv_out(int64_t n, int64_t kernel, int64_t stride, int64_t pad) {
  return n + 2 * pad >= kernel ? (n + 2 * pad - kernel) / stride + 1 : 0;
}
int64_t pool_out(int64_t n) { return conv_out(n, 3, 2, 0); }

// Height (= width) of the last feature map for an n x n input; 0 when n is too small.
int64_t feature_size(int64_t n) {
  n = pool_out(conv_out(n, 11, 4, 2));  // features.0, .2
  n = pool_out(conv_out(n, 5, 1, 2));   // features.3, .5
  return pool_out(n);                   // the 3x3 pad-1 convolutions keep the size; features.12
}

}  // namespace

std::shared_ptr<Module> alexnet(const ModelOptions& o) {
  check_options("alexnet", o);
  int64_t size = feature_size(o.image_size);
  ASTRO_CHECK(size >= 1, "model 'alexnet': image size ", o.image_size,
              " is too small; its 11x11 stride-4 convolution and three 3x3 stride-2 max-pools ",
              "need at least ", kMinImageSize, " pixels");

  auto features = std::make_shared<Sequential>();
  features->add(std::make_shared<Conv2d>(o.in_channels, 64, 11, 4, 2));
  features->add(make_activation(o.activation));
  features->add(std::make_shared<MaxPool2d>(3, 2));
  features->add(std::make_shared<Conv2d>(64, 192, 5, 1, 2));
  features->add(make_activation(o.activation));
  features->add(std::make_shared<MaxPool2d>(3, 2));
  features->add(std::make_shared<Conv2d>(192, 384, 3, 1, 1));
  features->add(make_activation(o.activation));
  features->add(std::make_shared<Conv2d>(384, 256, 3, 1, 1));
  features->add(make_activation(o.activation));
  features->add(std::make_shared<Conv2d>(256, kFinalChannels, 3, 1, 1));
  features->add(make_activation(o.activation));
  features->add(std::make_shared<MaxPool2d>(3, 2));

  auto classifier = std::make_shared<Sequential>();
  classifier->add(std::make_shared<Dropout>(o.dropout));
  classifier->add(std::make_shared<Dense>(kFinalChannels * size * size, kHidden));
  classifier->add(make_activation(o.activation));
  classifier->add(std::make_shared<Dropout>(o.dropout));
  classifier->add(std::make_shared<Dense>(kHidden, kHidden));
  classifier->add(make_activation(o.activation));
  classifier->add(std::make_shared<Dense>(kHidden, o.outputs));

  auto net = std::make_shared<Chain>("AlexNet");
  net->add("features", features);
  net->add("flatten", std::make_shared<Flatten>());
  net->add("classifier", classifier);
  return net;
}

}  // namespace astrocnn::models
