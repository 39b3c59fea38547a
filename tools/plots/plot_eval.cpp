// The pictures of `astrocnn eval --plots DIR` (tools/plots/plot.h): confusion.png
// for classes, predicted_vs_true.png for regression outputs, orientation.png
// for galaxy position angles, roc.png for two classes.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/tensor/error.h"
#include "tools/plots/plot.h"
#include "tools/plots/plot_canvas.h"

namespace astrocnn::cli {

#if !defined(ASTROCNN_HAVE_CAIRO)

bool plot_confusion(const std::vector<std::vector<int64_t>>&, const std::vector<std::string>&,
                    const std::string&, AtomicFile&) {
  return false;
}

bool plot_predicted_vs_true(const std::vector<double>&, const std::vector<double>&,
                            const std::vector<std::string>&, const std::string&, AtomicFile&) {
  return false;
}

bool plot_orientation(const orientation::OrientationErrors&, const std::string&, AtomicFile&) {
  return false;
}

bool plot_roc(const roc::Curve&, const std::string&, const std::string&, AtomicFile&) { return false; }

#else

namespace {

using namespace plot;

double text_width(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  return e.x_advance;
}

// White (0) to deep blue (1).
Colour shade(double fraction) {
  const Colour deep{0.03, 0.19, 0.42};
  return {1 + (deep.r - 1) * fraction, 1 + (deep.g - 1) * fraction, 1 + (deep.b - 1) * fraction};
}

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * fraction);
  return buf;
}

enum class Corner { TopLeft, BottomRight };

// `lines` of text on a white box in a corner of the frame (the top left,
// unless the data fill it: a good ROC curve does).
void note(cairo_t* cr, const Axes& a, const std::vector<std::string>& lines,
          Corner corner = Corner::TopLeft) {
  cairo_set_font_size(cr, 12);
  double widest = 0;
  for (const std::string& line : lines) widest = std::max(widest, text_width(cr, line));
  const double w = widest + 12, h = 4 + 16.0 * lines.size();
  const double x = corner == Corner::TopLeft ? a.left + 4 : a.right - 4 - w;
  const double y = corner == Corner::TopLeft ? a.top + 4 : a.bottom - 4 - h;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
  set_colour(cr, kInk);
  for (size_t i = 0; i < lines.size(); ++i) text_at(cr, lines[i], x + 6, y + 10 + 16.0 * i, 0, 0.5);
}

// Dots at (x[i], y[i]), fainter for many points so that density shows,
// clipped to the frame.
void scatter(cairo_t* cr, const Axes& a, const std::vector<double>& x, const std::vector<double>& y,
             size_t stride, size_t offset) {
  const size_t n = stride ? x.size() / stride : 0;
  cairo_save(cr);
  cairo_rectangle(cr, a.left, a.top, a.right - a.left, a.bottom - a.top);
  cairo_clip(cr);
  const double alpha = std::clamp(30.0 / std::sqrt(static_cast<double>(std::max<size_t>(n, 1))), 0.15, 0.8);
  cairo_set_source_rgba(cr, kBlue.r, kBlue.g, kBlue.b, alpha);
  for (size_t i = 0; i < n; ++i) {
    cairo_arc(cr, a.px(x[i * stride + offset]), a.py(y[i * stride + offset]), 2.5, 0, 2 * kPi);
    cairo_fill(cr);
  }
  cairo_restore(cr);
}

// The dashed 1:1 line of a predicted-against-true frame.
void identity_line(cairo_t* cr, const Axes& a) {
  cairo_save(cr);
  const double dash[] = {6, 4};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 1.5);
  set_colour(cr, kOrange);
  cairo_move_to(cr, a.px(a.x_lo), a.py(a.y_lo));
  cairo_line_to(cr, a.px(a.x_hi), a.py(a.y_hi));
  cairo_stroke(cr);
  cairo_restore(cr);
}

