// The CANDELS morphology network of Huertas-Company et al. (2015, ApJS 221, 8),
// which adapts Dieleman et al.'s (2015) Galaxy Zoo winner. Layer table and
// initialisation as quoted in /work/shared/sources/002 (output sizes for the
// default 64x64 input; every convolution is "valid", i.e. unpadded):
//
//   name  type   features  window  non-linearity  bias  weights      output
//   conv1 conv   32        6x6     ReLU           0.1   N(0, 0.01)   32x59x59, max-pool 2 -> 29x29
//   conv2 conv   64        5x5     ReLU           0.1   N(0, 0.01)   64x25x25, max-pool 2 -> 12x12
//   conv3 conv   128       3x3     ReLU           0.1   N(0, 0.01)   128x10x10
//   conv4 conv   128       3x3     ReLU           0.1   N(0, 0.1)    128x8x8,  max-pool 2 -> 4x4
//   fc1   dense  2048      -       maxout (2)     0.01  N(0, 0.001)  2048, dropout 0.5
//   fc2   dense  2048      -       maxout (2)     0.01  N(0, 0.001)  2048, dropout 0.5
//   fc3   dense  outputs   -       -              0.1   N(0, 0.01)   outputs
//
// ModelOptions::activation may replace the ReLUs (not the maxouts).
// N(0, s) means standard deviation s. The outputs are 5 CANDELS classes
// (spheroid, disk, irregular, point source, unclassifiable) by default, or 37
// Galaxy Zoo vote fractions; the paper's output "constraints" (Dieleman's
// normalisation of the vote fractions) are not part of the model.
//
// Maxout layout: fc1 and fc2 are Dense layers with 2 * 2048 outputs followed
// by Maxout(2), which takes the maximum over groups of 2 consecutive
// features. So rows 2j and 2j+1 of fc1.weight (and entries 2j, 2j+1 of
// fc1.bias) are the two linear pieces of maxout unit j, and likewise for fc2.
#include "core/tensor/error.h"
#include "core/init.h"
#include "layers/layers.h"
#include "models/chain.h"
#include "models/models.h"

namespace astrocnn::models {

namespace {

constexpr int64_t kMaxoutUnits = 2048;  // per maxout layer
constexpr int64_t kMaxoutPieces = 2;    // linear pieces per unit
constexpr int64_t kFinalChannels = 128;
// The smallest input that leaves a 1x1 feature map: 37 -> 32 -> 16 -> 12 -> 6 -> 4 -> 2 -> 1.
constexpr int64_t kMinImageSize = 37;

int64_t valid_conv(int64_t n, int64_t kernel) { return n >= kernel ? n - kernel + 1 : 0; }

// Height (= width) of the last feature map for an n x n input; 0 when n is too small.
int64_t feature_size(int64_t n) {
  n = valid_conv(n, 6) / 2;  // conv1, max-pool
  n = valid_conv(n, 5) / 2;  // conv2, max-pool
  n = valid_conv(n, 3);      // conv3
  n = valid_conv(n, 3) / 2;  // conv4, max-pool
  return n;
}

// The paper's initialisation: weights N(0, weight_std), biases constant.
template <class Layer>
std::shared_ptr<Layer> initialised(std::shared_ptr<Layer> layer, double weight_std, double bias) {
  init::normal_(layer->weight(), 0.0, weight_std);
  init::constant_(layer->bias(), bias);
  return layer;
}

}  // namespace

std::shared_ptr<Module> huertas(const ModelOptions& o) {
  check_options("huertas", o);
  int64_t size = feature_size(o.image_size);
  ASTRO_CHECK(size >= 1, "model 'huertas': image size ", o.image_size,
              " is too small; its four unpadded convolutions and three 2x2 max-pools need ",
              "at least ", kMinImageSize, " pixels (64 gives a 4x4 feature map)");
  int64_t flat = kFinalChannels * size * size;
  int64_t pieces = kMaxoutUnits * kMaxoutPieces;

  // The paper's ReLU, or another activation; its layers are named after it
  // (relu1 ... relu4, silu1 ...), names no state_dict holds.
  const std::string& act = o.activation;
  auto net = std::make_shared<Chain>("Huertas");
  net->add("conv1", initialised(std::make_shared<Conv2d>(o.in_channels, 32, 6), 0.01, 0.1));
  net->add(act + "1", make_activation(act));
  net->add("pool1", std::make_shared<MaxPool2d>(2));
  net->add("conv2", initialised(std::make_shared<Conv2d>(32, 64, 5), 0.01, 0.1));
  net->add(act + "2", make_activation(act));
  net->add("pool2", std::make_shared<MaxPool2d>(2));
  net->add("conv3", initialised(std::make_shared<Conv2d>(64, 128, 3), 0.01, 0.1));
  net->add(act + "3", make_activation(act));
  net->add("conv4", initialised(std::make_shared<Conv2d>(128, kFinalChannels, 3), 0.1, 0.1));
  net->add(act + "4", make_activation(act));
  net->add("pool4", std::make_shared<MaxPool2d>(2));
  net->add("flatten", std::make_shared<Flatten>());
  net->add("fc1", initialised(std::make_shared<Dense>(flat, pieces), 0.001, 0.01));
  net->add("maxout1", std::make_shared<Maxout>(kMaxoutPieces));
  net->add("dropout1", std::make_shared<Dropout>(o.dropout));
  net->add("fc2", initialised(std::make_shared<Dense>(kMaxoutUnits, pieces), 0.001, 0.01));
  net->add("maxout2", std::make_shared<Maxout>(kMaxoutPieces));
  net->add("dropout2", std::make_shared<Dropout>(o.dropout));
  net->add("fc3", initialised(std::make_shared<Dense>(kMaxoutUnits, o.outputs), 0.01, 0.1));
  return net;
}

}  // namespace astrocnn::models
