// The format-independent half of every reader (io/readers/row_reader.h): index
// checks, distinct rows in file order, label checks, the caller's order.
#include "io/readers/row_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

namespace astrocnn {

namespace {

// Labels must be usable targets: finite, and class ids among the classes.
void check_labels(const RowReader& reader, const std::vector<int64_t>& rows, const Tensor& labels,
                  const std::function<std::string(int64_t)>& origin) {
  const RowSetInfo& d = reader.info();
  if (d.class_labels) {
    const int64_t classes = static_cast<int64_t>(d.label_names.size());
    const int64_t* ids = labels.data<int64_t>();
    for (size_t i = 0; i < rows.size(); ++i)
      ASTRO_CHECK(ids[i] >= 0 && (classes == 0 || ids[i] < classes), origin(rows[i]),
                  " has class id ", ids[i], ", outside [0, ",
                  classes > 0 ? std::to_string(classes) : std::string("inf"), ")");
    return;
  }
  const float* v = labels.data<float>();
  const int64_t k = d.label_width;
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t j = 0; j < k; ++j)
      ASTRO_CHECK(std::isfinite(v[i * k + j]), origin(rows[i]), " holds a non-finite label (",
                  std::to_string(v[i * k + j]), " in column ", j, ")");
}

// Pixels must be finite: one NaN pixel makes every output and loss of its
// batch NaN, far from the file that held it.
void check_images(const std::vector<int64_t>& rows, const Tensor& images,
                  const std::function<std::string(int64_t)>& origin) {
  const Shape& s = images.shape();  // [n, C, H, W]
  const int64_t plane = s[2] * s[3], per_image = s[1] * plane;
  const float* v = images.data<float>();
  for (size_t i = 0; i < rows.size(); ++i) {
    const float* image = v + static_cast<int64_t>(i) * per_image;
    for (int64_t p = 0; p < per_image; ++p)
      if (!std::isfinite(image[p]))
        throw Error(origin(rows[i]) + " holds a non-finite pixel (" + std::to_string(image[p]) +
                    " at channel " + std::to_string(p / plane) + ", y " +
                    std::to_string(p % plane / s[3]) + ", x " + std::to_string(p % s[3]) +
                    "); replace NaN or masked pixels (e.g. by 0) before training or predicting");
  }
}

}  // namespace

std::string RowReader::image_origin(int64_t row) const {
  return "'" + info().source + "': row " + std::to_string(row);
}

std::string RowReader::label_origin(int64_t row) const {
  return "'" + info().source + "': row " + std::to_string(row);
}

Tensor RowReader::read_labels(const std::vector<int64_t>& rows) const {
  constexpr size_t kRowsAtOnce = 8;
  const RowSetInfo& d = info();
  const auto n = static_cast<int64_t>(rows.size());
  Tensor all = d.class_labels ? Tensor::empty({n}, DType::I64)
                              : Tensor::empty({n, d.label_width}, DType::F32);
  const size_t row_bytes = all.nbytes() / std::max<size_t>(rows.size(), 1);
  for (size_t begin = 0; begin < rows.size(); begin += kRowsAtOnce) {
    const size_t end = std::min(rows.size(), begin + kRowsAtOnce);
    Tensor images, labels;
    read(std::vector<int64_t>(rows.begin() + begin, rows.begin() + end), images, labels);
    std::memcpy(static_cast<char*>(all.raw()) + begin * row_bytes, labels.raw(), labels.nbytes());
  }
  return all;
}

Shape RowReader::images_shape() const {
  Shape s{info().rows};
  s.insert(s.end(), info().image_shape.begin(), info().image_shape.end());
  return s;
}

Shape RowReader::labels_shape() const {
  return info().class_labels ? Shape{info().rows} : Shape{info().rows, info().label_width};
}

void RowReader::check_indices(const std::vector<int64_t>& indices) const {
  const RowSetInfo& d = info();
  for (int64_t i : indices)
    ASTRO_CHECK(i >= 0 && i < d.rows, "'", d.source, "': row index ", i, " is outside [0, ", d.rows,
                ")");
}

void RowReader::read(const std::vector<int64_t>& indices, Tensor& images, Tensor& labels) const {
  const RowSetInfo& d = info();
  check_indices(indices);

  // Read each distinct row once, in file order (locality), then scatter.
  std::vector<int64_t> rows = indices;
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const auto unique = static_cast<int64_t>(rows.size());
  Shape image_rows_shape{unique};
  image_rows_shape.insert(image_rows_shape.end(), d.image_shape.begin(), d.image_shape.end());
  Tensor x = Tensor::empty(image_rows_shape, DType::F32);
  Tensor y = d.class_labels ? Tensor::empty({unique}, DType::I64)
                            : Tensor::empty({unique, d.label_width}, DType::F32);
  if (unique > 0) {
    read_sorted(rows, x, y);
    check_labels(*this, rows, y, [this](int64_t row) { return label_origin(row); });
    check_images(rows, x, [this](int64_t row) { return image_origin(row); });
  }

  const auto batch = static_cast<int64_t>(indices.size());
  if (unique == batch && std::is_sorted(indices.begin(), indices.end())) {
    images = x;  // already in the requested order
    labels = y;
    return;
  }
  Shape image_batch_shape = x.shape(), label_batch_shape = y.shape();
  image_batch_shape[0] = label_batch_shape[0] = batch;
  images = Tensor::empty(image_batch_shape, DType::F32);
  labels = Tensor::empty(label_batch_shape, y.dtype());
  const size_t image_bytes = unique > 0 ? x.nbytes() / static_cast<size_t>(unique) : 0;
  const size_t label_bytes = unique > 0 ? y.nbytes() / static_cast<size_t>(unique) : 0;
  const char* src_x = static_cast<const char*>(x.raw());
  const char* src_y = static_cast<const char*>(y.raw());
  char* dst_x = static_cast<char*>(images.raw());
  char* dst_y = static_cast<char*>(labels.raw());
  for (int64_t b = 0; b < batch; ++b) {
    const auto at =
        static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), indices[b]) - rows.begin());
    std::memcpy(dst_x + b * image_bytes, src_x + at * image_bytes, image_bytes);
    std::memcpy(dst_y + b * label_bytes, src_y + at * label_bytes, label_bytes);
  }
}

void channels_last_to_first(const float* in, int64_t n, int64_t h, int64_t w, int64_t c,
                            float* out) {
  const int64_t plane = h * w;
  for (int64_t i = 0; i < n; ++i, in += plane * c, out += plane * c)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < plane; ++p) out[k * plane + p] = in[p * c + k];
}

}  // namespace astrocnn
