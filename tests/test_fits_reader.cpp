// Directories of FITS images with a labels CSV (io/fits/fits_reader.h) and
// the CSV itself (io/readers/labels_csv.h), on files written here.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/readers/data_files.h"
#include "io/readers/labels_csv.h"
#include "reader_checks.h"
#include "temp_dir.h"
#if defined(ASTROCNN_HAVE_FITS)
#include "io/fits/fits_reader.h"
#endif

using namespace astrocnn;
using namespace astrocnn::testing;

TEST_CASE("labels CSV: fields, quoting, classes and targets", "[fits]") {
  CHECK(split_csv_line(" a.fits , \"b, c\",\"say \"\"hi\"\"\",") ==
        std::vector<std::string>{"a.fits", "b, c", "say \"hi\"", ""});
  TempDir dir;
  std::ofstream(dir.file("names.csv"))
      << "Filename,RA,Class\nc.fits,1,spiral\n\na.fits,2,elliptical\n"
         "b.fits,3,spiral\n";
  const LabelTable names = read_labels_csv(dir.file("names.csv"));
  CHECK(names.class_labels);
  CHECK(names.files == std::vector<std::string>{"c.fits", "a.fits", "b.fits"});
  CHECK(names.lines == std::vector<int64_t>{2, 4, 5});
  CHECK(names.label_names == std::vector<std::string>{"elliptical", "spiral"});
  CHECK(names.class_ids == std::vector<int64_t>{1, 0, 1});

  std::ofstream(dir.file("ids.csv")) << "filename,class\na.fits,2\nb.fits,0\n";
  const LabelTable ids = read_labels_csv(dir.file("ids.csv"));
  CHECK(ids.class_ids == std::vector<int64_t>{2, 0});
  CHECK(ids.label_names == std::vector<std::string>{"0", "1", "2"});

  std::ofstream(dir.file("votes.csv")) << "filename,p_disk,p_bulge\na.fits,0.25,0.75\nb.fits,1,0\n";
  const LabelTable votes = read_labels_csv(dir.file("votes.csv"));
  CHECK_FALSE(votes.class_labels);
  CHECK(votes.label_names == std::vector<std::string>{"p_disk", "p_bulge"});
  CHECK(votes.targets == std::vector<float>{0.25f, 0.75f, 1, 0});
}

