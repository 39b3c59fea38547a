#include "tools/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

#if defined(ASTROCNN_HAVE_CAIRO)
#include <cairo.h>
#endif

namespace astrocnn::cli {

#if !defined(ASTROCNN_HAVE_CAIRO)

bool plot_curves(const std::vector<EpochMetrics>&, const std::string&, const std::string&) {
  return false;
}

#else

namespace {

struct Colour {
  double r, g, b;
};
constexpr Colour kTrainColour{0.12, 0.40, 0.75};       // blue
constexpr Colour kValidationColour{0.90, 0.45, 0.05};  // orange
constexpr Colour kInk{0.15, 0.15, 0.15};
constexpr Colour kGrid{0.88, 0.88, 0.88};
constexpr double kPi = 3.14159265358979323846;

struct Series {
  std::string label;
  std::vector<double> x, y;  // NaN y values are left out
  bool dashed;
  Colour colour;
};

struct Panel {
  std::string title, y_label;
  double y_scale = 1;  // e.g. 100 for a fraction shown in percent
  std::vector<Series> series;
};

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks.
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
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void set_colour(cairo_t* cr, Colour c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

void text_at(cairo_t* cr, const std::string& text, double x, double y, double align_x,
             double align_y) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  cairo_move_to(cr, x - e.x_bearing - align_x * e.width, y - e.y_bearing - align_y * e.height);
  cairo_show_text(cr, text.c_str());
}

// Draws one panel in the box (x0, y0, w, h), epochs 1..max_epoch on x.
void draw_panel(cairo_t* cr, const Panel& p, double x0, double y0, double w, double h,
                int64_t max_epoch) {
  const double left = x0 + 70, right = x0 + w - 15, top = y0 + 40, bottom = y0 + h - 50;
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : p.series)
    for (double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v * p.y_scale), hi = std::max(hi, v * p.y_scale);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5 * std::max(std::abs(lo), 1e-3), hi += 0.5 * std::max(std::abs(hi), 1e-3);
  double step = tick_step(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double x_lo = 1, x_hi = std::max<int64_t>(max_epoch, 2);
  auto px = [&](double epoch) { return left + (epoch - x_lo) / (x_hi - x_lo) * (right - left); };
  auto py = [&](double v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };

  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  for (double v = lo; v <= hi + step * 1e-6; v += step) {  // horizontal grid and y ticks
    set_colour(cr, kGrid);
    cairo_move_to(cr, left, py(v));
    cairo_line_to(cr, right, py(v));
    cairo_stroke(cr);
    set_colour(cr, kInk);
    text_at(cr, tick_label(v, step), left - 8, py(v), 1, 0.5);
  }
  double x_step = std::max(1.0, tick_step(x_hi - x_lo, 8));
  for (double e = x_lo; e <= x_hi + 1e-6; e += x_step) {
    set_colour(cr, kInk);
    cairo_move_to(cr, px(e), bottom);
    cairo_line_to(cr, px(e), bottom + 5);
    cairo_stroke(cr);
    text_at(cr, tick_label(e, 1), px(e), bottom + 9, 0.5, 0);
  }
  set_colour(cr, kInk);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);
  text_at(cr, "epoch", (left + right) / 2, bottom + 30, 0.5, 0);
  cairo_save(cr);
  cairo_translate(cr, x0 + 16, (top + bottom) / 2);
  cairo_rotate(cr, -kPi / 2);
  text_at(cr, p.y_label, 0, 0, 0.5, 0.5);
  cairo_restore(cr);
  cairo_set_font_size(cr, 15);
  text_at(cr, p.title, (left + right) / 2, y0 + 12, 0.5, 0);