// The confusion matrix's cells, with (left, top) its corner: each shaded by
// its share of the true class's row, with its count (and that share, when
// the cells are large), then the grid lines and the frame.
void draw_confusion_cells(cairo_t* cr, const std::vector<std::vector<int64_t>>& confusion,
                          double left, double top, double cell) {
  const size_t k = confusion.size();
  const double matrix = cell * k;
  for (size_t t = 0; t < k; ++t) {
    int64_t row_total = 0;
    for (size_t p = 0; p < k; ++p) row_total += confusion[t][p];
    for (size_t p = 0; p < k; ++p) {
      const double fraction = row_total ? static_cast<double>(confusion[t][p]) / row_total : 0;
      const double x = left + cell * p, y = top + cell * t;
      set_colour(cr, shade(fraction));
      cairo_rectangle(cr, x, y, cell, cell);
      cairo_fill(cr);
      if (fraction > 0.5) cairo_set_source_rgb(cr, 1, 1, 1);
      else set_colour(cr, kInk);
      cairo_set_font_size(cr, cell >= 60 ? 16 : 11);
      const std::string count = std::to_string(confusion[t][p]);
      if (cell >= 60) {
        text_at(cr, count, x + cell / 2, y + cell / 2 - 9, 0.5, 0.5);
        cairo_set_font_size(cr, 11);
        text_at(cr, percent(fraction), x + cell / 2, y + cell / 2 + 12, 0.5, 0.5);
      } else {
        text_at(cr, count, x + cell / 2, y + cell / 2, 0.5, 0.5);
      }
    }
  }
  // Grid lines and the frame.
  set_colour(cr, kGrid);
  cairo_set_line_width(cr, 1);
  for (size_t i = 1; i < k; ++i) {
    cairo_move_to(cr, left + cell * i, top);
    cairo_line_to(cr, left + cell * i, top + matrix);
    cairo_move_to(cr, left, top + cell * i);
    cairo_line_to(cr, left + matrix, top + cell * i);
  }
  cairo_stroke(cr);
  set_colour(cr, kInk);
  cairo_rectangle(cr, left, top, matrix, matrix);
  cairo_stroke(cr);
}

// The colour bar of the shares, 0% to 100% upwards, in the box (bar_x, top,
// bar_w, height).
void draw_colour_bar(cairo_t* cr, double bar_x, double top, double bar_w, double height) {
  for (int i = 0; i < 100; ++i) {
    set_colour(cr, shade(i / 99.0));
    cairo_rectangle(cr, bar_x, top + height * (1 - (i + 1) / 100.0), bar_w, height / 100.0 + 0.5);
    cairo_fill(cr);
  }
  set_colour(cr, kInk);
  cairo_rectangle(cr, bar_x, top, bar_w, height);
  cairo_stroke(cr);
  cairo_set_font_size(cr, 11);
  for (int pct : {0, 50, 100})
    text_at(cr, std::to_string(pct) + "%", bar_x + bar_w + 5, top + height * (1 - pct / 100.0), 0, 0.5);
}

}  // namespace

bool plot_confusion(const std::vector<std::vector<int64_t>>& confusion,
                    const std::vector<std::string>& names, const std::string& title,
                    AtomicFile& out) {
  const size_t k = confusion.size();
  ASTRO_CHECK(k > 0 && names.size() == k, "plot_confusion: ", k, " classes but ", names.size(),
              " names");
  const double cell = k <= 6 ? 80 : std::max(28.0, 480.0 / k);
  const double label_size = 13;
  // The margins hold the class names: measured on a scratch canvas.
  double widest = 0;
  {
    Canvas scratch(1, 1);
    cairo_set_font_size(scratch.cr(), label_size);
    for (const std::string& n : names) widest = std::max(widest, text_width(scratch.cr(), n));
  }
  const double angle = 40 * kPi / 180;  // column names slant up to the right
  const double left = 50 + widest + 12, top = 70;
  const double matrix = cell * k;
  const double bottom_margin = 20 + widest * std::sin(angle) + 45;
  const double bar_x = left + matrix + 30, bar_w = 18;
  const int width = static_cast<int>(std::max(bar_x + bar_w + 60, left + matrix * 0.5 + 260));
  const int height = static_cast<int>(top + matrix + bottom_margin);
  Canvas canvas(width, height);
  cairo_t* cr = canvas.cr();

  int64_t total = 0, correct = 0;
  for (size_t t = 0; t < k; ++t)
    for (size_t p = 0; p < k; ++p) total += confusion[t][p], correct += t == p ? confusion[t][p] : 0;
  cairo_set_font_size(cr, 15);
  text_at(cr, fitted(cr, title, width - 20.0), width / 2.0, 12, 0.5, 0);
  cairo_set_font_size(cr, 12);
  text_at(cr, "accuracy " + percent(total ? static_cast<double>(correct) / total : 0) + " of " +
                  std::to_string(total) + " images; colour: share of the true class's row",
          width / 2.0, 36, 0.5, 0);

  draw_confusion_cells(cr, confusion, left, top, cell);

  // Class names: rows on the left, columns slanted under the matrix.
  cairo_set_font_size(cr, label_size);
  for (size_t i = 0; i < k; ++i) {
    text_at(cr, names[i], left - 8, top + cell * (i + 0.5), 1, 0.5);
    cairo_save(cr);
    cairo_translate(cr, left + cell * (i + 0.5), top + matrix + 8);
    cairo_rotate(cr, -angle);
    text_at(cr, names[i], 0, 0, 1, 0.5);
    cairo_restore(cr);
  }
  cairo_set_font_size(cr, 13);
  vertical_text_at(cr, "true class", 18, top + matrix / 2);
  text_at(cr, "predicted class", left + matrix / 2, height - 22, 0.5, 0.5);

  draw_colour_bar(cr, bar_x, top, bar_w, matrix);  // the shares' colours
  out.write(canvas.png());
  return true;
}

