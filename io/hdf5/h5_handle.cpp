#include "io/hdf5/h5_handle.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace astrocnn::h5 {

namespace {

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex m;
  return m;
}

// The description of the innermost (most specific) entry of this thread's
// HDF5 error stack, or "" when the stack is empty.
std::string innermost_message() {
  std::string message;
  H5E_walk2_t visit = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, visit, &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

}  // namespace

Guard::Guard() : lock_(library_mutex()) {
  H5Eget_auto2(H5E_DEFAULT, &saved_func_, &saved_data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Guard::~Guard() { H5Eset_auto2(H5E_DEFAULT, saved_func_, saved_data_); }

void fail(const Where& where, const std::string& problem) {
  std::string msg = "HDF5 file '" + where.file + "'";
  if (!where.object.empty()) msg += ", object '" + where.object + "'";
  msg += ": " + problem;
  const std::string detail = innermost_message();
  if (!detail.empty()) msg += " (" + detail + ")";
  throw Error(msg);
}

hid_t check(hid_t id, const Where& where, const std::string& problem) {
  if (id < 0) fail(where, problem);
  return id;
}

void check_status(herr_t status, const Where& where, const std::string& problem) {
  if (status < 0) fail(where, problem);
}

bool check_bool(htri_t value, const Where& where, const std::string& problem) {
  if (value < 0) fail(where, problem);
  return value > 0;
}

bool has_hdf5_signature(const std::string& path) {
  static const char kSignature[8] = {'\211', 'H', 'D', 'F', '\r', '\n', '\032', '\n'};
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  // The superblock sits at 0 or, after a user block, at 512, 1024, 2048, ...
  for (std::streamoff offset = 0; offset + 8 <= size; offset = offset == 0 ? 512 : offset * 2) {
    char head[8];
    in.seekg(offset);
    if (!in.read(head, 8)) return false;
    if (std::memcmp(head, kSignature, 8) == 0) return true;
  }
  return false;
}

File open_read_only(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  ASTRO_CHECK(fs::exists(path, ec), "HDF5 ", what, " file '", path, "' does not exist");
  ASTRO_CHECK(!fs::is_directory(path, ec), "HDF5 ", what, " file '", path,
              "' is a directory, not a file");
  ASTRO_CHECK(has_hdf5_signature(path), "HDF5 ", what, " file '", path,
              "' is not an HDF5 file (no HDF5 signature)");
  // The default file-close degree for reading is fine: every object we open
  // is closed by its own handle before the file handle.
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail({path, ""}, "cannot open the " + what + " (damaged or truncated file?)");
  return File(id);
}

File create_truncate(const std::string& path) {
  const Where where{path, ""};
  PropList access(check(H5Pcreate(H5P_FILE_ACCESS), where, "cannot create a property list"));
  // STRONG: H5Fclose closes the file at once (and reports write errors then),
  // instead of waiting for objects that an error path may have left open.
  check_status(H5Pset_fclose_degree(access, H5F_CLOSE_STRONG), where,
               "cannot set the file close degree");
  PropList creation(check(H5Pcreate(H5P_FILE_CREATE), where, "cannot create a property list"));
  // Remember the order in which objects are created, so that a checkpoint's
  // entries can be listed in state_dict order (read_checkpoint_state, or
  // `h5dump --sort_by=creation_order`); h5py still lists them by name.
  check_status(H5Pset_link_creation_order(creation, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
               where, "cannot track the link creation order");
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, creation, access);
  if (id < 0) fail(where, "cannot create the file");
  return File(id);
}

}  // namespace astrocnn::h5
