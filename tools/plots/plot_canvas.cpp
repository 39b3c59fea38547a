#include "tools/plots/plot_canvas.h"

#if defined(ASTROCNN_HAVE_CAIRO)
#include <algorithm>
#include <cmath>

#include "core/tensor/error.h"

namespace astrocnn::cli::plot {

Canvas::Canvas(int width, int height)
    : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)),
      cr_(cairo_create(surface_)) {
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
  cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  set_colour(cr_, kInk);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

std::string Canvas::png() const {
  cairo_surface_flush(surface_);
  std::string bytes;
  auto append = [](void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  };
  const cairo_status_t status = cairo_surface_write_to_png_stream(surface_, append, &bytes);
  ASTRO_CHECK(status == CAIRO_STATUS_SUCCESS, "cannot encode a PNG: ", cairo_status_to_string(status));
  return bytes;
}

void set_colour(cairo_t* cr, Colour c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

void text_at(cairo_t* cr, const std::string& text, double x, double y, double align_x,
             double align_y) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  cairo_move_to(cr, x - e.x_bearing - align_x * e.width, y - e.y_bearing - align_y * e.height);
  cairo_show_text(cr, text.c_str());
}

void vertical_text_at(cairo_t* cr, const std::string& text, double x, double y) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -kPi / 2);
  text_at(cr, text, 0, 0, 0.5, 0.5);
  cairo_restore(cr);
}

std::string fitted(cairo_t* cr, const std::string& text, double width) {
  auto fits = [&](const std::string& t) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, t.c_str(), &e);
    return e.x_advance <= width;
  };
  if (fits(text)) return text;
  std::string shorter = text;
  while (!shorter.empty() && !fits(shorter + "...")) shorter.pop_back();
  return shorter + "...";
}

double tick_step(double span, int ticks) {
  double raw = span / ticks;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

std::string tick_label(double v, double step) {
  char buf[32];
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  if (std::abs(v) < step * 1e-6) v = 0;  // no "-0.0"
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {

// Widens an empty range, then rounds it out to whole ticks; returns the step.
double round_out(double& lo, double& hi, int ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-12)
    lo -= 0.5 * std::max(std::abs(lo), 1e-3), hi += 0.5 * std::max(std::abs(hi), 1e-3);
  double step = tick_step(hi - lo, ticks);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  return step;
}

void line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

}  // namespace

Axes draw_axes(cairo_t* cr, double x0, double y0, double w, double h, double x_lo, double x_hi,
               double y_lo, double y_hi, const AxesStyle& style) {
  Axes a{x0 + style.margin_left, x0 + w - 15, y0 + 40, y0 + h - 50, x_lo, x_hi, y_lo, y_hi};
  if (style.square) {
    a.x_lo = a.y_lo = std::min(x_lo, y_lo);
    a.x_hi = a.y_hi = std::max(x_hi, y_hi);
  }
  const double y_step = style.y_step > 0 ? style.y_step : round_out(a.y_lo, a.y_hi, 5);
  double x_step;
  if (style.square) {
    a.x_lo = a.y_lo, a.x_hi = a.y_hi, x_step = y_step;
  } else if (style.x_step > 0) {
    x_step = style.x_step;
  } else if (style.integer_x) {
    x_step = std::max(1.0, tick_step(a.x_hi - a.x_lo, 8));
  } else {
    x_step = round_out(a.x_lo, a.x_hi, 5);
  }

  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  for (double v = a.y_lo; v <= a.y_hi + y_step * 1e-6; v += y_step) {  // y grid and ticks
    set_colour(cr, kGrid);
    line(cr, a.left, a.py(v), a.right, a.py(v));
    set_colour(cr, kInk);
    text_at(cr, tick_label(v, y_step), a.left - 8, a.py(v), 1, 0.5);
  }
  for (double v = a.x_lo; v <= a.x_hi + x_step * 1e-6; v += x_step) {  // x ticks (and grid)
    if (!style.integer_x) {
      set_colour(cr, kGrid);
      line(cr, a.px(v), a.top, a.px(v), a.bottom);
    }
    set_colour(cr, kInk);
    line(cr, a.px(v), a.bottom, a.px(v), a.bottom + 5);
    text_at(cr, tick_label(v, style.integer_x ? 1 : x_step), a.px(v), a.bottom + 9, 0.5, 0);
  }
  set_colour(cr, kInk);
  cairo_rectangle(cr, a.left, a.top, a.right - a.left, a.bottom - a.top);
  cairo_stroke(cr);
  text_at(cr, style.x_label, (a.left + a.right) / 2, a.bottom + 30, 0.5, 0);
  vertical_text_at(cr, style.y_label, x0 + 16, (a.top + a.bottom) / 2);
  cairo_set_font_size(cr, style.title_size);
  text_at(cr, fitted(cr, style.title, w - 10), (a.left + a.right) / 2, y0 + 12, 0.5, 0);
  return a;
}

}  // namespace astrocnn::cli::plot

#endif
