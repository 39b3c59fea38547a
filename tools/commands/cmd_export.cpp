// `astrocnn export`: a checkpoint's network as an ONNX model, for inference
// in onnxruntime, TensorRT, or the FPGA and accelerator tool chains that take
// ONNX (docs/EXPORT.md). The graph computes what `astrocnn predict` writes:
// softmax probabilities for classifiers, raw outputs for regression.
//
// The exporter walks the model's modules in the order their forward() runs
// them and maps each layer onto ONNX nodes (io/onnx/onnx_export.h). Every
// layer is recognised by its class; a layer the walk does not know is an
// Error, never a silently wrong graph. Each value of the graph travels with
// the astrocnn tensor it stands for on a probe image, because some ONNX
// attributes depend on the input size at that point (TensorFlow-style SAME
// padding, Maxout's reshape) and the final shape is checked against it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/error.h"
#include "io/output_file.h"
#include "tools/run/checkpoint_model.h"
#include "tools/commands/commands.h"
#if defined(ASTROCNN_HAVE_ONNX)
#include "core/autograd.h"
#include "core/ops.h"
#include "io/onnx/onnx_export.h"
#include "layers/layers.h"
#include "models/chain.h"
#endif

namespace astrocnn::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string out;
};

#if defined(ASTROCNN_HAVE_ONNX)

// ---- The walk: astrocnn layers to ONNX nodes ----

// A value of the ONNX graph and the astrocnn tensor it stands for (the
// layer's output on a probe image of batch size 1).
struct Traced {
  std::string name;
  Tensor probe;
};

std::string join(const std::string& path, const std::string& child) {
  return path.empty() ? child : path + "." + child;
}

Module& child(Module& m, const std::string& path, const std::string& name) {
  for (const auto& [n, c] : m.children())
    if (n == name) return *c;
  throw Error("ONNX export: " + m.type_name() + " '" + path + "' has no child '" + name + "'");
}

bool has_child(const Module& m, const std::string& name) {
  for (const auto& [n, c] : m.children())
    if (n == name) return true;
  return false;
}

// The window of a square-kernel pool or any convolution on input `x`
// [N,C,H,W], its padding resolved for that size (SAME depends on it).
OnnxWindow window_on(const Tensor& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                     int64_t stride_w, const Padding& padding) {
  PadSides pad = resolve_padding(padding, x.size(2), x.size(3), kernel_h, kernel_w, stride_h,
                                 stride_w);
  OnnxWindow w;
  w.kernel_h = kernel_h;
  w.kernel_w = kernel_w;
  w.stride_h = stride_h;
  w.stride_w = stride_w;
  w.pad_top = pad.top;
  w.pad_left = pad.left;
  w.pad_bottom = pad.bottom;
  w.pad_right = pad.right;
  return w;
}

class ModelExporter {
 public:
  explicit ModelExporter(OnnxModelBuilder& onnx) : onnx_(onnx) {}

  // Appends module `m` (named `path` in the state_dict) applied to `x`.
  Traced module(Module& m, const std::string& path, const Traced& x) {
    if (dynamic_cast<Sequential*>(&m) || dynamic_cast<models::Chain*>(&m)) return chain(m, path, x);
    if (dynamic_cast<BasicBlock*>(&m)) return residual_block(m, path, x, 2);
    if (dynamic_cast<Bottleneck*>(&m)) return residual_block(m, path, x, 3);
    return {layer(m, path, x), m.forward(x.probe)};
  }

 private:
  // Sequential and Chain: the children in order.
  Traced chain(Module& m, const std::string& path, Traced x) {
    for (const auto& [name, c] : m.children()) x = module(*c, join(path, name), x);
    return x;
  }

