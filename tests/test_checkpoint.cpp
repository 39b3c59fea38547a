// Checkpoints: save_checkpoint / load_checkpoint round trips, the on-disk
// layout PyTorch users rely on, and the errors for files that do not fit.
#if defined(ASTROCNN_HAVE_HDF5)
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/optim.h"
#include "temp_dir.h"
#include "io/hdf5/checkpoint.h"
#include "layers/layers.h"

using namespace astrocnn;
namespace fs = std::filesystem;

namespace {

using testing::TempDir;

// Conv2d(2->3, 3x3, pad 1) + BatchNorm2d(3) + ReLU + Flatten + Dense(48 -> outputs),
// on 4x4 images; a fresh random initialisation each call.
std::shared_ptr<Sequential> small_model(int64_t outputs = 2, bool with_batchnorm = true) {
  auto model = std::make_shared<Sequential>();
  model->add(std::make_shared<Conv2d>(2, 3, 3, 1, 1));
  if (with_batchnorm) model->add(std::make_shared<BatchNorm2d>(3));
  model->add(std::make_shared<ReLU>());
  model->add(std::make_shared<Flatten>());
  model->add(std::make_shared<Dense>(48, outputs));
  return model;
}

Tensor batch_images(double shift) {
  std::vector<float> px(2 * 2 * 4 * 4);
  for (size_t i = 0; i < px.size(); ++i)
    px[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i) + shift));
  return Tensor::from_vector(px, {2, 2, 4, 4});
}

// One training step (MSE towards a fixed target): changes the parameters,
// the batch-norm statistics and the momentum buffers.
void train_step(Module& model, SGD& sgd, double shift) {
  sgd.zero_grad();
  Tensor prediction = model(batch_images(shift));
  Tensor target = Tensor::full(prediction.shape(), 0.75);
  ops::mse_loss(prediction, target).backward();
  sgd.step();
}

SgdOptions momentum_options() {
  SgdOptions o;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.weight_decay = 1e-3;
  return o;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  const Tensor ha = a.to(Device::CPU), hb = b.to(Device::CPU);
  return ha.dtype() == hb.dtype() && ha.shape() == hb.shape() &&
         std::memcmp(ha.raw(), hb.raw(), ha.nbytes()) == 0;
}

void require_same_state(const NamedTensors& a, const NamedTensors& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(a[i].first == b[i].first);
    CHECK(same_bytes(a[i].second, b[i].second));
  }
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// HDF5 objects (files, datasets, ...) still open anywhere in the process:
// every path through the library, error paths included, must close its own.
ssize_t open_hdf5_objects() {
  return H5Fget_obj_count(static_cast<hid_t>(H5F_OBJ_ALL), H5F_OBJ_ALL);
}

}  // namespace

TEST_CASE("save_checkpoint / load_checkpoint restore the model and the optimiser", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);
  train_step(*model, sgd, 1.0);
  sgd.set_lr(0.02);  // as a schedule would
  CheckpointMeta meta;
  meta.epoch = 7;
  meta.model = "small-test-cnn";
  meta.config_json =
      "{\"lr\": 0.05, \"note\": \"line one\\nline two\", \"name\": \"M31 \xc3\xa9\"}";
  meta.best_metric = 0.8125;
  const std::string path = dir.file("ckpt.h5");
  save_checkpoint(path, *model, &sgd, meta);
  CHECK_FALSE(fs::exists(path + ".tmp"));

  auto restored = small_model();  // a different random initialisation
  SGD restored_sgd(restored->named_parameters(), SgdOptions{0.5, 0.9, 0, 1e-3, false});
  const CheckpointMeta back = load_checkpoint(path, *restored, &restored_sgd);

  require_same_state(restored->state_dict(), model->state_dict());
  require_same_state(restored_sgd.state(), sgd.state());
  CHECK(restored_sgd.steps_taken() == 2);
  CHECK(restored_sgd.lr() == 0.02);
  const NamedTensors state = restored->state_dict();
  const auto tracked = std::find_if(
      state.begin(), state.end(), [](const auto& e) { return e.first == "1.num_batches_tracked"; });
  REQUIRE(tracked != state.end());
  CHECK(tracked->second.dtype() == DType::I64);
  CHECK(tracked->second.item() == 2);

  CHECK(back.epoch == 7);
  CHECK(back.model == "small-test-cnn");
  CHECK(back.config_json == meta.config_json);
  CHECK(back.astrocnn_version == ASTROCNN_VERSION);
  CHECK(back.best_metric == 0.8125);

  // Training goes on exactly as it would have without the round trip.
  train_step(*model, sgd, 2.0);
  train_step(*restored, restored_sgd, 2.0);
  require_same_state(restored->state_dict(), model->state_dict());
  require_same_state(restored_sgd.state(), sgd.state());
}

