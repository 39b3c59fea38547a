// gallery.png of `astrocnn predict --gallery` (tools/plots/plot.h): a grid of
// input cutouts, each asinh-stretched on its own, with the label and the
// prediction under it, as the source papers show their examples.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor/error.h"
#include "tools/plots/plot.h"
#include "tools/plots/plot_canvas.h"

namespace astrocnn::cli {

#if !defined(ASTROCNN_HAVE_CAIRO)

bool plot_gallery(const std::vector<GalleryImage>&, const std::string&, const std::string&,
                  AtomicFile&) {
  return false;
}

#else

namespace {

using namespace plot;

// The value below which `fraction` of `values` lie (values is reordered).
double quantile(std::vector<double>& values, double fraction) {
  const size_t at = static_cast<size_t>(fraction * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return values[at];
}

// The image as 8-bit display pixels (0x00RRGGBB, cairo's RGB24), by the asinh
// stretch of Lupton et al. (2004, PASP 116, 133): subtract each band's sky
// (its median), take the mean intensity I of the bands, and scale every band
// by asinh(I / beta) / (I asinh(I_max / beta)), so that faint outskirts and
// bright cores both show and the colour of a pixel is kept. beta is the
// noise of the sky (from the median absolute deviation of I) and I_max the
// 99.5th percentile of I. A pixel brighter than white keeps its colour.
std::vector<uint32_t> stretch(const GalleryImage& image) {
  const int64_t plane = image.height * image.width, bands = image.band_count;
  std::vector<double> values(image.bands.begin(), image.bands.end());
  for (int64_t b = 0; b < bands; ++b) {
    std::vector<double> band(values.begin() + b * plane, values.begin() + (b + 1) * plane);
    const double sky = quantile(band, 0.5);
    for (int64_t i = 0; i < plane; ++i) values[b * plane + i] -= sky;
  }
  std::vector<double> intensity(static_cast<size_t>(plane), 0.0);
  for (int64_t b = 0; b < bands; ++b)
    for (int64_t i = 0; i < plane; ++i) intensity[i] += values[b * plane + i] / bands;
  std::vector<double> scratch = intensity;
  std::vector<double> deviation(intensity.size());
  for (size_t i = 0; i < intensity.size(); ++i) deviation[i] = std::abs(intensity[i]);
  const double beta = std::max(1.4826 * quantile(deviation, 0.5), 1e-12);
  const double top = std::max(quantile(scratch, 0.995), 2 * beta);
  const double norm = std::asinh(top / beta);

  std::vector<uint32_t> pixels(static_cast<size_t>(plane));
  for (int64_t i = 0; i < plane; ++i) {
    double rgb[3];
    const double level = intensity[i];
    const double factor = level > 0 ? std::asinh(level / beta) / (norm * level) : 0;
    for (int c = 0; c < 3; ++c) rgb[c] = std::max(0.0, values[(bands == 3 ? c : 0) * plane + i] * factor);
    const double brightest = std::max({rgb[0], rgb[1], rgb[2]});
    if (brightest > 1)
      for (double& v : rgb) v /= brightest;
    uint32_t packed = 0;
    for (double v : rgb) packed = (packed << 8) | static_cast<uint32_t>(std::lround(255 * v));
    pixels[i] = packed;
  }
  return pixels;
}

// Draws the image scaled by an integer factor, pixels kept sharp.
void draw_cutout(cairo_t* cr, const GalleryImage& image, double x, double y, int scale) {
  std::vector<uint32_t> pixels = stretch(image);
  const int w = static_cast<int>(image.width), h = static_cast<int>(image.height);
  cairo_surface_t* cutout = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  cairo_surface_flush(cutout);
  unsigned char* data = cairo_image_surface_get_data(cutout);
  const int stride = cairo_image_surface_get_stride(cutout);
  for (int r = 0; r < h; ++r)
    std::copy(pixels.begin() + r * w, pixels.begin() + (r + 1) * w,
              reinterpret_cast<uint32_t*>(data + r * stride));
  cairo_surface_mark_dirty(cutout);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, cutout, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(cutout);
}

}  // namespace

bool plot_gallery(const std::vector<GalleryImage>& images, const std::string& title,
                  const std::string& subtitle, AtomicFile& out) {
  ASTRO_CHECK(!images.empty(), "plot_gallery: no images");
  for (const GalleryImage& g : images)
    ASTRO_CHECK((g.band_count == 1 || g.band_count == 3) && g.height > 0 && g.width > 0 &&
                    static_cast<int64_t>(g.bands.size()) == g.band_count * g.height * g.width,
                "plot_gallery: an image needs 1 or 3 bands of height x width values");
  const int64_t side = std::max(images[0].height, images[0].width);
  const int scale = static_cast<int>(std::max<int64_t>(1, 128 / side));
  const double image_size = static_cast<double>(side * scale);
  const double cell_w = std::max(image_size, 150.0) + 16, cell_h = image_size + 46;
  const size_t n = images.size();
  const size_t columns = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const size_t rows = (n + columns - 1) / columns;
  std::vector<std::string> subtitle_lines;
  for (size_t start = 0; start <= subtitle.size();) {
    const size_t end = std::min(subtitle.find('\n', start), subtitle.size());
    subtitle_lines.push_back(subtitle.substr(start, end - start));
    start = end + 1;
  }
  const double head = 44 + 18.0 * subtitle_lines.size();
  Canvas canvas(static_cast<int>(cell_w * columns + 16), static_cast<int>(head + cell_h * rows + 6));
  cairo_t* cr = canvas.cr();
  const double width = cell_w * columns + 16;
  cairo_set_font_size(cr, 15);
  text_at(cr, fitted(cr, title, width - 20), width / 2, 10, 0.5, 0);
  cairo_set_font_size(cr, 12);
  for (size_t i = 0; i < subtitle_lines.size(); ++i)
    text_at(cr, fitted(cr, subtitle_lines[i], width - 20), width / 2, 34 + 18.0 * i, 0.5, 0);

  for (size_t i = 0; i < n; ++i) {
    const GalleryImage& g = images[i];
    const double x = 8 + cell_w * (i % columns), y = head + cell_h * (i / columns);
    const double image_x = x + (cell_w - image_size) / 2;
    draw_cutout(cr, g, image_x, y, scale);
    cairo_set_font_size(cr, 12);
    set_colour(cr, kInk);
    text_at(cr, fitted(cr, g.truth, cell_w - 8), x + cell_w / 2, y + image_size + 5, 0.5, 0);
    set_colour(cr, g.verdict > 0 ? kGreen : g.verdict < 0 ? kRed : kInk);
    text_at(cr, fitted(cr, g.prediction, cell_w - 8), x + cell_w / 2, y + image_size + 22, 0.5, 0);
  }
  out.write(canvas.png());
  return true;
}

#endif

}  // namespace astrocnn::cli
