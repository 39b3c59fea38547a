// Small RAII wrappers around HDF5's C API and the error policy every HDF5
// call in astrocnn follows.
//
// Error policy: HDF5 prints its error stack to stderr by default; astrocnn
// instead turns each failure into one astrocnn::Error that names the file,
// the object inside it and the problem, followed by HDF5's own innermost
// message, e.g.
//   HDF5 file 'train.h5', object '/images': cannot open (object 'images' doesn't exist)
//
// Every function that calls into HDF5 starts with an h5::Guard, which
//   - holds one process-wide lock, so that HDF5 is used by one thread at a
//     time even where the library was built without thread safety (the
//     prefetch thread of StreamingBatchIterator reads while the training
//     thread may save a checkpoint);
//   - turns off HDF5's automatic error printing for this thread, restoring
//     the caller's setting afterwards (error stacks are per thread).
#pragma once
#include <hdf5.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>

namespace astrocnn {
class AtomicFile;  // io/output_file.h
}

namespace astrocnn::h5 {

class Guard {
 public:
  Guard();
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  std::unique_lock<std::recursive_mutex> lock_;
  H5E_auto2_t saved_func_ = nullptr;
  void* saved_data_ = nullptr;
};

// Where an HDF5 call happened: the file and the object inside it ("/images",
// "/meta", "conv1.weight"); the object may be empty (the file itself).
struct Where {
  std::string file;
  std::string object;
};

// Throws astrocnn::Error("HDF5 file '<file>', object '<object>': <problem> (<HDF5's message>)").
// HDF5's message is the innermost entry of this thread's error stack, when there is one.
[[noreturn]] void fail(const Where& where, const std::string& problem);

// HDF5 calls return a negative value on failure; these pass a good value
// through and turn a bad one into fail(where, problem).
hid_t check(hid_t id, const Where& where, const std::string& problem);
void check_status(herr_t status, const Where& where, const std::string& problem);
// For htri_t (tri-state) queries: returns true / false, fails on < 0.
bool check_bool(htri_t value, const Where& where, const std::string& problem);

// Owns one HDF5 identifier and closes it with Close. Move-only.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // so that handles pass straight to H5* calls
  bool valid() const { return id_ >= 0; }

  // Closes now, ignoring failures (destructors and error paths).
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and returns HDF5's status: for files, closing is when the
  // last data reach the disk, so writers must check it.
  herr_t close() {
    herr_t status = id_ >= 0 ? Close(id_) : 0;
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using DataSet = Handle<H5Dclose>;
using DataSpace = Handle<H5Sclose>;
using DataType = Handle<H5Tclose>;
using Attribute = Handle<H5Aclose>;
using Group = Handle<H5Gclose>;
using Object = Handle<H5Oclose>;  // any object opened with H5Oopen
using PropList = Handle<H5Pclose>;

// Opens an existing file read-only, with clear Errors for a missing path, a
// directory, a file that is not HDF5 and a damaged (e.g. truncated) one.
// `what` says what the file should be ("dataset", "checkpoint").
File open_read_only(const std::string& path, const std::string& what);

// Writes a new HDF5 file to `path`, atomically (io/output_file.h):
//
//   h5::write_new_file(path, [&](hid_t file) { ...fill file... });
//
// `fill` runs under a Guard on a file that HDF5's "core" driver holds in
// memory; its bytes are then written by write_file_atomically, straight from
// HDF5's buffer. HDF5 thus never writes to the disk: a full disk or any other
// write error is met by our own writer, with a clear message, and never
// inside HDF5 (whose 1.10 series leaves a file it failed to close
// half-destroyed, to crash the process at exit). The file is closed on every
// path, exceptions included, and `path` is left untouched on any error.
void write_new_file(const std::string& path, const std::function<void(hid_t file)>& fill);
// The same into `out`, which the caller commits (files replaced together).
void write_new_file(AtomicFile& out, const std::function<void(hid_t file)>& fill);

// True when `path` starts with HDF5's signature (at offset 0, or 512, 1024,
// 2048, ... after a user block).
bool has_hdf5_signature(const std::string& path);

}  // namespace astrocnn::h5