TEST_CASE("Checkpoint datasets are named and shaped like PyTorch's state_dict", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);
  const std::string path = dir.file("layout.h5");
  save_checkpoint(path, *model, &sgd, {});

  // Same names, and in state_dict order.
  const NamedTensors entries = read_checkpoint_state(path);
  REQUIRE(entries.size() == model->state_dict().size());
  for (size_t i = 0; i < entries.size(); ++i)
    CHECK(entries[i].first == model->state_dict()[i].first);

  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  auto dims_of = [&](const std::string& name) {
    hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);  // a dataset at the root, dots and all
    REQUIRE(d >= 0);
    hid_t space = H5Dget_space(d);
    std::vector<hsize_t> dims(static_cast<size_t>(H5Sget_simple_extent_ndims(space)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    H5Sclose(space);
    H5Dclose(d);
    return dims;
  };
  CHECK(dims_of("0.weight") == std::vector<hsize_t>{3, 2, 3, 3});  // [out, in, kh, kw]
  CHECK(dims_of("4.weight") == std::vector<hsize_t>{2, 48});       // [out, in]
  CHECK(dims_of("1.running_var") == std::vector<hsize_t>{3});
  CHECK(dims_of("1.num_batches_tracked").empty());  // a scalar, like PyTorch's 0-d tensor
  CHECK(dims_of("optimizer/0.weight.momentum_buffer") == std::vector<hsize_t>{3, 2, 3, 3});
  CHECK(H5Lexists(f, "0", H5P_DEFAULT) == 0);  // no group per dotted component

  auto type_of = [&](const std::string& name, hid_t expected) {
    hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    const bool same = H5Tequal(t, expected) > 0;
    H5Tclose(t);
    H5Dclose(d);
    return same;
  };
  CHECK(type_of("0.weight", H5T_IEEE_F32LE));
  CHECK(type_of("1.num_batches_tracked", H5T_STD_I64LE));
  CHECK(type_of("optimizer/step", H5T_STD_I64LE));

  // The values, read back by plain HDF5 calls.
  std::vector<float> weight(3 * 2 * 3 * 3);
  hid_t d = H5Dopen2(f, "0.weight", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, weight.data());
  H5Dclose(d);
  CHECK(weight == model->state_dict()[0].second.to_vector<float>());

  int64_t epoch = -1;
  hid_t meta = H5Gopen2(f, "meta", H5P_DEFAULT);
  hid_t a = H5Aopen(meta, "epoch", H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_INT64, &epoch);
  H5Aclose(a);
  H5Gclose(meta);
  CHECK(epoch == 0);
  H5Fclose(f);
}

