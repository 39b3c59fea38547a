// curves.png (tools/plots/plot.h): two panels of learning curves against epoch.
#include "tools/plots/plot.h"

#include <algorithm>
#include <cmath>

#include "tools/plots/plot_canvas.h"

namespace astrocnn::cli {

#if !defined(ASTROCNN_HAVE_CAIRO)

bool plots_available() { return false; }

bool plot_curves(const std::vector<EpochMetrics>&, const std::string&, AtomicFile&) {
  return false;
}

#else

namespace {

using namespace plot;
constexpr Colour kTrainColour = kBlue;
constexpr Colour kValidationColour = kOrange;

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

const double kDash[] = {7, 4};  // the validation curves' dashes

// The panel's curves: a line through the defined points, and a dot on each.
// Returns the series that have any point, for the legend.
std::vector<const Series*> draw_curves(cairo_t* cr, const Panel& p, const Axes& axes) {
  std::vector<const Series*> drawn;
  for (const Series& s : p.series) {
    set_colour(cr, s.colour);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, kDash, s.dashed ? 2 : 0, 0);
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      double X = axes.px(s.x[i]), Y = axes.py(s.y[i] * p.y_scale);
      if (pen_down) cairo_line_to(cr, X, Y);
      else cairo_move_to(cr, X, Y);
      pen_down = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      cairo_arc(cr, axes.px(s.x[i]), axes.py(s.y[i] * p.y_scale), 3, 0, 2 * kPi);
      cairo_fill(cr);
    }
    if (std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); }))
      drawn.push_back(&s);
  }
  return drawn;
}

// How many points of the `drawn` curves the box (box_x, box_y, box_w,
// box_h) would hide, counted along the lines (ten per segment), so that a
// box over a line counts too.
int points_hidden(const Panel& p, const Axes& axes, const std::vector<const Series*>& drawn,
                  double box_x, double box_y, double box_w, double box_h) {
  int hidden = 0;
  for (const Series* s : drawn)
    for (size_t i = 0; i < s->x.size(); ++i) {
      if (!std::isfinite(s->y[i])) continue;
      const bool joined = i + 1 < s->x.size() && std::isfinite(s->y[i + 1]);
      for (int step = 0; step < (joined ? 10 : 1); ++step) {
        const double t = step / 10.0;
        const double x = joined ? s->x[i] + t * (s->x[i + 1] - s->x[i]) : s->x[i];
        const double y = joined ? s->y[i] + t * (s->y[i + 1] - s->y[i]) : s->y[i];
        const double X = axes.px(x), Y = axes.py(y * p.y_scale);
        hidden += X >= box_x - 4 && X <= box_x + box_w + 4 && Y >= box_y - 4 && Y <= box_y + box_h + 4;
      }
    }
  return hidden;
}

// The legend of the `drawn` curves, on white, in the corner of the frame
// that hides fewest points.
void draw_legend(cairo_t* cr, const Panel& p, const Axes& axes,
                 const std::vector<const Series*>& drawn) {
  const double box_w = 125, box_h = 10 + 18.0 * drawn.size();
  double box_x = axes.right - box_w - 6, box_y = axes.top + 6;
  int fewest = -1;
  for (double cx : {axes.right - box_w - 6, axes.left + 6}) {
    for (double cy : {axes.top + 6, axes.bottom - box_h - 6}) {
      const int hidden = points_hidden(p, axes, drawn, cx, cy, box_w, box_h);
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
    cairo_set_dash(cr, kDash, s->dashed ? 2 : 0, 0);
    cairo_move_to(cr, box_x + 8, legend_y);
    cairo_line_to(cr, box_x + 33, legend_y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    set_colour(cr, kInk);
    text_at(cr, s->label, box_x + 40, legend_y, 0, 0.5);
    legend_y += 18;
  }
}

// Draws one panel in the box (x0, y0, w, h), epochs 1..max_epoch on x.
void draw_panel(cairo_t* cr, const Panel& p, double x0, double y0, double w, double h,
                int64_t max_epoch) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : p.series)
    for (double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v * p.y_scale), hi = std::max(hi, v * p.y_scale);
  AxesStyle style;
  style.title = p.title;
  style.x_label = "epoch";
  style.y_label = p.y_label;
  style.integer_x = true;
  const Axes axes = draw_axes(cr, x0, y0, w, h, 1, std::max<int64_t>(max_epoch, 2), lo, hi, style);
  const std::vector<const Series*> drawn = draw_curves(cr, p, axes);
  if (!drawn.empty()) draw_legend(cr, p, axes, drawn);
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

bool plots_available() { return true; }

bool plot_curves(const std::vector<EpochMetrics>& history, const std::string& title,
                 AtomicFile& out) {
  const int width = 1100, height = 460;
  Canvas canvas(width, height);
  cairo_t* cr = canvas.cr();
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
  out.write(canvas.png());
  return true;
}

#endif

}  // namespace astrocnn::cli