bool plot_predicted_vs_true(const std::vector<double>& predicted, const std::vector<double>& truth,
                            const std::vector<std::string>& names, const std::string& title,
                            AtomicFile& out) {
  const size_t k = names.size();
  ASTRO_CHECK(k > 0 && predicted.size() == truth.size() && predicted.size() % k == 0,
              "plot_predicted_vs_true: ", predicted.size(), " predictions and ", truth.size(),
              " labels for ", k, " outputs");
  const size_t n = predicted.size() / k;
  const int columns = static_cast<int>(std::min<size_t>(k, 3));
  const int rows = static_cast<int>((k + columns - 1) / columns);
  // A square frame in each panel: draw_axes leaves 60 + 15 px beside it and 40 + 50 above and below.
  const double panel_w = 385, panel_h = 400, head = 36;
  Canvas canvas(static_cast<int>(panel_w * columns), static_cast<int>(head + panel_h * rows));
  cairo_t* cr = canvas.cr();
  cairo_set_font_size(cr, 15);
  text_at(cr, fitted(cr, title, panel_w * columns - 20), panel_w * columns / 2, 10, 0.5, 0);

  for (size_t j = 0; j < k; ++j) {
    double lo = INFINITY, hi = -INFINITY, squared = 0;
    for (size_t i = 0; i < n; ++i) {
      const double p = predicted[i * k + j], t = truth[i * k + j];
      lo = std::min({lo, p, t});
      hi = std::max({hi, p, t});
      squared += (p - t) * (p - t);
    }
    AxesStyle style;
    style.title = names[j];
    style.x_label = "true";
    style.y_label = "predicted";
    style.square = true;
    style.margin_left = 60;
    const double x0 = panel_w * (j % columns), y0 = head + panel_h * (j / columns);
    const Axes a = draw_axes(cr, x0, y0, panel_w, panel_h, lo, hi, lo, hi, style);
    identity_line(cr, a);
    scatter(cr, a, truth, predicted, k, j);
    char text[64];
    std::snprintf(text, sizeof text, "rmse %.4f, %zu images", n ? std::sqrt(squared / n) : 0.0, n);
    note(cr, a, {text});
  }
  out.write(canvas.png());
  return true;
}

namespace {

// "mean 12.3 deg, median 8.1 deg"
std::string mean_median(const orientation::ErrorSummary& e) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "mean %.1f deg, median %.1f deg", e.mean_deg, e.median_deg);
  return buf;
}

// Counts of `values` in `bins` equal bins over [0, hi]; hi itself goes in the last.
std::vector<int64_t> histogram(const std::vector<double>& values, int bins, double hi) {
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  for (double v : values) ++counts[std::clamp(static_cast<int>(v / hi * bins), 0, bins - 1)];
  return counts;
}

// The counts as a step outline (the constant guess, drawn over the bars).
void step_outline(cairo_t* cr, const Axes& a, const std::vector<int64_t>& counts, double bin_width) {
  cairo_move_to(cr, a.px(0), a.py(0));
  for (size_t b = 0; b < counts.size(); ++b) {
    cairo_line_to(cr, a.px(b * bin_width), a.py(static_cast<double>(counts[b])));
    cairo_line_to(cr, a.px((b + 1) * bin_width), a.py(static_cast<double>(counts[b])));
  }
  cairo_line_to(cr, a.px(counts.size() * bin_width), a.py(0));
  cairo_stroke(cr);
}

}  // namespace

