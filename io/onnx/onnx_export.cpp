#include "io/onnx/onnx_export.h"

#include <google/protobuf/stubs/common.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>
#include <initializer_list>

#include "core/tensor/error.h"

namespace astrocnn {

namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;
using ::onnx::TensorShapeProto;
using ::onnx::ValueInfoProto;

const char* const kInputName = "images";
const char* const kOutputName = "outputs";
const char* const kBatchDim = "batch";

// A float32 initializer holding `t`'s values, named `name`. Tensors of any
// device and dtype (a bf16 or GPU model) are converted to float32 on the host.
void add_float_initializer(GraphProto& graph, const std::string& name, const Tensor& t) {
  TensorProto* init = graph.add_initializer();
  init->set_name(name);
  init->set_data_type(TensorProto::FLOAT);
  for (int64_t d : t.shape()) init->add_dims(d);
  std::vector<float> values = t.to(Device::CPU).to(DType::F32).to_vector<float>();
  init->mutable_float_data()->Add(values.begin(), values.end());
}

void add_int64_initializer(GraphProto& graph, const std::string& name,
                           const std::vector<int64_t>& values) {
  TensorProto* init = graph.add_initializer();
  init->set_name(name);
  init->set_data_type(TensorProto::INT64);
  init->add_dims(static_cast<int64_t>(values.size()));
  init->mutable_int64_data()->Add(values.begin(), values.end());
}

NodeProto* add_node(GraphProto& graph, const std::string& op, const std::string& name,
                    std::initializer_list<std::string> inputs, const std::string& output) {
  NodeProto* node = graph.add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(output);
  return node;
}

// A node `op` named `name` on x with the layer's weight and, when defined,
// bias as initializers named as in its state_dict (Conv and Gemm take them
// as inputs 2 and 3).
NodeProto* add_weighted_node(GraphProto& graph, const std::string& op, const std::string& name,
                             const std::string& x, const Tensor& weight, const Tensor& bias) {
  add_float_initializer(graph, name + ".weight", weight);
  NodeProto* node = add_node(graph, op, name, {x, name + ".weight"}, name);
  if (bias.defined()) {
    add_float_initializer(graph, name + ".bias", bias);
    node->add_input(name + ".bias");
  }
  return node;
}

void set_ints(NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_int(NodeProto* node, const std::string& name, int64_t value) {
  AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INT);
  a->set_i(value);
}

void set_float(NodeProto* node, const std::string& name, double value) {
  AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::FLOAT);
  a->set_f(static_cast<float>(value));
}

// kernel_shape, strides and pads (ONNX orders them top, left, bottom, right).
void set_window(NodeProto* node, const OnnxWindow& w) {
  set_ints(node, "kernel_shape", {w.kernel_h, w.kernel_w});
  set_ints(node, "strides", {w.stride_h, w.stride_w});
  set_ints(node, "pads", {w.pad_top, w.pad_left, w.pad_bottom, w.pad_right});
}

// A float32 tensor type whose first dimension is the free batch size.
void set_batched_type(ValueInfoProto* value, const Shape& dims_after_batch) {
  auto* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(TensorProto::FLOAT);
  TensorShapeProto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param(kBatchDim);
  for (int64_t d : dims_after_batch) shape->add_dim()->set_dim_value(d);
}

}  // namespace

struct OnnxModelBuilder::Model {
  ModelProto proto;
  GraphProto& graph() { return *proto.mutable_graph(); }
};

OnnxModelBuilder::OnnxModelBuilder(const std::string& graph_name, int64_t channels, int64_t height,
                                   int64_t width)
    : model_(std::make_unique<Model>()) {
  ModelProto& m = model_->proto;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("astrocnn");
  m.set_producer_version(ASTROCNN_VERSION);
  auto* opset = m.add_opset_import();
  opset->set_domain("");  // ai.onnx
  opset->set_version(kOnnxOpset);
  GraphProto& g = model_->graph();
  g.set_name(graph_name);
  ValueInfoProto* in = g.add_input();
  in->set_name(kInputName);
  in->set_doc_string("images, float32 [batch, channels, height, width], as astrocnn reads them");
  set_batched_type(in, {channels, height, width});
}

