// report/svg_chart.h: the report's inline SVG charts (horizontal bars, line charts), as text; no script needed.
//
// Overview
//   Pure functions from data to an <svg> element string. Every label is escaped (EscapeHtml), coordinates are
//   printed with fixed precision, so output is deterministic. Bars are <rect class="bar SERIES"> drawn with
//   shape-rendering="crispEdges" in one solid colour per series, a nonzero value is at least 2 px wide, and rows are
//   separated by a gap: tests/report/render_check.py counts bars in the screenshot by those colours.
//
// Usage
//   BarChart c{"chart-bytes", {{"before", kColorBefore}, {"after", kColorAfter}}, {}};
//   c.rows.push_back({"encoder.0.q", {2359296, 147460}, "2.3 MiB -> 144 KiB"});
//   std::string svg = RenderBarChart(c);
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace qc::report {

inline constexpr const char* kColorBefore = "#4e79a7";
inline constexpr const char* kColorAfter = "#f28e2b";
inline constexpr const char* kColorSqnr = "#59a14f";
inline constexpr const char* kColorCurve = "#e15759";

/// Escapes &, <, >, " and ' and drops C0 control characters other than tab and newline.
std::string EscapeHtml(const std::string& text);

struct BarSeries {
  std::string name;   ///< becomes the CSS class "bar NAME" and the legend entry
  std::string color;  ///< "#rrggbb"
};

struct BarRow {
  std::string label;           ///< left column; long labels are shortened, the full text is the tooltip
  std::vector<double> values;  ///< one per series; negative values draw no bar
  std::string note;            ///< right column, e.g. "2.3 MiB -> 144 KiB (16.0x)"
};

struct BarChart {
  std::string id;
  std::vector<BarSeries> series;
  std::vector<BarRow> rows;
  std::string axis_unit;  ///< appended to tick labels, e.g. " MiB" (values are divided by axis_divisor)
  double axis_divisor = 1;
};

std::string RenderBarChart(const BarChart& chart);

struct LineChart {
  std::string id;
  std::string title;
  std::string x_label;
  std::vector<std::pair<double, double>> points;  ///< (x, y), x increasing
};

std::string RenderLineChart(const LineChart& chart);

/// Tick positions covering [lo, hi] at a 1/2/5 x 10^k step, about `target` of them.
std::vector<double> NiceTicks(double lo, double hi, int target);

/// Compact number text for ticks: up to 4 significant digits, no exponent for |v| in [1e-3, 1e6).
std::string TickText(double v);

}  // namespace qc::report
