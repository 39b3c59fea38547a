// obiwan's .npy shards as one streamed data set (io/readers/obiwan_shards.h).
#include "io/readers/obiwan_shards.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <utility>

namespace astrocnn {

namespace fs = std::filesystem;

namespace {

// xtrain_12.npy -> x, train, 12
const std::regex& shard_pattern() {
  static const std::regex pattern(R"(^([xy])(train|test)_([0-9]+)\.npy$)");
  return pattern;
}

struct ShardName {
  char xy;
  std::string split;
  int64_t number;
};

bool parse_shard_name(const std::string& name, ShardName& out) {
  std::smatch m;
  if (!std::regex_match(name, m, shard_pattern())) return false;
  out = {m[1].str()[0], m[2].str(), std::stoll(m[3].str())};
  return true;
}

// Calls visit(path) for every regular file under `dir`, at any depth; an
// unreadable directory is an Error naming it.
template <class Visit>
void for_each_file(const std::string& dir, Visit visit) {
  try {
    for (const auto& entry :
         fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied))
      if (entry.is_regular_file()) visit(entry.path());
  } catch (const fs::filesystem_error& e) {
    throw Error("obiwan shards: cannot list '" + dir + "': " + e.code().message());
  }
}

// The x files of `split` under `dir` (any depth) and their y partners,
// ordered by directory then shard number; an Error for a file without its partner.
std::vector<std::pair<std::string, std::string>> find_shards(const std::string& dir,
                                                             const std::string& split,
                                                             int64_t& other_split) {
  // (directory, number) -> [x path, y path]
  std::map<std::pair<std::string, int64_t>, std::pair<std::string, std::string>> found;
  other_split = 0;
  for_each_file(dir, [&](const fs::path& file) {
    ShardName n;
    if (!parse_shard_name(file.filename().string(), n)) return;
    if (n.split != split) {
      other_split += n.xy == 'x';
      return;
    }
    auto& pair = found[{file.parent_path().string(), n.number}];
    (n.xy == 'x' ? pair.first : pair.second) = file.string();
  });
  std::vector<std::pair<std::string, std::string>> shards;
  for (const auto& [key, pair] : found) {
    const std::string name = split + "_" + std::to_string(key.second) + ".npy";
    ASTRO_CHECK(!pair.first.empty(), "obiwan shards: '", pair.second, "' has no matching 'x", name,
                "' beside it");
    ASTRO_CHECK(!pair.second.empty(), "obiwan shards: '", pair.first, "' has no matching 'y", name,
                "' beside it");
    shards.push_back(pair);
  }
  return shards;
}

}  // namespace

bool is_obiwan_shard_name(const std::string& name) {
  ShardName ignored;
  return parse_shard_name(name, ignored);
}

bool holds_obiwan_shards(const std::string& dir) {
  bool found = false;
  for_each_file(dir, [&](const fs::path& file) {
    found = found || is_obiwan_shard_name(file.filename().string());
  });
  return found;
}

ObiwanShardReader::ObiwanShardReader(const std::string& path, const std::string& split) {
  info_.source = path;
  info_.class_labels = true;
  info_.label_width = 1;
  info_.label_names = {"real", "fake"};
  info_.task = "classification";
  ASTRO_CHECK(split == "train" || split == "test",
              "obiwan shards: the split must be train or test, got '", split, "'");
  std::error_code ec;
  ASTRO_CHECK(fs::exists(path, ec), "obiwan shards: '", path, "' does not exist");

  std::vector<std::pair<std::string, std::string>> files;
  ShardName name;
  if (!fs::is_directory(path, ec)) {
    const fs::path file(path);
    ASTRO_CHECK(parse_shard_name(file.filename().string(), name) && name.xy == 'x',
                "obiwan shards: '", path, "' is not a shard (xtrain_N.npy or xtest_N.npy)");
    files.push_back(
        {path, (file.parent_path() / ("y" + file.filename().string().substr(1))).string()});
    info_.format = "obiwan .npy shard (" + name.split + ")";
  } else {
    int64_t other = 0;
    files = find_shards(path, split, other);
    ASTRO_CHECK(!files.empty(), "obiwan shards: no x", split, "_N.npy files under '", path, "'",
                other > 0 ? " (it has " + std::to_string(other) +
                                " shards of the other split; choose them with --split)"
                          : std::string());
    info_.format = "obiwan .npy shards (" + split + ")";
  }
  for (const auto& [x, y] : files) add_shard(x, y);
  ASTRO_CHECK(info_.rows > 0, "obiwan shards: the shards under '", path, "' hold no examples");
}

