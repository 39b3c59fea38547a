// An ONNX model written node by node (`astrocnn export`, docs/EXPORT.md):
// the protobuf implementation of core/onnx_graph.h's OnnxGraph, onto which
// each layer maps itself (Module::export_onnx, in the layer's own file). This
// header holds no ONNX type: the ModelProto is built with ONNX's generated
// protobuf classes (Debian's libonnx-dev) inside onnx_export.cpp, checked by
// ONNX's checker and shape inference, and serialised by protobuf.
//
//   OnnxModelBuilder onnx("small", 1, 32, 32);        // input "images" [batch, 1, 32, 32]
//   OnnxValue x = model.export_onnx(onnx, "", {onnx.input(), probe});
//   onnx.set_output(x.name, 5, "raw outputs");        // output "outputs" [batch, 5]
//   write_file_atomically(path, onnx.serialize(), "-o");
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/onnx_graph.h"
#include "core/tensor/tensor.h"

namespace astrocnn {

// The ONNX operator set the exported graphs use (ai.onnx 17: the newest that
// ONNX 1.12's checker knows; onnxruntime runs it), and the IR version that
// goes with it.
constexpr int64_t kOnnxOpset = 17;
constexpr int64_t kOnnxIrVersion = 8;

class OnnxModelBuilder : public OnnxGraph {
 public:
  // The graph's one input, "images": float32 [batch, channels, height,
  // width], the batch size left free ("batch").
  OnnxModelBuilder(const std::string& graph_name, int64_t channels, int64_t height, int64_t width);
  ~OnnxModelBuilder() override;
  OnnxModelBuilder(const OnnxModelBuilder&) = delete;
  OnnxModelBuilder& operator=(const OnnxModelBuilder&) = delete;

  std::string input() const;

  std::string add_node(const std::string& op, const std::string& name,
                       const std::vector<std::string>& inputs,
                       const OnnxAttributes& attributes = {}) override;
  std::string add_initializer(const std::string& name, const Tensor& t) override;
  std::string add_int64_initializer(const std::string& name,
                                    const std::vector<int64_t>& values) override;

  // Makes `x` the graph's output "outputs", float32 [batch, features]
  // (the node that computes x writes it under that name), described by `doc`.
  void set_output(const std::string& x, int64_t features, const std::string& doc);
  // A key-value pair of the model's metadata_props.
  void add_metadata(const std::string& key, const std::string& value);
  void set_doc_string(const std::string& doc);

  // Runs ONNX's checker and strict shape inference (which must agree with
  // the output's declared shape), then returns the serialised model. An
  // Error names what ONNX refused: that would be a bug of the exporter.
  std::string serialize();

 private:
  struct Model;  // the ModelProto
  std::unique_ptr<Model> model_;
};

// "ONNX 1.12.0, protobuf 3.21.12": the libraries this build writes ONNX with.
std::string onnx_library_versions();

}  // namespace astrocnn