OnnxModelBuilder::~OnnxModelBuilder() = default;

std::string OnnxModelBuilder::input() const { return kInputName; }

std::string OnnxModelBuilder::conv(const std::string& name, const std::string& x,
                                   const Tensor& weight, const Tensor& bias,
                                   const OnnxWindow& window, int64_t groups) {
  NodeProto* node = add_weighted_node(model_->graph(), "Conv", name, x, weight, bias);
  set_window(node, window);
  set_ints(node, "dilations", {1, 1});
  set_int(node, "group", groups);
  return name;
}

std::string OnnxModelBuilder::batch_norm(const std::string& name, const std::string& x,
                                         const Tensor& weight, const Tensor& bias,
                                         const Tensor& running_mean, const Tensor& running_var,
                                         double eps) {
  GraphProto& g = model_->graph();
  const char* const parts[] = {"weight", "bias", "running_mean", "running_var"};
  const Tensor* tensors[] = {&weight, &bias, &running_mean, &running_var};
  for (int i = 0; i < 4; ++i) add_float_initializer(g, name + "." + parts[i], *tensors[i]);
  // Inputs X, scale, B, input_mean, input_var; training_mode 0 (the default)
  // normalises with the running statistics, as astrocnn's eval mode does.
  NodeProto* node = add_node(g, "BatchNormalization", name,
                             {x, name + ".weight", name + ".bias", name + ".running_mean",
                              name + ".running_var"},
                             name);
  set_float(node, "epsilon", eps);
  return name;
}

std::string OnnxModelBuilder::relu(const std::string& name, const std::string& x) {
  add_node(model_->graph(), "Relu", name, {x}, name);
  return name;
}

std::string OnnxModelBuilder::leaky_relu(const std::string& name, const std::string& x,
                                         double slope) {
  set_float(add_node(model_->graph(), "LeakyRelu", name, {x}, name), "alpha", slope);
  return name;
}

std::string OnnxModelBuilder::max_pool(const std::string& name, const std::string& x,
                                       const OnnxWindow& window) {
  // ONNX's MaxPool ignores padded pixels, as astrocnn's does (they count as -inf).
  NodeProto* node = add_node(model_->graph(), "MaxPool", name, {x}, name);
  set_window(node, window);
  set_int(node, "ceil_mode", 0);
  return name;
}

std::string OnnxModelBuilder::avg_pool(const std::string& name, const std::string& x,
                                       const OnnxWindow& window, bool count_include_pad) {
  NodeProto* node = add_node(model_->graph(), "AveragePool", name, {x}, name);
  set_window(node, window);
  set_int(node, "ceil_mode", 0);
  set_int(node, "count_include_pad", count_include_pad ? 1 : 0);
  return name;
}

std::string OnnxModelBuilder::global_avg_pool(const std::string& name, const std::string& x) {
  GraphProto& g = model_->graph();
  const std::string pooled = name + ".pooled";  // [N, C, 1, 1]
  add_node(g, "GlobalAveragePool", pooled, {x}, pooled);
  set_int(add_node(g, "Flatten", name, {pooled}, name), "axis", 1);
  return name;
}

std::string OnnxModelBuilder::flatten(const std::string& name, const std::string& x,
                                      int64_t start_dim) {
  GraphProto& g = model_->graph();
  if (start_dim == 1) {
    set_int(add_node(g, "Flatten", name, {x}, name), "axis", 1);
    return name;
  }
  // Reshape's 0 copies the input's dimension, -1 takes what is left.
  std::vector<int64_t> shape(static_cast<size_t>(start_dim), 0);
  shape.push_back(-1);
  add_int64_initializer(g, name + ".shape", shape);
  add_node(g, "Reshape", name, {x, name + ".shape"}, name);
  return name;
}