void ObiwanShardReader::add_shard(const std::string& x_path, const std::string& y_path) {
  Shard s;
  s.x = read_npy_header(x_path);
  s.y = read_npy_header(y_path);
  // obiwan writes an empty last shard (shape (0,)) when the examples divide
  // evenly into chunks; it holds nothing and is skipped.
  if (s.x.rows() == 0 && s.y.rows() == 0) return;
  ASTRO_CHECK(s.x.shape.size() == 4, "npy file '", x_path,
              "': images must be 4-D [n, height, width, channels] (channels last), got ",
              shape_str(s.x.shape));
  ASTRO_CHECK(s.x.type == NpyType::F32 || s.x.type == NpyType::F64 || s.x.type == NpyType::U8,
              "npy file '", x_path, "': images must be float32, float64 or uint8, got ",
              npy_descr(s.x.type));
  ASTRO_CHECK(s.y.shape.size() == 1, "npy file '", y_path,
              "': labels must be 1-D [n] (0 real, 1 fake), got ", shape_str(s.y.shape));
  ASTRO_CHECK(s.x.rows() == s.y.rows(), "obiwan shards: '", x_path, "' holds ", s.x.rows(),
              " images but '", y_path, "' holds ", s.y.rows(), " labels");
  const Shape image{s.x.shape[3], s.x.shape[1], s.x.shape[2]};  // [C, H, W]
  if (shards_.empty()) {
    info_.image_shape = image;
  } else {
    ASTRO_CHECK(image == info_.image_shape, "npy file '", x_path, "': images of ",
                shape_str({s.x.shape[1], s.x.shape[2], s.x.shape[3]}),
                " (height, width, channels) differ from the ",
                shape_str({info_.image_shape[1], info_.image_shape[2], info_.image_shape[0]}),
                " of '", shards_.front().x.path, "'");
  }
  s.first_row = info_.rows;
  info_.rows += s.x.rows();
  shards_.push_back(std::move(s));
}

size_t ObiwanShardReader::shard_of(int64_t row) const {
  auto after = std::upper_bound(shards_.begin(), shards_.end(), row,
                                [](int64_t r, const Shard& s) { return r < s.first_row; });
  return static_cast<size_t>(after - shards_.begin()) - 1;
}

std::string ObiwanShardReader::label_origin(int64_t row) const {
  const Shard& s = shards_[shard_of(row)];
  return "npy file '" + s.y.path + "': row " + std::to_string(row - s.first_row) + " (row " +
         std::to_string(row) + " of the data set)";
}

std::string ObiwanShardReader::image_origin(int64_t row) const {
  const Shard& s = shards_[shard_of(row)];
  return "npy file '" + s.x.path + "': row " + std::to_string(row - s.first_row) + " (row " +
         std::to_string(row) + " of the data set)";
}

void ObiwanShardReader::read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                                    Tensor& labels) const {
  const int64_t c = info_.image_shape[0], h = info_.image_shape[1], w = info_.image_shape[2];
  const int64_t pixels = c * h * w;
  float* out = images.data<float>();
  int64_t* ids = labels.data<int64_t>();
  std::vector<float> hwc;
  std::vector<double> y;
  for (size_t i = 0; i < rows.size();) {
    // A run: consecutive rows within one shard.
    const Shard& s = shards_[shard_of(rows[i])];
    size_t end = i + 1;
    while (end < rows.size() && rows[end] == rows[end - 1] + 1 &&
           rows[end] < s.first_row + s.x.rows())
      ++end;
    const auto count = static_cast<int64_t>(end - i);
    const int64_t begin = rows[i] - s.first_row;
    hwc.resize(static_cast<size_t>(count * pixels));
    read_npy_rows(s.x, begin, count, hwc.data());
    if (s.x.type == NpyType::U8)  // 8-bit images are read as value / 255, as HDF5 ones
      for (float& v : hwc) v /= 255.0f;
    channels_last_to_first(hwc.data(), count, h, w, c, out + static_cast<int64_t>(i) * pixels);
    y.resize(static_cast<size_t>(count));
    read_npy_rows(s.y, begin, count, y.data());
    for (int64_t r = 0; r < count; ++r) {
      const int64_t row = rows[i] + r;
      ASTRO_CHECK(std::isfinite(y[r]), label_origin(row), " holds a non-finite label (", y[r], ")");
      ASTRO_CHECK(y[r] == std::floor(y[r]), label_origin(row), " holds ", y[r],
                  ", not a class id (0 real, 1 fake)");
      ids[i + r] = static_cast<int64_t>(y[r]);
    }
    i = end;
  }
}

}  // namespace astrocnn
