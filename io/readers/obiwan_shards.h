// obiwan's training shards (legacysurvey/obiwan, py/obiwan/dplearn/
// split_testtrain.py): real and fake (injected) Legacy Survey galaxies as
// numpy files, up to 512 examples each,
//
//   <dir>/xtrain_1.npy  float32 [n, 64, 64, 6]  channels last: g, g ivar, r, r ivar, z, z ivar
//   <dir>/ytrain_1.npy  float64 [n]             0 = real, 1 = fake
//   <dir>/xtest_1.npy, ytest_1.npy, xtrain_2.npy, ...
//
// (obiwan writes them under testtrain/<bri>/<brick>/; see docs/DATA.md for
// the lines this comes from). A directory of shards is one data set: every
// xtrain_N.npy below `path`, at any depth, with its ytrain_N.npy beside it,
// ordered by directory then N; or the xtest_N.npy shards for split "test".
// Rows are read from the shards that hold them, and only those bytes (a seek
// and a read per run of rows), so any number of shards streams in the
// memory of a few batches. Images become [C, H, W] (channels first); uint8
// shards are read as value / 255. Labels become class ids 0 "real", 1 "fake".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/readers/npy.h"
#include "io/readers/row_reader.h"

namespace astrocnn {

class ObiwanShardReader final : public RowReader {
 public:
  // `path`: a directory, or one xtrain_N.npy / xtest_N.npy file (its y file
  // beside it). `split`: "train" or "test" (ignored for a single file).
  // Throws an Error naming the file for a missing partner (x without y or y
  // without x), x and y of different lengths, an image shape that differs
  // from the first shard's, images that are not 4-D [n, H, W, C], labels
  // that are not 1-D [n], or no shards at all.
  explicit ObiwanShardReader(const std::string& path, const std::string& split = "train");

  struct Shard {
    NpyHeader x, y;
    int64_t first_row = 0;  // data-set row of its row 0
  };
  const std::vector<Shard>& shards() const { return shards_; }
  const RowSetInfo& info() const override { return info_; }

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override;
  std::string label_origin(
      int64_t row) const override;  // "npy file '.../ytrain_2.npy': row 5 (...)"
  std::string image_origin(
      int64_t row) const override;  // "npy file '.../xtrain_2.npy': row 5 (...)"

 private:
  size_t shard_of(int64_t row) const;
  void add_shard(const std::string& x_path, const std::string& y_path);

  RowSetInfo info_;
  std::vector<Shard> shards_;
};

// True when `name` is a shard file name: [xy](train|test)_<N>.npy.
bool is_obiwan_shard_name(const std::string& name);
// True when some file under `dir`, at any depth, has a shard's name.
bool holds_obiwan_shards(const std::string& dir);

}  // namespace astrocnn