TEST_CASE("A checkpoint of another architecture is refused and changes nothing", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);
  const std::string path = dir.file("arch.h5");
  save_checkpoint(path, *model, &sgd, {});

  SECTION("different shapes") {
    auto other = small_model(3);
    SGD other_sgd(other->named_parameters(), momentum_options());
    train_step(*other, other_sgd, 1.0);
    const NamedTensors before = other->state_dict();
    NamedTensors before_copy;
    for (const auto& [n, t] : before) before_copy.emplace_back(n, t.clone());
    const NamedTensors sgd_before = other_sgd.state();
    // The optimiser's buffers disagree first; without an optimiser the model does.
    CHECK_THROWS_WITH(load_checkpoint(path, *other, &other_sgd),
                      Catch::Contains("arch.h5") &&
                          Catch::Contains("'4.weight.momentum_buffer' has shape [2,48]"));
    CHECK_THROWS_WITH(load_checkpoint(path, *other, nullptr),
                      Catch::Contains("arch.h5") && Catch::Contains("'4.weight' has shape [2,48]"));
    require_same_state(other->state_dict(), before_copy);
    require_same_state(other_sgd.state(), sgd_before);
  }
  SECTION("missing and unexpected entries") {
    auto other = small_model(2, /*with_batchnorm=*/false);
    // Without the batch norm the layers after it shift down by one index.
    CHECK_THROWS_WITH(
        load_checkpoint(path, *other, nullptr),
        Catch::Contains("missing '3.weight'") && Catch::Contains("unexpected '1.running_mean'"));
  }
  SECTION("a model that matches but an optimiser the checkpoint lacks") {
    const std::string plain = dir.file("no_optimizer.h5");
    save_checkpoint(plain, *model, nullptr, {});
    auto same = small_model();
    SGD same_sgd(same->named_parameters(), momentum_options());
    const NamedTensors before = same->state_dict();
    NamedTensors before_copy;
    for (const auto& [n, t] : before) before_copy.emplace_back(n, t.clone());
    CHECK_THROWS_WITH(load_checkpoint(plain, *same, &same_sgd),
                      Catch::Contains("/optimizer") && Catch::Contains("no optimizer state"));
    require_same_state(same->state_dict(), before_copy);
    load_checkpoint(plain, *same, nullptr);
    require_same_state(same->state_dict(), model->state_dict());
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("Damaged checkpoint files fail cleanly", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string good = dir.file("good.h5");
  save_checkpoint(good, *model, nullptr, {});
  const std::string bytes = file_bytes(good);
  const std::string bad = dir.file("bad.h5");
  auto target = small_model();

  SECTION("truncated") {
    for (size_t keep : {bytes.size() / 2, bytes.size() - 1, size_t{100}}) {
      std::ofstream(bad, std::ios::binary | std::ios::trunc).write(bytes.data(), keep);
      CHECK_THROWS_WITH(load_checkpoint(bad, *target, nullptr), Catch::Contains("bad.h5"));
    }
  }
  SECTION("garbage in the superblock") {
    std::string damaged = bytes;
    for (size_t i = 8; i < 64; ++i) damaged[i] = static_cast<char>(0xA5);
    std::ofstream(bad, std::ios::binary).write(damaged.data(), damaged.size());
    CHECK_THROWS_WITH(load_checkpoint(bad, *target, nullptr), Catch::Contains("bad.h5"));
  }
  SECTION("not HDF5 at all, or missing") {
    std::ofstream(bad) << "torch.save output is a zip file, not HDF5";
    CHECK_THROWS_WITH(load_checkpoint(bad, *target, nullptr), Catch::Contains("not an HDF5 file"));
    CHECK_THROWS_WITH(load_checkpoint(dir.file("none.h5"), *target, nullptr),
                      Catch::Contains("does not exist"));
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("save_checkpoint replaces files atomically", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string path = dir.file("run.h5");
  CheckpointMeta meta;
  meta.epoch = 1;
  save_checkpoint(path, *model, nullptr, meta);
  const std::string first = file_bytes(path);

  // A failing save (here: a directory where the temporary must go) keeps the last good one.
  fs::create_directories(path + ".tmp/blocker");
  meta.epoch = 2;
  CHECK_THROWS_WITH(save_checkpoint(path, *model, nullptr, meta), Catch::Contains("run.h5.tmp"));
  CHECK(file_bytes(path) == first);
  fs::remove_all(path + ".tmp");

  save_checkpoint(path, *model, nullptr, meta);  // the next good save replaces it
  CHECK(read_checkpoint_meta(path).epoch == 2);
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(std::isnan(read_checkpoint_meta(path).best_metric));  // "none yet" survives the trip
}

TEST_CASE("A writer killed at any moment leaves the last complete checkpoint loadable",
          "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);
  const std::string path = dir.file("killed.h5");
  save_checkpoint(path, *model, &sgd, {});
  int64_t last_epoch = 0;
  for (int trial = 0; trial < 5; ++trial) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // the writer: saves epoch after epoch until killed
      try {
        CheckpointMeta meta;
        for (meta.epoch = last_epoch + 1;; ++meta.epoch) save_checkpoint(path, *model, &sgd, meta);
      } catch (...) {
      }
      ::_exit(1);
    }
    ::usleep(static_cast<useconds_t>(2000 + 20000 * trial));  // mid first write, ..., some saves in
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));  // it was still writing, not failed

    auto target = small_model();
    SGD target_sgd(target->named_parameters(), momentum_options());
    const CheckpointMeta meta = load_checkpoint(path, *target, &target_sgd);
    CHECK(meta.epoch >= last_epoch);
    last_epoch = meta.epoch;
    require_same_state(target->state_dict(), model->state_dict());
  }
  CHECK(last_epoch > 0);  // the writers did replace the file
}