  // The curves: a line through the defined points, and a dot on each.
  double dash[] = {7, 4};
  std::vector<const Series*> drawn;
  for (const Series& s : p.series) {
    set_colour(cr, s.colour);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      double X = px(s.x[i]), Y = py(s.y[i] * p.y_scale);
      if (pen_down) cairo_line_to(cr, X, Y);
      else cairo_move_to(cr, X, Y);
      pen_down = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      cairo_arc(cr, px(s.x[i]), py(s.y[i] * p.y_scale), 3, 0, 2 * kPi);
      cairo_fill(cr);
    }
    if (std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); }))
      drawn.push_back(&s);
  }
  if (drawn.empty()) return;

  // The legend, on white, in the corner of the frame that hides fewest points.
  const double box_w = 125, box_h = 10 + 18.0 * drawn.size();
  double box_x = right - box_w - 6, box_y = top + 6;
  int fewest = -1;
  for (double cx : {right - box_w - 6, left + 6}) {
    for (double cy : {top + 6, bottom - box_h - 6}) {
      int hidden = 0;
      for (const Series* s : drawn)
        for (size_t i = 0; i < s->x.size(); ++i) {
          if (!std::isfinite(s->y[i])) continue;
          double X = px(s->x[i]), Y = py(s->y[i] * p.y_scale);
          hidden += X >= cx - 4 && X <= cx + box_w + 4 && Y >= cy - 4 && Y <= cy + box_h + 4;
        }
      if (fewest < 0 || hidden < fewest) fewest = hidden, box_x = cx, box_y = cy;
    }
  }
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_rectangle(cr, box_x, box_y, box_w, box_h);
  cairo_fill_preserve(cr);
  set_colour(cr, kGrid);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  cairo_set_font_size(cr, 12);
  double legend_y = box_y + 14;
  for (const Series* s : drawn) {
    set_colour(cr, s->colour);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0);
    cairo_move_to(cr, box_x + 8, legend_y);
    cairo_line_to(cr, box_x + 33, legend_y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    set_colour(cr, kInk);
    text_at(cr, s->label, box_x + 40, legend_y, 0, 0.5);
    legend_y += 18;
  }
}

Panel make_panel(const std::vector<EpochMetrics>& history, const std::string& title,
                 const std::string& y_label, double y_scale, double Metrics::*field) {
  Panel p{title, y_label, y_scale, {}};
  Series train{"train", {}, {}, false, kTrainColour};
  Series val{"validation", {}, {}, true, kValidationColour};
  for (const EpochMetrics& m : history) {
    train.x.push_back(static_cast<double>(m.epoch));
    train.y.push_back(m.train.*field);
    val.x.push_back(static_cast<double>(m.epoch));
    val.y.push_back(m.validation.samples > 0 ? m.validation.*field : NAN);
  }
  p.series = {train, val};
  return p;
}

}  // namespace

bool plot_curves(const std::vector<EpochMetrics>& history, const std::string& title,
                 const std::string& path) {
  const int width = 1100, height = 460;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  set_colour(cr, kInk);
  cairo_set_font_size(cr, 14);
  text_at(cr, title, width / 2.0, 10, 0.5, 0);

  int64_t max_epoch = history.empty() ? 1 : history.back().epoch;
  bool has_accuracy = std::any_of(history.begin(), history.end(), [](const EpochMetrics& m) {
    return std::isfinite(m.train.accuracy) || std::isfinite(m.validation.accuracy);
  });
  draw_panel(cr, make_panel(history, "Loss", "loss", 1, &Metrics::loss), 0, 30, width / 2.0,
             height - 30, max_epoch);
  Panel second = has_accuracy
                     ? make_panel(history, "Accuracy", "accuracy (%)", 100, &Metrics::accuracy)
                     : make_panel(history, "RMSE", "rmse", 1, &Metrics::rmse);
  draw_panel(cr, second, width / 2.0, 30, width / 2.0, height - 30, max_epoch);

  cairo_destroy(cr);
  const std::string tmp = path + ".tmp";
  cairo_status_t status = cairo_surface_write_to_png(surface, tmp.c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "': " + cairo_status_to_string(status));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "'");
  }
  return true;
}

#endif

}  // namespace astrocnn::cli
