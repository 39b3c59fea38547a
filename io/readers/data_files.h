// Opening a data set on disk without being told its format: what `-f PATH`
// of the command line points at decides the reader (io/readers/row_reader.h).
//
//   a directory with DIR/labels.csv (or --labels)  FITS images       io/fits/fits_reader.h
//   a .csv file                                     FITS images       (the CSV's directory)
//   a directory holding xtrain_N.npy ... shards     obiwan shards     io/readers/obiwan_shards.h
//   one xtrain_N.npy / xtest_N.npy file             one obiwan shard
//   HDF5 with /images and /labels                   native            io/hdf5/h5_dataset.h
//   HDF5 of groups holding images_camera_NN         DeepGalaxy        io/hdf5/deepgalaxy_reader.h
//   HDF5 of groups holding img and ivar             obiwan cutouts    io/hdf5/obiwan_cutouts.h
//
// Options that belong to another format than the one found are an Error
// (e.g. -d with a native file), so that a mistaken path does not silently
// train on something else.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/readers/row_reader.h"

namespace astrocnn {

// The command-line data options, under their option names.
struct DataFileOptions {
  std::string datasets = "*";             // -d: DeepGalaxy groups, a shell glob ("s_1.5_*")
  int64_t num_camera = 14;                // --num-camera: DeepGalaxy cameras 0 .. n-1
  std::string dg_labels = "time-camera";  // --dg-labels: DeepGalaxy's label derivation, or "time"
  // --split: obiwan shards, "train" or "test"; empty when not given, and then
  // default_split (the command's default: train for train, test for eval and
  // predict), so that --split given with another format is an error.
  std::string split;
  std::string default_split = "train";
  std::string fake;    // --fake: obiwan cutouts of simulated galaxies (-f: the real ones)
  std::string labels;  // --labels: the labels CSV of a FITS directory
  // --labels-dataset: native HDF5 files, the dataset read as the labels
  // instead of /labels (e.g. an auxiliary column such as einstein_radius).
  std::string labels_dataset;
};

// Opens `path` with the reader its format needs; Errors name the path and
// the problem (including "this build has no HDF5 / cfitsio").
std::shared_ptr<const RowReader> open_data_files(const std::string& path,
                                                 const DataFileOptions& options = {});

}  // namespace astrocnn
