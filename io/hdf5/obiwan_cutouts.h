// obiwan's per-brick cutout files (legacysurvey/obiwan, py/obiwan/dplearn/
// create_training.py): 64x64 cutouts of every source of a Legacy Survey
// brick, one HDF5 group per source, named by its tractor id,
//
//   img_ivar_grz.hdf5:  /<id>/img   float32 [64, 64, B]  the B bands (g, r, z), pixels transposed
//                       /<id>/ivar  float32 [64, 64, B]  their inverse variances
//
// one file of real galaxies (the Data Release's tractor catalogue) and one of
// simulated (fake) galaxies injected by obiwan, for the same brick. The
// reader builds what split_testtrain.py builds from them: images of 2B
// channels (g, g ivar, r, r ivar, z, z ivar: img and ivar stacked on the
// last axis, then flattened), labels 0 = real and 1 = fake, and as many
// real as fake cutouts (the smaller count of the two). Rows: the real
// cutouts in increasing tractor id, then the fake ones. Each row is read
// from its group when asked for.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/readers/row_reader.h"

namespace astrocnn {

class ObiwanCutoutReader final : public RowReader {
 public:
  // `real`: the real galaxies' file; `fake`: the simulated galaxies' file of
  // the same brick, or empty to read `real` alone (every row labelled real,
  // e.g. to ask a trained network which real galaxies look fake). Errors name
  // the file and the group: a group without img or ivar, img and ivar of
  // different shapes, a cutout of another size than the first.
  explicit ObiwanCutoutReader(const std::string& real, const std::string& fake = "");
  ~ObiwanCutoutReader() override;

  const RowSetInfo& info() const override;

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrocnn
