#include "io/hdf5/h5_handle.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/tensor/error.h"
#include "io/output_file.h"

namespace astrocnn::h5 {

namespace {

// The first 8 bytes of every HDF5 file.
const char kSignature[8] = {'\211', 'H', 'D', 'F', '\r', '\n', '\032', '\n'};

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

namespace {

// A new, empty file in memory (see write_new_file).
File create_in_memory(const std::string& name, const Where& where) {
  PropList access(check(H5Pcreate(H5P_FILE_ACCESS), where, "cannot create a property list"));
  // The core driver, growing 1 MiB at a time, without a backing store: the
  // file lives in memory only, and we write its bytes to the disk ourselves.
  check_status(H5Pset_fapl_core(access, 1 << 20, /*backing_store=*/0), where,
               "cannot select the in-memory driver");
  // STRONG: H5Fclose closes the file at once, even with objects an error path left open.
  check_status(H5Pset_fclose_degree(access, H5F_CLOSE_STRONG), where,
               "cannot set the file close degree");
  PropList creation(check(H5Pcreate(H5P_FILE_CREATE), where, "cannot create a property list"));
  // Remember the order in which objects are created, so that a checkpoint's
  // entries can be listed in state_dict order (read_checkpoint_state, or
  // `h5dump --sort_by=creation_order`); h5py still lists them by name.
  check_status(H5Pset_link_creation_order(creation, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
               where, "cannot track the link creation order");
  // HDF5 refuses two open files of one name; a counter keeps memory files apart.
  static int64_t serial = 0;
  const std::string unique = name + " (in memory " + std::to_string(++serial) + ")";
  hid_t id = H5Fcreate(unique.c_str(), H5F_ACC_TRUNC, creation, access);
  if (id < 0) fail(where, "cannot create the file in memory");
  return File(id);
}

bool starts_with_signature(const char* bytes, size_t size) {
  return size >= sizeof kSignature && std::memcmp(bytes, kSignature, sizeof kSignature) == 0;
}

// Writes `image`, taken from a file still open for writing, as the file
// reads once closed. The open file's superblock (version 0 or 1, as astrocnn
// writes: bytes 20-23) carries "file consistency flags" marking it open for
// writing, which H5Fclose clears; they are written cleared here, so the file
// is byte for byte what HDF5 itself would have left. (Versions 2 and 3 keep
// the flags under a checksum; H5Fget_file_image clears them itself for 3.)
void write_closed_image(AtomicFile& out, std::string_view image) {
  constexpr size_t kFlagsAt = 20, kFlagsSize = 4;
  const bool old_superblock = image.size() > kFlagsAt + kFlagsSize && image[8] <= 1;
  if (old_superblock) {
    out.write(image.substr(0, kFlagsAt));
    out.write(std::string(kFlagsSize, '\0'));
    out.write(image.substr(kFlagsAt + kFlagsSize));
  } else {
    out.write(image);
  }
}

}  // namespace

void write_new_file(const std::string& path, const std::function<void(hid_t file)>& fill) {
  AtomicFile out(path);  // checks the path before the work: a bad one fails at once
  write_new_file(out, fill);
  out.commit();
}

void write_new_file(AtomicFile& out, const std::function<void(hid_t file)>& fill) {
  const std::string& path = out.path();
  Guard guard;
  const Where where{path, ""};
  File file = create_in_memory(path, where);
  fill(file);
  check_status(H5Fflush(file, H5F_SCOPE_GLOBAL), where, "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size < 0) fail(where, "cannot measure the file's image in memory");
  // The core driver's handle is its buffer: write the flushed image from
  // there rather than from a copy (a data set may be gigabytes). Should a
  // version of HDF5 hand out something else, take a copy after all.
  void* handle = nullptr;
  check_status(H5Fget_vfd_handle(file, H5P_DEFAULT, &handle), where,
               "cannot reach the file's image in memory");
  const char* buffer = handle != nullptr ? *static_cast<const char* const*>(handle) : nullptr;
  std::string copy;
  if (buffer == nullptr || !starts_with_signature(buffer, static_cast<size_t>(size))) {
    copy.resize(static_cast<size_t>(size));
    if (H5Fget_file_image(file, copy.data(), copy.size()) != size)
      fail(where, "cannot read the file's image in memory");
    buffer = copy.data();
  }
  write_closed_image(out, std::string_view(buffer, static_cast<size_t>(size)));
  check_status(file.close(), where, "cannot close the file in memory");
}

}  // namespace astrocnn::h5
