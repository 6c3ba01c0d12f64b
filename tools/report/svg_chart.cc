#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qc::report {
namespace {

// Bar chart geometry (px). The label column is wide enough for ~48 characters at 12 px.
constexpr double kWidth = 1100, kLabelW = 330, kNoteW = 200, kBarH = 10, kSeriesGap = 2, kRowGap = 10, kTop = 34;
constexpr size_t kMaxLabelChars = 48;

// Line chart geometry (px).
constexpr double kLineW = 540, kLineH = 250, kLeft = 62, kRight = 16, kLineTop = 34, kBottom = 40;

std::string F(double v) {  // coordinates: one decimal, no locale
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Shortens by code points, never inside a UTF-8 sequence.
std::string Shorten(const std::string& s, size_t max_chars) {
  size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max_chars - 1) break;
      ++chars;
    }
  }
  if (i >= s.size()) return s;
  // If the rest fits in one more character, keep it whole.
  size_t rest = 0;
  for (size_t k = i; k < s.size(); ++k) rest += (static_cast<unsigned char>(s[k]) & 0xC0) != 0x80;
  if (rest <= 1) return s;
  return s.substr(0, i) + "\xE2\x80\xA6";  // U+2026 ellipsis
}

std::string Text(double x, double y, const std::string& cls, const std::string& text, const char* anchor = "start") {
  return "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\" class=\"" + cls + "\" text-anchor=\"" + anchor + "\">" +
         EscapeHtml(text) + "</text>";
}

}  // namespace

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') break;
        out += c;
    }
  }
  return out;
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string TickText(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e6)) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string RenderBarChart(const BarChart& chart) {
  const size_t n_series = std::max<size_t>(1, chart.series.size());
  const double row_h = n_series * kBarH + (n_series - 1) * kSeriesGap + kRowGap;
  const double height = kTop + row_h * chart.rows.size() + 8;
  const double x0 = kLabelW, bar_w = kWidth - kLabelW - kNoteW;
  double max_v = 0;
  for (const BarRow& r : chart.rows) {
    for (double v : r.values) max_v = std::max(max_v, std::isfinite(v) ? v : 0.0);
  }
  std::vector<double> ticks = NiceTicks(0, max_v > 0 ? max_v / chart.axis_divisor : 1, 5);
  const double axis_max = std::max(ticks.back(), max_v / chart.axis_divisor);

  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + EscapeHtml(chart.id) +
                  "\" class=\"chart bars\" width=\"" + F(kWidth) + "\" height=\"" + F(height) + "\" viewBox=\"0 0 " +
                  F(kWidth) + " " + F(height) + "\" role=\"img\">";
  // Legend, top left.
  double lx = 4;
  for (const BarSeries& ser : chart.series) {
    s += "<rect class=\"legend\" x=\"" + F(lx) + "\" y=\"6\" width=\"12\" height=\"12\" fill=\"" + ser.color + "\"/>";
    s += Text(lx + 16, 16, "legend-text", ser.name);
    lx += 24 + 8 * ser.name.size();
  }
  // Grid and ticks.
  for (double t : ticks) {
    const double x = x0 + bar_w * (t / axis_max);
    s += "<line class=\"grid\" x1=\"" + F(x) + "\" y1=\"" + F(kTop - 6) + "\" x2=\"" + F(x) + "\" y2=\"" +
         F(height - 8) + "\"/>";
    s += Text(x, kTop - 10, "tick", TickText(t) + chart.axis_unit, "middle");
  }
  for (size_t i = 0; i < chart.rows.size(); ++i) {
    const BarRow& r = chart.rows[i];
    const double y = kTop + i * row_h;
    const double mid = y + (row_h - kRowGap) / 2;
    s += "<g class=\"row\"><title>" + EscapeHtml(r.label) + "</title>";
    s += Text(x0 - 8, mid + 4, "label", Shorten(r.label, kMaxLabelChars), "end");
    for (size_t k = 0; k < r.values.size() && k < chart.series.size(); ++k) {
      const double v = std::isfinite(r.values[k]) ? r.values[k] : 0.0;
      double w = v > 0 ? bar_w * (v / chart.axis_divisor) / axis_max : 0.0;
      if (v > 0) w = std::max(w, 2.0);  // a nonzero value stays visible
      s += "<rect class=\"bar " + EscapeHtml(chart.series[k].name) + "\" x=\"" + F(x0) + "\" y=\"" +
           F(y + k * (kBarH + kSeriesGap)) + "\" width=\"" + F(std::round(w)) + "\" height=\"" + F(kBarH) +
           "\" fill=\"" + chart.series[k].color + "\" shape-rendering=\"crispEdges\"/>";
    }
    s += Text(kWidth - kNoteW + 8, mid + 4, "note", r.note);
    s += "</g>";
  }
  s += "</svg>";
  return s;
}