  // layers/resnet_blocks.h: conv1-bn1-relu, (conv2-bn2-relu,) then the last
  // conv-bn; relu(that + shortcut), the shortcut being x or "downsample"(x).
  Traced residual_block(Module& block, const std::string& path, const Traced& x, int convs) {
    Traced y = x;
    for (int i = 1; i <= convs; ++i) {
      const std::string n = std::to_string(i);
      y = module(child(block, path, "conv" + n), join(path, "conv" + n), y);
      y = module(child(block, path, "bn" + n), join(path, "bn" + n), y);
      if (i < convs) y = {onnx_.relu(join(path, "relu" + n), y.name), ops::relu(y.probe)};
    }
    Traced shortcut = has_child(block, "downsample")
                          ? module(child(block, path, "downsample"), join(path, "downsample"), x)
                          : x;
    std::string sum = onnx_.add(join(path, "add"), y.name, shortcut.name);
    // The probe follows the graph, not block.forward(), so that the check
    // against the whole model's forward() in run_export also checks this
    // reading of the block.
    return {onnx_.relu(join(path, "relu"), sum), ops::relu(ops::add(y.probe, shortcut.probe))};
  }

  // One layer without children; returns the name of its result.
  std::string layer(Module& m, const std::string& path, const Traced& x) {
    const std::string& in = x.name;
    if (auto* conv = dynamic_cast<Conv2d*>(&m)) {
      const Conv2dConfig& c = conv->config();
      return onnx_.conv(path, in, conv->weight(), conv->bias(),
                        window_on(x.probe, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.padding),
                        c.groups);
    }
    if (auto* bn = dynamic_cast<BatchNorm2d*>(&m))
      return onnx_.batch_norm(path, in, bn->weight(), bn->bias(), bn->running_mean(),
                              bn->running_var(), bn->eps());
    if (dynamic_cast<ReLU*>(&m)) return onnx_.relu(path, in);
    if (auto* leaky = dynamic_cast<LeakyReLU*>(&m)) return onnx_.leaky_relu(path, in, leaky->slope());
    if (auto* pool = dynamic_cast<MaxPool2d*>(&m))
      return onnx_.max_pool(path, in, window_on(x.probe, pool->kernel(), pool->kernel(),
                                                pool->stride(), pool->stride(), pool->padding()));
    if (auto* pool = dynamic_cast<AvgPool2d*>(&m))
      return onnx_.avg_pool(path, in,
                            window_on(x.probe, pool->kernel(), pool->kernel(), pool->stride(),
                                      pool->stride(), pool->padding()),
                            pool->count_include_pad());
    if (dynamic_cast<GlobalAvgPool*>(&m)) return onnx_.global_avg_pool(path, in);
    if (auto* flatten = dynamic_cast<Flatten*>(&m)) return onnx_.flatten(path, in, flatten->start_dim());
    if (auto* dense = dynamic_cast<Dense*>(&m)) return onnx_.dense(path, in, dense->weight(), dense->bias());
    if (auto* maxout = dynamic_cast<Maxout*>(&m)) {
      Shape dims(x.probe.shape().begin() + 1, x.probe.shape().end());
      return onnx_.maxout(path, in, dims, maxout->k());
    }
    if (dynamic_cast<Dropout*>(&m)) return in;  // the identity at inference
    throw Error("ONNX export: layer '" + path + "' (" + m.type_name() +
                ") has no ONNX mapping in tools/commands/cmd_export.cpp");
  }

  OnnxModelBuilder& onnx_;
};

// ---- The command ----

// A probe image [1, C, S, S] with varied pixels in [-0.5, 0.5), so that
// every layer's output on it is informative (zeros would pass through an
// untrained network as zeros).
Tensor probe_image(int64_t channels, int64_t size) {
  std::vector<float> pixels(static_cast<size_t>(channels * size * size));
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
  return Tensor::from_vector(pixels, {1, channels, size, size});
}

// Throws unless the walk's result on the probe is the model's own forward()
// on it (the same ops in the same order; a tolerance for any backend
// reordering): the graph was read off the model as it computes.
void check_walk_matches_forward(const Tensor& walked, Module& model, const Tensor& image,
                                const std::string& name) {
  const Tensor forward = model.forward(image);
  ASTRO_CHECK(walked.shape() == forward.shape(), "ONNX export: the walk of model '", name,
              "' gives ", walked.str(), " but its forward() gives ", forward.str());
  std::vector<float> a = walked.to(DType::F32).to_vector<float>();
  std::vector<float> b = forward.to(DType::F32).to_vector<float>();
  float largest = 1, worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, std::abs(b[i]));
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  ASTRO_CHECK(worst <= 1e-5f * largest, "ONNX export: the walk of model '", name,
              "' differs from its forward() by ", worst, " (a layer is read wrongly)");
}

