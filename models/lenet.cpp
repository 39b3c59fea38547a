// The LeNet-style fake/real galaxy classifier of the obiwan project
// (a TensorFlow CNN described in /work/shared/sources/003). Output sizes for
// its 6x64x64 cutouts (g, r, z images and their artifact/inverse-variance maps):
//
//   name   type             features  window  stride  output
//   conv1  conv, ReLU       18        7x7     1       18x64x64
//   pool1  average pool     18        7x7     2       18x32x32
//   conv2  conv, ReLU       36        7x7     1       36x32x32
//   pool2  average pool     36        7x7     2       36x16x16
//   conv3  conv, ReLU       54        7x7     1       54x16x16
//   pool3  average pool     54        7x7     2       54x8x8
//   fc1    dense, ReLU      64        -       -       64
//   fc2    dense            outputs   -       -       2 (fake / real logits; softmax in the loss)
//
// Everything uses TensorFlow's SAME padding, so each pool halves the size
// (rounding up) and any image size works. TensorFlow's average pool divides by
// the number of real pixels under the window, not by 49 (count_include_pad = false).
// The post gives no initialisation, so the layers keep PyTorch's defaults.
#include "layers/layers.h"
#include "models/chain.h"
#include "models/models.h"

namespace astrocnn::models {

namespace {

constexpr int64_t kWindow = 7;

std::shared_ptr<Conv2d> same_conv(int64_t in, int64_t out) {
  return std::make_shared<Conv2d>(in, out, kWindow, 1, Padding::same());
}

std::shared_ptr<AvgPool2d> same_avg_pool() {
  return std::make_shared<AvgPool2d>(kWindow, 2, Padding::same(), /*count_include_pad=*/false);
}

}  // namespace

std::shared_ptr<Module> lenet(const ModelOptions& o) {
  check_options("lenet", o);
  int64_t size = o.image_size;
  for (int pool = 0; pool < 3; ++pool) size = (size + 1) / 2;  // SAME, stride 2: ceil(n / 2)

  // ReLU, or another activation; its layers are named after it (relu1 ...
  // relu4, silu1 ...), names no state_dict holds.
  const std::string& act = o.activation;
  auto net = std::make_shared<Chain>("LeNet");
  net->add("conv1", same_conv(o.in_channels, 18));
  net->add(act + "1", make_activation(act));
  net->add("pool1", same_avg_pool());
  net->add("conv2", same_conv(18, 36));
  net->add(act + "2", make_activation(act));
  net->add("pool2", same_avg_pool());
  net->add("conv3", same_conv(36, 54));
  net->add(act + "3", make_activation(act));
  net->add("pool3", same_avg_pool());
  net->add("flatten", std::make_shared<Flatten>());
  net->add("fc1", std::make_shared<Dense>(54 * size * size, 64));
  net->add(act + "4", make_activation(act));
  net->add("fc2", std::make_shared<Dense>(64, o.outputs));
  return net;
}

}  // namespace astrocnn::models