TEST_CASE("labels CSV: bad tables give one error naming the file and line", "[fits]") {
  TempDir dir;
  auto error_of = [&](const std::string& text) {
    std::ofstream(dir.file("t.csv")) << text;
    try {
      read_labels_csv(dir.file("t.csv"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of("filename,z\na.fits,nan\n"),
             Catch::Contains("line 2, column z: a non-finite label"));
  CHECK_THAT(error_of("filename,z\na.fits,0.1\nb.fits,\n"),
             Catch::Contains("line 3, column z: '' is not a number"));
  CHECK_THAT(error_of("filename,z\na.fits,0.1,7\n"),
             Catch::Contains("line 2: 3 fields where the header has 2"));
  CHECK_THAT(error_of("name,z\na.fits,1\n"),
             Catch::Contains("has no filename column (its header: name,z)"));
  CHECK_THAT(error_of("filename,z\n"), Catch::Contains("has a header but no rows"));
  CHECK_THAT(error_of(""), Catch::Contains("is empty"));
  CHECK_THAT(error_of("filename\na.fits\n"), Catch::Contains("no label column"));
  CHECK_THAT(error_of("filename,class\na.fits,\n"), Catch::Contains("line 2: the class is empty"));
  CHECK_THROWS_WITH(read_labels_csv(dir.file("none.csv")),
                    Catch::Contains("'" + dir.file("none.csv") + "' does not exist"));
}

#if defined(ASTROCNN_HAVE_FITS)

namespace {

// Image i [c, h, w]: pixel (k, y, x) = i + k / 10 + (y * w + x) / 1000.
Tensor image(int64_t i, int64_t c, int64_t h, int64_t w) {
  std::vector<float> px;
  for (int64_t k = 0; k < c; ++k)
    for (int64_t p = 0; p < h * w; ++p) px.push_back(static_cast<float>(i + k / 10.0 + p / 1000.0));
  return Tensor::from_vector(px, {c, h, w});
}

}  // namespace

TEST_CASE("FITS: multi-extension files and cubes become channels", "[fits]") {
  TempDir dir;
  const std::vector<std::string> names = {"ngc1300.fits", "m87.fits", "m51.fits", "ngc4472.fits",
                                          "arp220.fits"};
  const std::vector<std::string> classes = {"spiral", "elliptical", "spiral", "elliptical",
                                            "merger"};
  std::ofstream csv(dir.file("labels.csv"));
  csv << "filename,class\n";
  std::vector<Tensor> images;
  for (size_t i = 0; i < names.size(); ++i) {
    images.push_back(image(static_cast<int64_t>(i), 3, 4, 5));
    write_fits(dir.file(names[i]), images.back(), /*cube=*/i % 2 == 1);  // MEF and cubes mixed
    csv << names[i] << "," << classes[i] << "\n";
  }
  csv.close();
  CHECK(read_fits_layout(dir.file("ngc1300.fits")).hdus == std::vector<int>{1, 2, 3});
  CHECK(read_fits_layout(dir.file("m87.fits")).channels == std::vector<int64_t>{3});

  auto reader = std::make_shared<FitsDirectoryReader>(dir.file("labels.csv"));
  CHECK(reader->info().format == "FITS images + labels CSV");
  std::vector<float> px;
  for (const Tensor& t : images) {
    const std::vector<float> v = t.to_vector<float>();
    px.insert(px.end(), v.begin(), v.end());
  }
  const Dataset want =
      class_dataset(px, {5, 3, 4, 5}, {2, 0, 2, 0, 1}, {"elliptical", "merger", "spiral"});
  check_reads_like(*reader, want);
  check_streams_like(reader, want);

  // -f DIR and -f DIR/labels.csv find it; --labels names another table.
  CHECK(open_data_files(dir.path.string())->info().format == "FITS images + labels CSV");
  CHECK(open_data_files(dir.file("labels.csv"))->size() == 5);
  std::ofstream(dir.file("two.csv")) << "filename,class\nm87.fits,a\nm51.fits,b\n";
  DataFileOptions o;
  o.labels = dir.file("two.csv");
  CHECK(open_data_files(dir.path.string(), o)->size() == 2);
  o.datasets = "s_*";
  CHECK_THROWS_WITH(open_data_files(dir.path.string(), o),
                    Catch::Contains("-d applies to DeepGalaxy files, but '" + dir.path.string() +
                                    "' is a directory of FITS images"));
  CHECK_THROWS_WITH(open_data_files(dir.file("m87.fits")),
                    Catch::Contains("FITS images are read as a directory with a labels CSV"));
}

TEST_CASE("FITS: regression targets from the CSV, names resolved in the image directory",
          "[fits]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "img");
  for (int i = 0; i < 3; ++i)
    write_fits((dir.path / "img" / (std::to_string(i) + ".fits")).string(), image(i, 1, 2, 2));
  std::ofstream(dir.file("catalogue.csv"))
      << "filename,log_mass,z\n0.fits,10.5,0.1\n1.fits,11,0.2\n2.fits,9.5,0.3\n";
  FitsDirectoryReader reader(dir.file("catalogue.csv"), (dir.path / "img").string());
  CHECK_FALSE(reader.class_labels());
  CHECK(reader.labels_shape() == Shape{3, 2});
  Tensor x, y;
  reader.read({2, 0}, x, y);
  CHECK(y.to_vector<float>() == std::vector<float>{9.5f, 0.3f, 10.5f, 0.1f});
  CHECK(x.to_vector<float>()[0] == image(2, 1, 2, 2).to_vector<float>()[0]);
}

TEST_CASE("FITS: missing files, other sizes and NaN pixels give one clear error", "[fits]") {
  TempDir dir;
  write_fits(dir.file("a.fits"), image(0, 2, 4, 4));
  write_fits(dir.file("b.fits"), image(1, 2, 4, 4));
  std::ofstream(dir.file("missing.csv")) << "filename,class\na.fits,x\nc.fits,y\n";
  CHECK_THROWS_WITH(
      FitsDirectoryReader(dir.file("missing.csv")),
      Catch::Contains("labels CSV '" + dir.file("missing.csv") + "', line 3: the image '" +
                      dir.file("c.fits") + "' does not exist"));

  write_fits(dir.file("small.fits"), image(2, 2, 3, 4));
  std::ofstream(dir.file("sizes.csv")) << "filename,class\na.fits,x\nsmall.fits,y\n";
  CHECK_THROWS_WITH(
      FitsDirectoryReader(dir.file("sizes.csv")),
      Catch::Contains("FITS file '" + dir.file("small.fits") + "' has [2,3,4] pixels") &&
          Catch::Contains("but '" + dir.file("a.fits") + "' has [2,4,4]"));

  std::vector<float> px = image(3, 1, 4, 4).to_vector<float>();
  px[5] = std::nanf("");
  write_fits(dir.file("nan.fits"), Tensor::from_vector(px, {1, 4, 4}));
  write_fits(dir.file("one.fits"), image(4, 1, 4, 4));
  std::ofstream(dir.file("nan.csv")) << "filename,class\none.fits,x\nnan.fits,y\n";
  FitsDirectoryReader reader(dir.file("nan.csv"));
  Tensor x, y;
  reader.read({0}, x, y);
  CHECK_THROWS_WITH(reader.read({1}, x, y),
                    Catch::Contains("FITS file '" + dir.file("nan.fits") +
                                    "', HDU 1: pixel x=2 y=2 is blank or NaN"));

  std::ofstream(dir.file("text.fits")) << "not a FITS file";
  std::ofstream(dir.file("text.csv")) << "filename,class\ntext.fits,x\n";
  CHECK_THROWS_WITH(FitsDirectoryReader(dir.file("text.csv")),
                    Catch::Contains("FITS file '" + dir.file("text.fits") + "': cannot open it"));
}

#endif  // ASTROCNN_HAVE_FITS
