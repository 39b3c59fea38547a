// What every RowReader (io/readers/row_reader.h) must do, checked against the data
// set the test wrote, held in memory: read any rows in any order, and stream
// through StreamingBatchIterator exactly the batches BatchIterator gives.
#pragma once
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "io/batches/dataset.h"
#include "io/readers/row_reader.h"
#include "io/batches/streaming_iterator.h"

namespace astrocnn::testing {

inline bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// All batches of one epoch.
struct Epoch {
  std::vector<Tensor> x, y;
};

template <class Iterator>
Epoch run_epoch(Iterator& it) {
  Epoch e;
  Tensor x, y;
  while (it.next(x, y)) {
    e.x.push_back(x);
    e.y.push_back(y);
  }
  return e;
}

inline void require_same_epochs(const Epoch& a, const Epoch& b) {
  REQUIRE(a.x.size() == b.x.size());
  for (size_t i = 0; i < a.x.size(); ++i) {
    CHECK(same_bytes(a.x[i], b.x[i]));
    CHECK(same_bytes(a.y[i], b.y[i]));
  }
}

// The reader describes `expected` and reads its rows (and their labels
// alone): all of them, backwards, and a selection with repeats.
inline void check_reads_like(const RowReader& reader, const Dataset& expected) {
  const RowSetInfo& info = reader.info();
  REQUIRE(info.rows == expected.size());
  CHECK(reader.images_shape() == expected.images.shape());
  CHECK(reader.labels_shape() == expected.labels.shape());
  CHECK(info.label_names == expected.label_names);
  CHECK(info.task == expected.task);
  const int64_t n = expected.size();
  std::vector<int64_t> all(static_cast<size_t>(n)), backwards;
  std::iota(all.begin(), all.end(), int64_t{0});
  backwards.assign(all.rbegin(), all.rend());
  std::vector<int64_t> repeats = {n - 1, 0, n / 2, 0, n - 1};
  for (const std::vector<int64_t>* rows : {&all, &backwards, &repeats}) {
    Tensor x, y;
    reader.read(*rows, x, y);
    const Dataset want = subset(expected, *rows);
    CHECK(same_bytes(x, want.images));
    CHECK(same_bytes(y, want.labels));
    CHECK(same_bytes(reader.read_labels(*rows), want.labels));
  }
}

// Streaming the reader gives BatchIterator's batches over `expected`, with and
// without shuffling, for several batch sizes and epochs, and over a subset
// of the rows (as for a train/validation split).
inline void check_streams_like(const std::shared_ptr<const RowReader>& reader,
                               const Dataset& expected) {
  const int64_t n = expected.size();
  for (bool shuffle : {false, true})
    for (int64_t batch : {int64_t{1}, int64_t{3}, n}) {
      INFO("shuffle " << shuffle << ", batch " << batch);
      BatchIterator memory(expected, batch, shuffle, 5);
      StreamingBatchIterator stream(reader, batch, shuffle, 5);
      for (int epoch = 0; epoch < 2; ++epoch) {
        CHECK(stream.order() == memory.order());
        require_same_epochs(run_epoch(stream), run_epoch(memory));
      }
    }
  const std::vector<int64_t> rows = {n - 1, 0, 2 % n, n / 2, 0};
  BatchIterator memory(subset(expected, rows), 2, true, 9);
  StreamingBatchIterator stream(reader, rows, 2, true, 9);
  for (int epoch = 0; epoch < 2; ++epoch) require_same_epochs(run_epoch(stream), run_epoch(memory));
}

// A class-id data set in memory: images [n, c, h, w] from `pixels`, labels `ids`.
inline Dataset class_dataset(const std::vector<float>& pixels, const Shape& images,
                             const std::vector<int64_t>& ids, std::vector<std::string> names) {
  Dataset d;
  d.images = Tensor::from_vector(pixels, images);
  d.labels = Tensor::from_vector(ids, {static_cast<int64_t>(ids.size())});
  d.label_names = std::move(names);
  d.task = "classification";
  return d;
}

}  // namespace astrocnn::testing