TEST_CASE("A state_dict written by another program (h5py) loads with default metadata",
          "[checkpoint]") {
  TempDir dir;
  auto source = small_model();
  const std::string path = dir.file("from_h5py.h5");
  {
    // What `for k, v in sd.items(): f[k] = v.numpy()` writes: datasets at the root only.
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    for (const auto& [name, t] : source->state_dict()) {
      const Tensor v = t.to(DType::F64);  // numpy's default float64 and int64
      std::vector<hsize_t> dims(v.shape().begin(), v.shape().end());
      hid_t space = dims.empty()
                        ? H5Screate(H5S_SCALAR)
                        : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
      const bool integer = t.dtype() == DType::I64;
      hid_t d = H5Dcreate2(f, name.c_str(), integer ? H5T_STD_I64LE : H5T_IEEE_F64LE, space,
                           H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (integer)
        H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw());
      else
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.raw());
      H5Dclose(d);
      H5Sclose(space);
    }
    H5Fclose(f);
  }
  auto target = small_model();
  const CheckpointMeta meta = load_checkpoint(path, *target, nullptr);
  require_same_state(target->state_dict(), source->state_dict());
  CHECK(meta.epoch == 0);
  CHECK(meta.model.empty());
}

#endif  // ASTROCNN_HAVE_HDF5

// ---- entries a damaged or foreign file may hold (io/hdf5/checkpoint.cpp's read checks) ----
#if defined(ASTROCNN_HAVE_HDF5)

namespace {

NamedTensors copy_of(const NamedTensors& state) {
  NamedTensors out;
  for (const auto& [n, t] : state) out.emplace_back(n, t.clone());
  return out;
}

Tensor entry(const NamedTensors& state, const std::string& name) {
  const auto it = std::find_if(state.begin(), state.end(),
                               [&](const auto& e) { return e.first == name; });
  REQUIRE(it != state.end());
  return it->second;
}

std::vector<hsize_t> dims_of(const Shape& shape) { return {shape.begin(), shape.end()}; }

// A checkpoint opened for editing with the HDF5 C API, closed at the end of its scope.
struct EditedFile {
  hid_t id;
  explicit EditedFile(const std::string& path)
      : id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~EditedFile() { H5Fclose(id); }

  void remove(const std::string& name) { REQUIRE(H5Ldelete(id, name.c_str(), H5P_DEFAULT) >= 0); }