// What the graph's output holds, for its doc_string and the metadata.
std::string output_description(bool classifier, const json& config) {
  if (classifier) return "softmax probabilities, one per class (as astrocnn predict writes)";
  if (config.value("loss", std::string()) == "cosine")
    return "raw outputs: a direction vector (trained with the cosine loss, which ignores its "
           "length; as astrocnn predict writes)";
  return "raw outputs: regression targets (as astrocnn predict writes)";
}

int run_export(const ExportArgs& a) {
  check_output_file(a.out, "-o");
  check_distinct_files(a.out, "-o", a.checkpoint, "--checkpoint");
  RestoredModel restored = restore_model(a.checkpoint, Device::CPU);
  Module& model = *restored.model;
  model.eval();  // dropout off, batch norm on its running statistics
  const models::ModelOptions& o = restored.spec.options;
  const json data = restored.config.value("data", json::object());
  const bool classifier = data.value("class_labels", false);

  NoGradGuard no_grad;
  OnnxModelBuilder onnx(restored.spec.name, o.in_channels, o.image_size, o.image_size);
  const Tensor image = probe_image(o.in_channels, o.image_size);
  Traced x = ModelExporter(onnx).module(model, "", {onnx.input(), image});
  check_walk_matches_forward(x.probe, model, image, restored.spec.name);
  ASTRO_CHECK(x.probe.shape() == Shape({1, o.outputs}), "ONNX export: the model '",
              restored.spec.name, "' gives ", x.probe.str(), ", not [1,", o.outputs, "]");
  if (classifier) x.name = onnx.softmax("softmax", x.name);

  const std::string outputs = output_description(classifier, restored.config);
  onnx.set_output(x.name, o.outputs, outputs);
  onnx.set_doc_string("astrocnn " + restored.spec.name + " from checkpoint '" + a.checkpoint +
                      "' (epoch " + std::to_string(restored.epoch) + "); input 'images' float32 "
                      "[batch, " + std::to_string(o.in_channels) + ", " +
                      std::to_string(o.image_size) + ", " + std::to_string(o.image_size) +
                      "], output 'outputs': " + outputs);
  onnx.add_metadata("astrocnn_version", ASTROCNN_VERSION);
  onnx.add_metadata("model", restored.spec.name);
  onnx.add_metadata("model_options", restored.config["model"].dump());
  onnx.add_metadata("task", data.value("task", classifier ? "classification" : "regression"));
  onnx.add_metadata("outputs", outputs);
  onnx.add_metadata("label_names", data.value("label_names", json::array()).dump());
  onnx.add_metadata("loss", restored.config.value("loss", std::string()));
  onnx.add_metadata("epoch", std::to_string(restored.epoch));
  onnx.add_metadata("opset", "ai.onnx " + std::to_string(kOnnxOpset));
  write_file_atomically(a.out, onnx.serialize(), "-o");

  std::printf("wrote %s: %s, %lld parameters, ONNX opset %lld; input images [batch, %lld, %lld, "
              "%lld], output [batch, %lld] (%s)\n",
              a.out.c_str(), restored.spec.name.c_str(),
              static_cast<long long>(model.parameter_count()), static_cast<long long>(kOnnxOpset),
              static_cast<long long>(o.in_channels), static_cast<long long>(o.image_size),
              static_cast<long long>(o.image_size), static_cast<long long>(o.outputs),
              classifier ? "softmax probabilities" : "raw outputs");
  return 0;
}

#else

int run_export(const ExportArgs&) {
  throw Error("export: this astrocnn was built without ONNX support (install libonnx-dev and "
              "libprotobuf-dev, then re-run cmake)");
}

#endif

}  // namespace

Command add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  ExportArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "export", "Write a checkpoint's network as an ONNX model (opset 17) that computes what "
      "predict writes: softmax probabilities for classifiers, raw outputs for regression");
  sub->add_option("--checkpoint", a.checkpoint, "checkpoint written by astrocnn train "
                  "(checkpoint.h5 or best.h5)")->required();
  sub->add_option("-o,--output", a.out, "ONNX file to write (replaced atomically; a symlink is "
                  "written through)")->required()->type_name("ONNX");
  return {sub, [args] { return run_export(*args); }};
}

}  // namespace astrocnn::cli