std::string RenderLineChart(const LineChart& chart) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + EscapeHtml(chart.id) +
                  "\" class=\"chart line\" width=\"" + F(kLineW) + "\" height=\"" + F(kLineH) + "\" viewBox=\"0 0 " +
                  F(kLineW) + " " + F(kLineH) + "\" role=\"img\">";
  s += Text(kLeft, 18, "chart-title", chart.title);
  const double pw = kLineW - kLeft - kRight, ph = kLineH - kLineTop - kBottom;
  double xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  if (!chart.points.empty()) {
    xlo = xhi = chart.points.front().first;
    ylo = yhi = chart.points.front().second;
    for (const auto& [x, y] : chart.points) {
      xlo = std::min(xlo, x), xhi = std::max(xhi, x), ylo = std::min(ylo, y), yhi = std::max(yhi, y);
    }
  }
  if (xhi == xlo) xhi = xlo + 1;
  if (yhi == ylo) ylo -= 0.5, yhi += 0.5;
  const double pad = (yhi - ylo) * 0.05;
  ylo -= pad, yhi += pad;
  auto px = [&](double x) { return kLeft + pw * (x - xlo) / (xhi - xlo); };
  auto py = [&](double y) { return kLineTop + ph * (1 - (y - ylo) / (yhi - ylo)); };
  s += "<rect class=\"plot\" x=\"" + F(kLeft) + "\" y=\"" + F(kLineTop) + "\" width=\"" + F(pw) + "\" height=\"" +
       F(ph) + "\"/>";
  for (double t : NiceTicks(ylo, yhi, 5)) {
    s += "<line class=\"grid\" x1=\"" + F(kLeft) + "\" y1=\"" + F(py(t)) + "\" x2=\"" + F(kLeft + pw) + "\" y2=\"" +
         F(py(t)) + "\"/>";
    s += Text(kLeft - 6, py(t) + 4, "tick", TickText(t), "end");
  }
  for (double t : NiceTicks(xlo, xhi, 6)) {
    s += Text(px(t), kLineTop + ph + 16, "tick", TickText(t), "middle");
  }
  s += Text(kLeft + pw / 2, kLineH - 6, "axis-label", chart.x_label, "middle");
  std::string pts;
  for (const auto& [x, y] : chart.points) pts += (pts.empty() ? "" : " ") + F(px(x)) + "," + F(py(y));
  s += "<polyline class=\"curve\" points=\"" + pts + "\" fill=\"none\" stroke=\"" + std::string(kColorCurve) +
       "\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>";
  if (chart.points.size() <= 40) {
    for (const auto& [x, y] : chart.points) {
      s += "<circle class=\"point\" cx=\"" + F(px(x)) + "\" cy=\"" + F(py(y)) + "\" r=\"3\" fill=\"" +
           std::string(kColorCurve) + "\"/>";
    }
  }
  s += "</svg>";
  return s;
}

}  // namespace qc::report