std::string OnnxModelBuilder::dense(const std::string& name, const std::string& x,
                                    const Tensor& weight, const Tensor& bias) {
  // Gemm: alpha * x * B' + beta * C with B = weight [out, in] (PyTorch's layout) and transB.
  NodeProto* node = add_weighted_node(model_->graph(), "Gemm", name, x, weight, bias);
  set_int(node, "transB", 1);
  return name;
}

std::string OnnxModelBuilder::maxout(const std::string& name, const std::string& x,
                                     const Shape& dims, int64_t k) {
  ASTRO_CHECK(!dims.empty() && k > 0 && dims[0] % k == 0, "ONNX export of Maxout '", name,
              "': ", dims.empty() ? 0 : dims[0], " features do not split into groups of ", k);
  GraphProto& g = model_->graph();
  // [N, n*k, rest...] -> [N, n, k, rest...]: entries j*k .. j*k+k-1 of
  // dimension 1 (one group) become row j of the new k axis.
  std::vector<int64_t> grouped = {0, dims[0] / k, k};
  grouped.insert(grouped.end(), dims.begin() + 1, dims.end());
  add_int64_initializer(g, name + ".shape", grouped);
  const std::string pieces = name + ".pieces";
  add_node(g, "Reshape", pieces, {x, name + ".shape"}, pieces);
  NodeProto* max = add_node(g, "ReduceMax", name, {pieces}, name);
  set_ints(max, "axes", {2});  // an attribute up to opset 17, an input from 18 on
  set_int(max, "keepdims", 0);
  return name;
}

std::string OnnxModelBuilder::add(const std::string& name, const std::string& a,
                                  const std::string& b) {
  add_node(model_->graph(), "Add", name, {a, b}, name);
  return name;
}

std::string OnnxModelBuilder::softmax(const std::string& name, const std::string& x) {
  set_int(add_node(model_->graph(), "Softmax", name, {x}, name), "axis", 1);
  return name;
}

void OnnxModelBuilder::set_output(const std::string& x, int64_t features, const std::string& doc) {
  GraphProto& g = model_->graph();
  // The node that computes x now writes "outputs" (nothing else reads x).
  NodeProto* last = nullptr;
  for (NodeProto& node : *g.mutable_node())
    if (node.output_size() == 1 && node.output(0) == x) last = &node;
  ASTRO_CHECK(last != nullptr, "ONNX export: no node computes '", x, "'");
  last->set_output(0, kOutputName);
  ValueInfoProto* out = g.add_output();
  out->set_name(kOutputName);
  out->set_doc_string(doc);
  set_batched_type(out, {features});
}

void OnnxModelBuilder::add_metadata(const std::string& key, const std::string& value) {
  auto* entry = model_->proto.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

void OnnxModelBuilder::set_doc_string(const std::string& doc) {
  model_->proto.set_doc_string(doc);
}

std::string OnnxModelBuilder::serialize() {
  ModelProto& m = model_->proto;
  // Protobuf refuses messages of 2 GiB or more; such weights would need
  // ONNX's external-data files, which astrocnn does not write.
  const size_t bytes = m.ByteSizeLong();
  ASTRO_CHECK(bytes < static_cast<size_t>(INT_MAX), "the ONNX model would take ", bytes >> 20,
              " MiB, over protobuf's 2 GiB limit for one file");
  try {
    ::onnx::checker::check_model(m);
    // Strict: a node whose shapes do not work out throws, and so does an
    // output shape that disagrees with the one astrocnn declared. Intermediate
    // shapes stay in the file (value_info), for tools that want them.
    ::onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1);
    ::onnx::shape_inference::InferShapes(m, ::onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw Error(std::string("ONNX rejects the exported model (a bug of astrocnn export): ") +
                e.what());
  }
  std::string out;
  ASTRO_CHECK(m.SerializeToString(&out), "protobuf could not serialise the ONNX model");
  return out;
}

std::string onnx_library_versions() {
  return std::string("ONNX ") + ASTROCNN_ONNX_VERSION + ", protobuf " +
         ::google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION);
}

}  // namespace astrocnn
