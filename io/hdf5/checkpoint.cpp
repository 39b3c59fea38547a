#include "io/hdf5/checkpoint.h"

#include <set>

#include "io/hdf5/atomic_write.h"
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

// Groups remember their links' creation order, as the root does (h5::create_truncate).
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
                     const std::string& tmp) {
  const h5::Where where{tmp, "/optimizer"};
  h5::Group group = create_group(file, kOptimizerGroup, where);
  for (const auto& [name, t] : state) h5::write_tensor(group, name, t, {tmp, "/optimizer/" + name});
  const SgdOptions& o = optimizer.options();
  h5::write_string_attribute(group, "type", "SGD", where);
  h5::write_double_attribute(group, "lr", o.lr, where);
  h5::write_double_attribute(group, "momentum", o.momentum, where);
  h5::write_double_attribute(group, "dampening", o.dampening, where);
  h5::write_double_attribute(group, "weight_decay", o.weight_decay, where);
  h5::write_int_attribute(group, "nesterov", o.nesterov ? 1 : 0, where);
}

void write_meta(hid_t file, const CheckpointMeta& meta, const std::string& tmp) {
  const h5::Where where{tmp, "/meta"};
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
    const h5::Where at{where.file, where.object == "/" ? name : where.object + "/" + name};
    h5::Object object(
        h5::check(H5Oopen(location, name.c_str(), H5P_DEFAULT), at, "cannot open the object"));
    if (H5Iget_type(object) != H5I_DATASET) continue;  // the optimizer and meta groups
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
  return state;
}

}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const SGD* optimizer,
                     const CheckpointMeta& meta) {
  const NamedTensors state = model.state_dict();
  check_entry_names(state, path);
  const NamedTensors optimizer_state = optimizer ? optimizer->state() : NamedTensors{};
  check_entry_names(optimizer_state, path);

  write_atomically(path, [&](const std::string& tmp) {
    h5::Guard guard;  // not held for the fsync and rename: readers in other threads go on
    h5::File file = h5::create_truncate(tmp);
    for (const auto& [name, t] : state) h5::write_tensor(file, name, t, {tmp, name});
    if (optimizer) write_optimizer(file, *optimizer, optimizer_state, tmp);
    write_meta(file, meta, tmp);
    h5::write_int_attribute(file, "astrocnn_format", kCheckpointFormat, {tmp, "/"});
    h5::check_status(file.close(), {tmp, ""}, "cannot close the file (disk full?)");
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

}  // namespace astrocnn