  // Dataset `name` (re)made of `file_type`, holding `data` of `memory_type`; no dims: a scalar.
  void replace(const std::string& name, hid_t file_type, hid_t memory_type,
               const std::vector<hsize_t>& dims, const void* data) {
    if (H5Lexists(id, name.c_str(), H5P_DEFAULT) > 0) remove(name);
    hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                               : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(id, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(d >= 0);
    REQUIRE(H5Dwrite(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(space);
  }
  void floats(const std::string& name, const Shape& shape, const std::vector<float>& v) {
    replace(name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims_of(shape), v.data());
  }
  void doubles(const std::string& name, const Shape& shape, const std::vector<double>& v) {
    replace(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims_of(shape), v.data());
  }

  // Dataset `name` declaring `dims` float32 values, never written: chunked,
  // so that the file stays a few kilobytes whatever it declares.
  void declare(const std::string& name, const std::vector<hsize_t>& dims) {
    if (H5Lexists(id, name.c_str(), H5P_DEFAULT) > 0) remove(name);
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    std::vector<hsize_t> chunk;
    for (hsize_t d : dims) chunk.push_back(std::min<hsize_t>(d, 64));
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    REQUIRE(H5Pset_chunk(create, static_cast<int>(chunk.size()), chunk.data()) >= 0);
    hid_t d = H5Dcreate2(id, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    REQUIRE(d >= 0);
    H5Dclose(d);
    H5Pclose(create);
    H5Sclose(space);
  }

  void remove_attribute(const std::string& object, const char* name) {
    REQUIRE(H5Adelete_by_name(id, object.c_str(), name, H5P_DEFAULT) >= 0);
  }
  void set_double_attribute(const std::string& object, const char* name, double value) {
    hid_t o = H5Oopen(id, object.c_str(), H5P_DEFAULT);
    REQUIRE(o >= 0);
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    REQUIRE(a >= 0);
    REQUIRE(H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0);
    H5Aclose(a);
    H5Oclose(o);
  }
};

}  // namespace

TEST_CASE("Checkpoint entries must be finite and of the kind of the tensor they restore",
          "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string good = dir.file("good.h5"), path = dir.file("damaged.h5");
  save_checkpoint(good, *model, nullptr, {});
  fs::copy_file(good, path);
  const Tensor weight = entry(model->state_dict(), "0.weight");  // float32 [3, 2, 3, 3]
  std::vector<float> w = weight.to_vector<float>();
  auto target = small_model();
  const NamedTensors before = copy_of(target->state_dict());
  auto refused = [&](const std::string& problem) {
    CHECK_THROWS_WITH(load_checkpoint(path, *target, nullptr),
                      Catch::Contains("HDF5 file '" + path + "', object '/" + problem));
    require_same_state(target->state_dict(), before);  // all or nothing
  };

  SECTION("a NaN weight names the entry and the element") {
    w[3] = std::nanf("");
    EditedFile(path).floats("0.weight", weight.shape(), w);
    refused("0.weight': holds a non-finite value (nan at element 3); the checkpoint is damaged");
  }
  SECTION("an infinite float64 weight, as h5py would store it") {
    std::vector<double> v(w.begin(), w.end());
    v[0] = -INFINITY;
    EditedFile(path).doubles("0.weight", weight.shape(), v);
    refused("0.weight': holds a non-finite value (-inf at element 0)");
  }
  SECTION("int32 weights are refused, not converted") {
    const std::vector<int32_t> ints(w.size(), 1);
    EditedFile(path).replace("0.weight", H5T_STD_I32LE, H5T_NATIVE_INT32, dims_of(weight.shape()),
                             ints.data());
    refused("0.weight': holds integers but the model's '0.weight' is float32");
  }
  SECTION("a floating-point batch counter is refused") {
    const Tensor tracked = entry(model->state_dict(), "1.num_batches_tracked");
    EditedFile(path).doubles("1.num_batches_tracked", tracked.shape(), {3.0});
    refused("1.num_batches_tracked': holds float64 but the model's '1.num_batches_tracked' is int64");
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("Checkpoint entries of other widths load: float64 weights and an int32 counter",
          "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string path = dir.file("widths.h5");
  save_checkpoint(path, *model, nullptr, {});
  {
    EditedFile f(path);
    for (const auto& [name, t] : model->state_dict()) {
      if (t.dtype() == DType::I64) {
        const std::vector<int32_t> v = {static_cast<int32_t>(t.item())};
        f.replace(name, H5T_STD_I32LE, H5T_NATIVE_INT32, dims_of(t.shape()), v.data());
      } else {
        f.doubles(name, t.shape(), t.to(DType::F64).to_vector<double>());
      }
    }
    // The largest float32 is finite, stored as float64 too.
    const Tensor bias = entry(model->state_dict(), "4.bias");
    f.doubles("4.bias", bias.shape(), {3.4028234663852886e38, -3.4028234663852886e38});
  }
  auto target = small_model();
  load_checkpoint(path, *target, nullptr);
  const NamedTensors back = target->state_dict();
  CHECK(same_bytes(entry(back, "0.weight"), entry(model->state_dict(), "0.weight")));
  CHECK(same_bytes(entry(back, "1.num_batches_tracked"),
                   entry(model->state_dict(), "1.num_batches_tracked")));
  CHECK(entry(back, "4.bias").to_vector<float>() ==
        std::vector<float>{3.4028234663852886e38f, -3.4028234663852886e38f});
}

TEST_CASE("Checkpoint entries that declare more than 2^31 values are refused unread",
          "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);
  const std::string path = dir.file("huge.h5");
  save_checkpoint(path, *model, &sgd, {});
  auto target = small_model();
  SGD target_sgd(target->named_parameters(), momentum_options());

  SECTION("a model entry: 2^16 x 2^16 values") {
    EditedFile(path).declare("0.weight", {65536, 65536});
    // (The root's entries are named here without their leading '/'.)
    CHECK_THROWS_WITH(load_checkpoint(path, *target, nullptr),
                      Catch::Contains("HDF5 file '" + path + "', object '") &&
                          Catch::Contains("0.weight': declares more than 2^31 values (the "
                                          "checkpoint is damaged)"));
    CHECK_THROWS_WITH(read_checkpoint_state(path), Catch::Contains("declares more than 2^31 values"));
  }
  SECTION("one past 2^31 in one dimension") {
    EditedFile(path).declare("4.bias", {(hsize_t{1} << 31) + 1});
    CHECK_THROWS_WITH(load_checkpoint(path, *target, nullptr),
                      Catch::Contains("4.bias': declares more than 2^31 values"));
  }
  SECTION("an optimiser entry") {
    EditedFile(path).declare("optimizer/0.weight.momentum_buffer", {1 << 20, 1 << 20, 1 << 20});
    CHECK_THROWS_WITH(
        load_checkpoint(path, *target, &target_sgd),
        Catch::Contains("object '/optimizer/0.weight.momentum_buffer': declares more than 2^31 values"));
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("Checkpoint optimiser state: step, lr and momentum buffers are checked", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  train_step(*model, sgd, 0.0);  // step 1: every parameter has a momentum buffer
  const std::string good = dir.file("good.h5"), path = dir.file("damaged.h5");
  save_checkpoint(good, *model, &sgd, {});
  fs::copy_file(good, path);

  auto target = small_model();
  SGD target_sgd(target->named_parameters(), momentum_options());
  train_step(*target, target_sgd, 1.0);
  const NamedTensors model_before = copy_of(target->state_dict());
  const NamedTensors sgd_before = target_sgd.state();
  auto refused = [&](const std::string& problem) {
    CHECK_THROWS_WITH(load_checkpoint(path, *target, &target_sgd),
                      Catch::Contains("HDF5 file '" + path + "', object '/optimizer" + problem));
    require_same_state(target->state_dict(), model_before);
    require_same_state(target_sgd.state(), sgd_before);
    CHECK(target_sgd.lr() == momentum_options().lr);
  };
  const Tensor bias = entry(sgd.state(), "4.bias.momentum_buffer");  // float32 [2]

  SECTION("no step") {
    EditedFile(path).remove("optimizer/step");
    refused("/step': missing");
  }
  SECTION("a negative step") {
    const int64_t step = -1;
    EditedFile(path).replace("optimizer/step", H5T_STD_I64LE, H5T_NATIVE_INT64, {}, &step);
    refused("/step': must be one int64 >= 0");
  }
  SECTION("a floating-point step") {
    EditedFile(path).doubles("optimizer/step", {}, {1.0});
    refused("/step': must be one int64 >= 0");
  }
  SECTION("two steps") {
    const std::vector<int64_t> steps = {1, 1};
    EditedFile(path).replace("optimizer/step", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, steps.data());
    refused("/step': must be one int64 >= 0");
  }
  SECTION("a learning rate that is NaN, infinite or negative") {
    EditedFile(path).set_double_attribute("optimizer", "lr", std::nan(""));
    refused("': the attribute 'lr' is nan (a learning rate is finite and >= 0)");
    EditedFile(path).set_double_attribute("optimizer", "lr", INFINITY);
    refused("': the attribute 'lr' is inf");
    EditedFile(path).set_double_attribute("optimizer", "lr", -0.5);
    refused("': the attribute 'lr' is -0.500000");
  }
  SECTION("a missing momentum buffer after a step with momentum") {
    EditedFile(path).remove("optimizer/0.weight.momentum_buffer");
    refused("/0.weight.momentum_buffer': missing (the file's momentum_buffers lists it)");
  }
  SECTION("a missing momentum buffer in a file without the list of buffers (another writer)") {
    {
      EditedFile file(path);
      file.remove("optimizer/0.weight.momentum_buffer");
      file.remove_attribute("optimizer", "momentum_buffers");
      file.remove_attribute("optimizer", "momentum_buffer_count");
    }
    refused("/0.weight.momentum_buffer': missing (an optimizer with momentum 0.900000 after 1 "
            "steps has one for every parameter)");
  }
  SECTION("a NaN momentum buffer") {
    std::vector<float> v = bias.to_vector<float>();
    v[1] = std::nanf("");
    EditedFile(path).floats("optimizer/4.bias.momentum_buffer", bias.shape(), v);
    refused("/4.bias.momentum_buffer': holds a non-finite value (nan at element 1)");
  }
  SECTION("an integer momentum buffer") {
    const std::vector<int64_t> v = {0, 0};
    EditedFile(path).replace("optimizer/4.bias.momentum_buffer", H5T_STD_I64LE, H5T_NATIVE_INT64,
                             {2}, v.data());
    refused("/4.bias.momentum_buffer': holds integers; a momentum buffer is floating point");
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("Checkpoint optimiser states that are complete load: step 0, lr 0, no momentum",
          "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string path = dir.file("ok.h5");
  auto target = small_model();
  SGD target_sgd(target->named_parameters(), momentum_options());

  SECTION("momentum but no step yet: no buffers") {
    SGD fresh(model->named_parameters(), momentum_options());
    save_checkpoint(path, *model, &fresh, {});
    load_checkpoint(path, *target, &target_sgd);
    CHECK(target_sgd.steps_taken() == 0);
    CHECK(target_sgd.state().size() == 1);  // the step alone
  }
  SECTION("steps without momentum: no buffers") {
    SgdOptions plain;
    plain.lr = 0.05;
    SGD sgd(model->named_parameters(), plain);
    train_step(*model, sgd, 0.0);
    train_step(*model, sgd, 1.0);
    save_checkpoint(path, *model, &sgd, {});
    load_checkpoint(path, *target, &target_sgd);
    CHECK(target_sgd.steps_taken() == 2);
    require_same_state(target_sgd.state(), sgd.state());
  }
  SECTION("a learning rate of 0 and float64 momentum buffers") {
    SGD sgd(model->named_parameters(), momentum_options());
    train_step(*model, sgd, 0.0);
    save_checkpoint(path, *model, &sgd, {});
    {
      EditedFile f(path);
      f.set_double_attribute("optimizer", "lr", 0.0);
      for (const auto& [name, t] : sgd.state())
        if (t.dtype() != DType::I64)
          f.doubles("optimizer/" + name, t.shape(), t.to(DType::F64).to_vector<double>());
    }
    load_checkpoint(path, *target, &target_sgd);
    CHECK(target_sgd.lr() == 0);
    require_same_state(target_sgd.state(), sgd.state());
  }
}

#endif  // ASTROCNN_HAVE_HDF5

TEST_CASE("Checkpoint: parameters that never had a gradient need no momentum buffer", "[checkpoint]") {
  // SGD makes a momentum buffer at a parameter's first gradient: a step that
  // reached only the last bias leaves one buffer, and the file says so.
  TempDir dir;
  auto model = small_model();
  SGD sgd(model->named_parameters(), momentum_options());
  sgd.zero_grad();
  const Tensor bias = model->named_parameters().back().second;
  ops::mse_loss(ops::scale(bias, 1.0), Tensor::zeros(bias.shape())).backward();
  sgd.step();
  const std::string path = dir.file("partial.h5");
  save_checkpoint(path, *model, &sgd, {});
  auto target = small_model();
  SGD target_sgd(target->named_parameters(), momentum_options());
  CHECK_NOTHROW(load_checkpoint(path, *target, &target_sgd));
  require_same_state(target_sgd.state(), sgd.state());
}

TEST_CASE("Checkpoint: a float64 entry beyond float32's range is refused, not loaded as inf", "[checkpoint]") {
  TempDir dir;
  auto model = small_model();
  const std::string path = dir.file("huge.h5");
  save_checkpoint(path, *model, nullptr, {});
  const Tensor bias = entry(model->state_dict(), "4.bias");
  std::vector<double> v(static_cast<size_t>(bias.numel()), 0.0);
  v[0] = 1e300;
  EditedFile(path).doubles("4.bias", bias.shape(), v);
  auto target = small_model();
  CHECK_THROWS_WITH(load_checkpoint(path, *target, nullptr),
                    Catch::Contains("object '/4.bias': holds a non-finite value (inf at element 0)"));
}
