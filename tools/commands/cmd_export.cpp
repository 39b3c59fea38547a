// `astrocnn export`: a checkpoint's network as an ONNX model, for inference
// in onnxruntime, TensorRT, or the FPGA and accelerator tool chains that take
// ONNX (docs/EXPORT.md). The graph computes what `astrocnn predict` writes:
// softmax probabilities for classifiers, raw outputs for regression.
//
// Each layer maps itself onto ONNX nodes in its own file
// (Module::export_onnx, through core/onnx_graph.h); a layer without a
// mapping is an Error, never a silently wrong graph. Each value of the graph
// travels with the astrocnn tensor it stands for on a probe image, because
// some ONNX attributes depend on the input size at that point (TensorFlow-
// style SAME padding, Maxout's reshape), and the final one is checked against
// the model's own forward().
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
#include "io/onnx/onnx_export.h"
#endif

namespace astrocnn::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string out;
};

#if defined(ASTROCNN_HAVE_ONNX)

// The model's graph on `input`: every module appends its own nodes (its
// export_onnx, in its layer file), containers their children's.
OnnxValue export_model(Module& model, OnnxGraph& onnx, const OnnxValue& input) {
  return model.export_onnx(onnx, "", input);
}

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
  OnnxValue x = export_model(model, onnx, {onnx.input(), image});
  check_walk_matches_forward(x.probe, model, image, restored.spec.name);
  ASTRO_CHECK(x.probe.shape() == Shape({1, o.outputs}), "ONNX export: the model '",
              restored.spec.name, "' gives ", x.probe.str(), ", not [1,", o.outputs, "]");
  if (classifier) x.name = onnx.add_node("Softmax", "softmax", {x.name}, {onnx_int("axis", 1)});

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
