#include "io/hdf5/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_handle.h"

#ifndef ASTROCNN_VERSION
#define ASTROCNN_VERSION "unknown"
#endif

namespace astrocnn {

namespace {

const char kOptimizerGroup[] = "optimizer";
const char kMetaGroup[] = "meta";

// Entry names become HDF5 link names as they are: they must not contain '/'
// (a path separator) nor be "." (the group itself), and must not collide with
// the two groups.
void check_entry_names(const NamedTensors& entries, const std::string& path) {
  std::set<std::string> seen;
  for (const auto& [name, t] : entries) {
    ASTRO_CHECK(!name.empty() && name != "." && name.find('/') == std::string::npos,
                "save_checkpoint '", path, "': entry name '", name,
                "' cannot be an HDF5 dataset name (empty, '.' or containing '/')");
    ASTRO_CHECK(name != kOptimizerGroup && name != kMetaGroup, "save_checkpoint '", path,
                "': entry name '", name, "' is reserved for a group");
    ASTRO_CHECK(seen.insert(name).second, "save_checkpoint '", path, "': entry '", name,
                "' appears twice");
    ASTRO_CHECK(t.defined(), "save_checkpoint '", path, "': entry '", name, "' is undefined");
  }
}

// Groups remember their links' creation order, as the root does (h5::write_new_file).
h5::Group create_group(hid_t file, const char* name, const h5::Where& where) {
  h5::PropList creation(
      h5::check(H5Pcreate(H5P_GROUP_CREATE), where, "cannot create a property list"));
  h5::check_status(
      H5Pset_link_creation_order(creation, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
      "cannot track the link creation order");
  return h5::Group(h5::check(H5Gcreate2(file, name, H5P_DEFAULT, creation, H5P_DEFAULT), where,
                             "cannot create the group"));
}

// Creation order where the group indexes it (files astrocnn wrote: entries
// come back in state_dict order), else alphabetical order.
H5_index_t listing_order(hid_t location, const h5::Where& where) {
  // `location` may be a file: "." opens its root group.
  h5::Group group(h5::check(H5Gopen2(location, ".", H5P_DEFAULT), where, "cannot open the group"));
  h5::PropList creation(h5::check(H5Gget_create_plist(group), where, "cannot inspect the group"));
  unsigned flags = 0;
  h5::check_status(H5Pget_link_creation_order(creation, &flags), where, "cannot inspect the group");
  return (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
}

void write_optimizer(hid_t file, const SGD& optimizer, const NamedTensors& state,
                     const std::string& path) {
  const h5::Where where{path, "/optimizer"};
  h5::Group group = create_group(file, kOptimizerGroup, where);
  for (const auto& [name, t] : state) h5::write_tensor(group, name, t, {path, "/optimizer/" + name});
  const SgdOptions& o = optimizer.options();
  h5::write_string_attribute(group, "type", "SGD", where);
  h5::write_double_attribute(group, "lr", o.lr, where);
  h5::write_double_attribute(group, "momentum", o.momentum, where);
  h5::write_double_attribute(group, "dampening", o.dampening, where);
  h5::write_double_attribute(group, "weight_decay", o.weight_decay, where);
  h5::write_int_attribute(group, "nesterov", o.nesterov ? 1 : 0, where);
  // Which parameters have a momentum buffer (SGD makes one at a parameter's
  // first gradient, so a frozen or unused one has none): read back, a
  // missing buffer is then told from one that never existed.
  std::vector<std::string> buffers;
  for (const auto& [name, t] : state) {
    const std::string suffix = ".momentum_buffer";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      buffers.push_back(name.substr(0, name.size() - suffix.size()));
  }
  h5::write_int_attribute(group, "momentum_buffer_count", static_cast<int64_t>(buffers.size()), where);
  if (!buffers.empty()) h5::write_strings_attribute(group, "momentum_buffers", buffers, where);
}

void write_meta(hid_t file, const CheckpointMeta& meta, const std::string& path) {
  const h5::Where where{path, "/meta"};
  h5::Group group = create_group(file, kMetaGroup, where);
  h5::write_int_attribute(group, "epoch", meta.epoch, where);
  h5::write_string_attribute(group, "model", meta.model, where);
  h5::write_string_attribute(group, "config", meta.config_json, where);
  h5::write_string_attribute(group, "astrocnn_version", ASTROCNN_VERSION, where);
  h5::write_double_attribute(group, "best_metric", meta.best_metric, where);
}

bool link_exists(hid_t location, const char* name, const h5::Where& where) {
  return h5::check_bool(H5Lexists(location, name, H5P_DEFAULT), where, "cannot look up the object");
}

// Every dataset directly under `location` (groups are skipped).
NamedTensors read_datasets(hid_t location, const h5::Where& where) {
  H5G_info_t info;
  h5::check_status(H5Gget_info(location, &info), where, "cannot list the group");
  const H5_index_t order = listing_order(location, where);
  NamedTensors out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(location, ".", order, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) h5::fail(where, "cannot list the group");
    std::string name(static_cast<size_t>(length) + 1, '\0');
    H5Lget_name_by_idx(location, ".", order, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(length));
    const h5::Where at{where.file, where.object == "/" ? "/" + name : where.object + "/" + name};
    h5::Object object(
        h5::check(H5Oopen(location, name.c_str(), H5P_DEFAULT), at, "cannot open the object"));
    if (H5Iget_type(object) != H5I_DATASET) continue;  // the optimizer and meta groups
    // Declared sizes are checked before they size an allocation: no tensor
    // of a model astrocnn builds comes near 2^31 values.
    // (Any zero dimension makes an empty entry, whatever the others declare.)
    const std::vector<hsize_t> dims = h5::dataset_dims(object, at);
    const bool empty = std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end();
    hsize_t values = 1;
    for (hsize_t d : dims) {
      if (empty) break;
      if (values > (hsize_t{1} << 31) / d)
        h5::fail(at, "declares more than 2^31 values (the checkpoint is damaged)");
      values *= d;
    }
    out.emplace_back(name, h5::read_tensor(object, at));
  }
  return out;
}

CheckpointMeta read_meta(hid_t file, const std::string& path) {
  CheckpointMeta meta;
  const h5::Where root{path, "/"};
  if (h5::has_attribute(file, "astrocnn_format", root)) {
    const int64_t format = h5::read_int_attribute(file, "astrocnn_format", root);
    if (format < 1 || format > kCheckpointFormat)
      h5::fail(root, "checkpoint format " + std::to_string(format) +
                         " is not supported (this build reads formats 1 to " +
                         std::to_string(kCheckpointFormat) + ")");
  }
  // A plain state_dict written with h5py has no /meta: the defaults stand.
  if (!link_exists(file, kMetaGroup, root)) return meta;
  const h5::Where where{path, "/meta"};
  h5::Group group(
      h5::check(H5Gopen2(file, kMetaGroup, H5P_DEFAULT), where, "cannot open the group"));
  meta.epoch = h5::read_int_attribute(group, "epoch", where);
  meta.model = h5::read_string_attribute(group, "model", where);
  meta.config_json = h5::read_string_attribute(group, "config", where);
  meta.astrocnn_version = h5::read_string_attribute(group, "astrocnn_version", where);
  meta.best_metric = h5::read_double_attribute(group, "best_metric", where);
  return meta;
}

struct OptimizerState {
  NamedTensors entries;
  double lr = 0;
  double momentum = 0;
  // The parameters the writer had momentum buffers for; absent in files of
  // older versions and of other writers (then every parameter needs one).
  std::optional<std::vector<std::string>> buffers;
};

OptimizerState read_optimizer(hid_t file, const std::string& path) {
  const h5::Where where{path, "/optimizer"};
  if (!link_exists(file, kOptimizerGroup, {path, "/"}))
    h5::fail(where,
             "missing: the checkpoint holds no optimizer state (saved without an optimizer?)");
  h5::Group group(
      h5::check(H5Gopen2(file, kOptimizerGroup, H5P_DEFAULT), where, "cannot open the group"));
  OptimizerState state;
  state.entries = read_datasets(group, where);
  state.lr = h5::read_double_attribute(group, "lr", where);
  state.momentum = h5::read_double_attribute(group, "momentum", where);
  if (h5::has_attribute(group, "momentum_buffer_count", where)) {
    const int64_t count = h5::read_int_attribute(group, "momentum_buffer_count", where);
    state.buffers = count > 0 ? h5::read_strings_attribute(group, "momentum_buffers", where)
                              : std::vector<std::string>{};
    if (static_cast<int64_t>(state.buffers->size()) != count)
      h5::fail(where, "momentum_buffer_count is " + std::to_string(count) + " but momentum_buffers names " +
                          std::to_string(state.buffers->size()));
  }
  if (!std::isfinite(state.lr) || state.lr < 0)
    h5::fail(where, "the attribute 'lr' is " + std::to_string(state.lr) + " (a learning rate is finite and >= 0)");
  return state;
}

// The checks the layout of docs/DATA.md promises beyond names and shapes
// (which Module::load_state_dict checks): every entry is of the kind of the
// tensor it restores (floating point or integer) and finite, so that a damaged or foreign file
// is an error naming the entry, not NaN outputs or a silently converted
// int32 weight.
// HDF5 integers of any width are read as int64: name them as integers.
std::string stored_type(const Tensor& t) {
  return t.dtype() == DType::I64 ? std::string("integers") : dtype_name(t.dtype());
}

const Tensor* find_entry(const NamedTensors& entries, const std::string& name) {
  for (const auto& [n, t] : entries)
    if (n == name) return &t;
  return nullptr;
}

// Checked as the tensor will hold it: a float64 entry of 1e300 loads into a
// float32 model as inf.
void check_finite(const Tensor& t, DType loaded_as, const h5::Where& at) {
  if (t.dtype() == DType::I64) return;
  const std::vector<double> values = t.to(loaded_as).to(DType::F64).to_vector<double>();
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      h5::fail(at, "holds a non-finite value (" + std::to_string(values[i]) + " at element " +
                       std::to_string(i) + "); the checkpoint is damaged");
}

void check_model_entries(const NamedTensors& stored, const Module& model, const std::string& path) {
  for (const auto& [name, expected] : model.state_dict()) {
    const Tensor* t = find_entry(stored, name);
    if (!t) continue;  // load_state_dict lists the missing entries
    const h5::Where at{path, "/" + name};
    // Floats of any width load into floating tensors (h5py writes float64);
    // integers only into integer ones (num_batches_tracked).
    if ((t->dtype() == DType::I64) != (expected.dtype() == DType::I64))
      h5::fail(at, "holds " + stored_type(*t) + " but the model's '" + name + "' is " +
                       dtype_name(expected.dtype()));
    check_finite(*t, expected.dtype(), at);
  }
}

// With momentum, a parameter's first gradient gives it a momentum buffer:
// a checkpoint past step 0 without one that the writer had would not
// continue the run exactly. The file says which it had (attributes
// momentum_buffer_count and momentum_buffers); without them, every parameter
// must have one.
void check_optimizer_entries(const OptimizerState& state, const Module& model,
                             const std::string& path) {
  const Tensor* step = find_entry(state.entries, "step");
  if (!step) h5::fail({path, "/optimizer/step"}, "missing");
  if (step->dtype() != DType::I64 || step->numel() != 1 || step->item() < 0)
    h5::fail({path, "/optimizer/step"}, "must be one int64 >= 0, got " + step->str());
  const auto parameters = model.named_parameters();
  for (const auto& [name, t] : state.entries) {
    if (name == "step") continue;
    const h5::Where at{path, "/optimizer/" + name};
    if (t.dtype() == DType::I64) h5::fail(at, "holds integers; a momentum buffer is floating point");
    DType loaded_as = DType::F32;
    for (const auto& [param_name, param] : parameters)
      if (name == param_name + ".momentum_buffer") loaded_as = param.dtype();
    check_finite(t, loaded_as, at);
  }
  if (state.momentum == 0 || step->item() == 0) return;
  for (const auto& [name, param] : parameters) {
    const bool had_one =
        !state.buffers || std::find(state.buffers->begin(), state.buffers->end(), name) != state.buffers->end();
    const Tensor* buffer = find_entry(state.entries, name + ".momentum_buffer");
    const h5::Where at{path, "/optimizer/" + name + ".momentum_buffer"};
    if (!buffer && had_one)
      h5::fail(at, state.buffers ? std::string("missing (the file's momentum_buffers lists it)")
                                 : "missing (an optimizer with momentum " + std::to_string(state.momentum) +
                                       " after " + std::to_string(static_cast<int64_t>(step->item())) +
                                       " steps has one for every parameter)");
    if (!buffer) continue;
    if (buffer->dtype() == DType::I64)
      h5::fail(at, "holds " + stored_type(*buffer) + " but the parameter is " +
                       dtype_name(param.dtype()));
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const SGD* optimizer,
                     const CheckpointMeta& meta) {
  AtomicFile out(path);
  save_checkpoint(out, model, optimizer, meta);
  out.commit();
}

void save_checkpoint(AtomicFile& out, const Module& model, const SGD* optimizer,
                     const CheckpointMeta& meta) {
  const std::string& path = out.path();
  const NamedTensors state = model.state_dict();
  check_entry_names(state, path);
  const NamedTensors optimizer_state = optimizer ? optimizer->state() : NamedTensors{};
  check_entry_names(optimizer_state, path);

  h5::write_new_file(out, [&](hid_t file) {
    for (const auto& [name, t] : state) h5::write_tensor(file, name, t, {path, name});
    if (optimizer) write_optimizer(file, *optimizer, optimizer_state, path);
    write_meta(file, meta, path);
    h5::write_int_attribute(file, "astrocnn_format", kCheckpointFormat, {path, "/"});
  });
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  h5::Guard guard;
  h5::File file = h5::open_read_only(path, "checkpoint");
  return read_meta(file, path);
}

NamedTensors read_checkpoint_state(const std::string& path) {
  h5::Guard guard;
  h5::File file = h5::open_read_only(path, "checkpoint");
  return read_datasets(file, {path, "/"});
}

CheckpointMeta load_checkpoint(const std::string& path, Module& model, SGD* optimizer) {
  NamedTensors state;
  OptimizerState optimizer_state;
  CheckpointMeta meta;
  {
    h5::Guard guard;
    h5::File file = h5::open_read_only(path, "checkpoint");
    meta = read_meta(file, path);
    state = read_datasets(file, {path, "/"});
    if (optimizer) optimizer_state = read_optimizer(file, path);
  }
  check_model_entries(state, model, path);
  if (optimizer) check_optimizer_entries(optimizer_state, model, path);

  // All or nothing: the optimiser first (its load_state validates before it
  // changes anything), then the model; if the model rejects the state, the
  // optimiser gets its previous state back.
  NamedTensors previous;
  double previous_lr = 0;
  if (optimizer) {
    previous = optimizer->state();
    previous_lr = optimizer->lr();
    try {
      optimizer->load_state(optimizer_state.entries);
      optimizer->set_lr(optimizer_state.lr);
    } catch (const Error& e) {
      optimizer->load_state(previous);
      optimizer->set_lr(previous_lr);
      throw Error("checkpoint '" + path + "': " + e.what());
    }
  }
  try {
    model.load_state_dict(state);
  } catch (const Error& e) {
    if (optimizer) {
      optimizer->load_state(previous);
      optimizer->set_lr(previous_lr);
    }
    throw Error("checkpoint '" + path + "': " + e.what());
  }
  return meta;
}

void load_model_entries(Module& model, const NamedTensors& stored, const std::string& path,
                        const std::set<std::string>& keep) {
  // The file's entries, with the model's own in place of those kept: then
  // load_state_dict checks what remains exactly as for a whole checkpoint.
  NamedTensors state;
  for (const auto& [name, t] : stored)
    if (!keep.count(name)) state.emplace_back(name, t);
  for (const auto& [name, t] : model.state_dict())
    if (keep.count(name)) state.emplace_back(name, t.clone());
  check_model_entries(state, model, path);
  try {
    model.load_state_dict(state);
  } catch (const Error& e) {
    throw Error("checkpoint '" + path + "': " + e.what());
  }
}

}  // namespace astrocnn