bool plot_orientation(const orientation::OrientationErrors& e, const std::string& title,
                      AtomicFile& out) {
  const size_t n = e.true_deg.size();
  ASTRO_CHECK(e.predicted_deg.size() == n && e.error_deg.size() == n, "plot_orientation: ", n,
              " true angles, ", e.predicted_deg.size(), " predicted and ", e.error_deg.size(), " errors");
  const double panel_w = 440, panel_h = 440, head = 36;
  Canvas canvas(static_cast<int>(2 * panel_w), static_cast<int>(head + panel_h));
  cairo_t* cr = canvas.cr();
  cairo_set_font_size(cr, 15);
  text_at(cr, fitted(cr, title, 2 * panel_w - 20), panel_w, 10, 0.5, 0);

  // Left: predicted against true angle. Both wrap at 180 deg, so points in the
  // top-left and bottom-right corners are near misses, not gross errors.
  AxesStyle angles;
  angles.title = "position angle (from +x towards +y)";
  angles.x_label = "true angle (deg)";
  angles.y_label = "predicted angle (deg)";
  angles.square = true;
  angles.margin_left = 60;
  angles.y_step = 30;
  const Axes left = draw_axes(cr, 0, head, panel_w, panel_h, 0, 180, 0, 180, angles);
  identity_line(cr, left);
  scatter(cr, left, e.true_deg, e.predicted_deg, 1, 0);
  note(cr, left, {"error " + mean_median(e.model), std::to_string(n) + " images"});

  // Right: the errors' histogram, and the constant guess's as an outline.
  const int bins = 18;
  const double bin_width = 90.0 / bins;
  std::vector<double> constant_errors(n);
  for (size_t i = 0; i < n; ++i) constant_errors[i] = orientation::axis_error_deg(e.constant_deg, e.true_deg[i]);
  const std::vector<int64_t> model = histogram(e.error_deg, bins, 90), chance = histogram(constant_errors, bins, 90);
  const int64_t tallest = std::max(*std::max_element(model.begin(), model.end()),
                                   *std::max_element(chance.begin(), chance.end()));
  AxesStyle errors;
  errors.title = "angle error, folded into [0, 90] deg";
  errors.x_label = "|predicted - true| (deg)";
  errors.y_label = "images";
  errors.x_step = 15;
  errors.margin_left = 60;
  // Headroom above the tallest bar for the note.
  const Axes right = draw_axes(cr, panel_w, head, panel_w, panel_h, 0, 90, 0,
                               std::max<double>(1, 1.4 * tallest), errors);
  cairo_set_source_rgba(cr, kBlue.r, kBlue.g, kBlue.b, 0.7);
  for (int b = 0; b < bins; ++b) {
    const double x0 = right.px(b * bin_width) + 1, x1 = right.px((b + 1) * bin_width) - 1;
    cairo_rectangle(cr, x0, right.py(static_cast<double>(model[b])), x1 - x0,
                    right.py(0) - right.py(static_cast<double>(model[b])));
    cairo_fill(cr);
  }
  cairo_set_line_width(cr, 2);
  set_colour(cr, kOrange);
  step_outline(cr, right, chance, bin_width);
  char guess[96];
  std::snprintf(guess, sizeof guess, "orange: one constant guess (%.0f deg), chance:", e.constant_deg);
  note(cr, right, {"blue: the model, " + mean_median(e.model), guess, "  " + mean_median(e.constant)});
  out.write(canvas.png());
  return true;
}

bool plot_roc(const roc::Curve& curve, const std::string& positive, const std::string& title,
              AtomicFile& out) {
  ASTRO_CHECK(curve.points.size() >= 2, "plot_roc: a curve of ", curve.points.size(), " points");
  const double panel = 480, head = 36;
  Canvas canvas(static_cast<int>(panel), static_cast<int>(head + panel));
  cairo_t* cr = canvas.cr();
  cairo_set_font_size(cr, 15);
  text_at(cr, fitted(cr, title, panel - 20), panel / 2, 10, 0.5, 0);

  AxesStyle style;
  style.title = "ranking by the probability of class " + positive;
  style.x_label = "false-positive rate";
  style.y_label = "true-positive rate";
  style.square = true;
  style.margin_left = 60;
  style.x_step = style.y_step = 0.2;
  const Axes a = draw_axes(cr, 0, head, panel, panel, 0, 1, 0, 1, style);
  identity_line(cr, a);  // chance: scores unrelated to the class
  cairo_set_line_width(cr, 2.5);
  set_colour(cr, kBlue);
  cairo_move_to(cr, a.px(curve.points[0].false_positive_rate), a.py(curve.points[0].true_positive_rate));
  for (const roc::Point& p : curve.points) cairo_line_to(cr, a.px(p.false_positive_rate), a.py(p.true_positive_rate));
  cairo_stroke(cr);
  char auc[64];
  std::snprintf(auc, sizeof auc, "blue: the model, AUC %.4f", curve.auc);
  note(cr, a, {auc, "dashed orange: chance, AUC 0.5",
               std::to_string(curve.positives) + " positive, " + std::to_string(curve.negatives) + " negative images"},
       Corner::BottomRight);  // a good curve fills the top left
  out.write(canvas.png());
  return true;
}

#endif

}  // namespace astrocnn::cli
