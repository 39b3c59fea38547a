// What every PNG astrocnn draws shares (internal to tools/plot*.cpp, which
// compile it only with cairo): a white canvas written atomically, colours,
// text placement and axes with "nice" ticks.
#pragma once
#if defined(ASTROCNN_HAVE_CAIRO)
#include <cairo.h>

#include <string>

namespace astrocnn::cli::plot {

struct Colour {
  double r, g, b;
};
constexpr Colour kInk{0.15, 0.15, 0.15};
constexpr Colour kGrid{0.88, 0.88, 0.88};
constexpr Colour kBlue{0.12, 0.40, 0.75};
constexpr Colour kOrange{0.90, 0.45, 0.05};
constexpr Colour kGreen{0.10, 0.55, 0.20};
constexpr Colour kRed{0.80, 0.15, 0.15};
constexpr double kPi = 3.14159265358979323846;

// A white width x height RGB image to draw on with cr().
class Canvas {
 public:
  Canvas(int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() const { return cr_; }
  cairo_surface_t* surface() const { return surface_; }
  // The image encoded as PNG, in memory: the bytes are written to the disk
  // by io/output_file.h, which checks every write (a full disk is an Error
  // naming the file, never a truncated PNG).
  std::string png() const;

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

void set_colour(cairo_t* cr, Colour c);
// Draws `text` so that the point (x, y) is at fraction (align_x, align_y) of
// its extent: (0, 0) top left, (0.5, 0.5) centred, (1, 0.5) right-aligned.
void text_at(cairo_t* cr, const std::string& text, double x, double y, double align_x,
             double align_y);
// The same, turned a quarter counter-clockwise (a y-axis label).
void vertical_text_at(cairo_t* cr, const std::string& text, double x, double y);
// `text` shortened with "..." to fit `width` pixels at the current font.
std::string fitted(cairo_t* cr, const std::string& text, double width);

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks.
double tick_step(double span, int ticks);
std::string tick_label(double v, double step);

// A plotting frame: data ranges mapped onto a box of the canvas.
struct Axes {
  double left, right, top, bottom;  // pixels
  double x_lo, x_hi, y_lo, y_hi;    // data
  double px(double x) const { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); }
  double py(double y) const { return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top); }
};

// What draw_axes() draws in a box.
struct AxesStyle {
  std::string title, x_label, y_label;
  double title_size = 15;
  double margin_left = 70;  // room for the y tick labels and the y label
  bool integer_x = false;   // x ticks at whole numbers only (epochs), without vertical grid lines
  bool square = false;      // the same range on both axes (predicted against true)
  // Ticks every x_step / y_step data units over the range as given (angles:
  // 0 to 180 by 30); 0 rounds the range out to "nice" ticks.
  double x_step = 0, y_step = 0;
};

// Rounds the data ranges out to ticks, draws the grid, ticks, frame, labels
// and title in the box (x0, y0, w, h), and returns the frame to plot in.
Axes draw_axes(cairo_t* cr, double x0, double y0, double w, double h, double x_lo, double x_hi,
               double y_lo, double y_hi, const AxesStyle& style);

}  // namespace astrocnn::cli::plot

#endif
