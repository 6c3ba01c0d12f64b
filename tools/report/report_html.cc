// Report -> one self-contained HTML page: inline CSS, inline SVG, no script, no external asset.
#include <algorithm>
#include <map>
#include <string>

#include "report/report.h"
#include "report/svg_chart.h"
#include "report/text_format.h"

namespace qc::report {
namespace {

// Above this many layers the bytes chart shows one bar pair per op type instead of per layer.
constexpr size_t kMaxBytesRows = 40;

constexpr const char* kCss = R"css(
body{font:14px/1.4 "DejaVu Sans",Arial,sans-serif;color:#222;background:#fff;margin:0}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd}
dl.meta{display:grid;grid-template-columns:140px 1fr;gap:2px 12px;margin:0}dl.meta dt{color:#666}
dl.meta dd{margin:0;font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:200px}
.card .big{font-size:20px;font-weight:bold}.card .sub{color:#666;font-size:12px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:bold}
.pass{background:#2e7d32}.fail{background:#c62828}
ul.warnings{background:#fff8e1;border:1px solid #ffe082;padding:8px 8px 8px 28px}
svg.chart text{font:12px "DejaVu Sans",Arial,sans-serif;fill:#333}svg.chart text.tick{fill:#777;font-size:11px}
svg.chart text.chart-title{font-weight:bold}svg.chart line.grid{stroke:#e6e6e6;stroke-width:1}
svg.chart rect.plot{fill:none;stroke:#ccc}.curves{display:flex;flex-wrap:wrap;gap:8px}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{padding:3px 6px;border-bottom:1px solid #eee}
th{text-align:left;background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.num,td.shape{white-space:nowrap}
td.name{font-family:"DejaVu Sans Mono",monospace;word-break:break-all}tfoot td{font-weight:bold}
footer{color:#888;font-size:11px;margin-top:20px}
)css";

std::string MetaRow(const char* key, const std::string& value) {
  if (value.empty()) return "";
  return std::string("<dt>") + key + "</dt><dd>" + EscapeHtml(value) + "</dd>";
}

std::string BytesNote(uint64_t before, uint64_t after) {
  return FormatBytes(before) + " \xE2\x86\x92 " + FormatBytes(after) + " (" + FormatRatio(before, after) + ")";
}

std::string BytesChart(const Report& r) {
  BarChart c{"chart-bytes", {{"before", kColorBefore}, {"after", kColorAfter}}, {}, " MiB", 1024.0 * 1024.0};
  uint64_t max_bytes = 0;
  for (const LayerRow& l : r.layers) max_bytes = std::max(max_bytes, l.bytes_before);
  if (max_bytes < 1024 * 1024) c.axis_unit = " KiB", c.axis_divisor = 1024;
  if (r.layers.size() <= kMaxBytesRows) {
    for (const LayerRow& l : r.layers) {
      c.rows.push_back(
          {l.name, {double(l.bytes_before), double(l.bytes_after)}, BytesNote(l.bytes_before, l.bytes_after)});
    }
  } else {
    std::map<std::string, std::pair<uint64_t, uint64_t>> by_op;  // sorted by op name: deterministic
    std::map<std::string, int> count;
    for (const LayerRow& l : r.layers) {
      by_op[l.op].first += l.bytes_before;
      by_op[l.op].second += l.bytes_after;
      ++count[l.op];
    }
    for (const auto& [op, b] : by_op) {
      c.rows.push_back({op + " (" + std::to_string(count[op]) + " layers)",
                        {double(b.first), double(b.second)},
                        BytesNote(b.first, b.second)});
    }
  }
  return RenderBarChart(c);
}

std::string SqnrChart(const Report& r) {
  BarChart c{"chart-sqnr", {{"sqnr", kColorSqnr}}, {}, " dB", 1};
  for (const LayerRow& l : r.layers) {
    if (!l.sqnr_db) continue;
    std::string note = Fixed(*l.sqnr_db, 1) + " dB";
    if (l.cosine) note += ", cos " + Fixed(*l.cosine, 4);
    c.rows.push_back({l.name, {*l.sqnr_db}, note});
  }
  return RenderBarChart(c);
}

std::string Summary(const Report& r) {
  std::string s = "<div class=\"cards\">";
  s += "<div class=\"card\" id=\"card-size\"><div class=\"sub\">file size</div><div class=\"big\">" +
       FormatBytes(r.totals.file_bytes_before) + " \xE2\x86\x92 " + FormatBytes(r.totals.file_bytes_after) +
       "</div><div class=\"sub\">" + Fixed(r.totals.ratio(), 2) + "x smaller</div></div>";
  if (r.metric) {
    const Metric& m = *r.metric;
    std::string gates;
    if (m.max_drop) gates += "max drop " + Num(*m.max_drop);
    if (m.min_metric)
      gates += std::string(gates.empty() ? "" : ", ") + (m.higher_is_better ? "min " : "max ") + Num(*m.min_metric);
    if (gates.empty()) gates = "no gate";
    s += "<div class=\"card\" id=\"card-metric\"><div class=\"sub\">" + EscapeHtml(m.name) +
         " (teacher \xE2\x86\x92 student)</div><div class=\"big\">" + Num(m.teacher) + " \xE2\x86\x92 " +
         Num(m.student) + " <span class=\"badge " + (m.pass ? "pass\">PASS" : "fail\">FAIL") +
         "</span></div><div class=\"sub\">drop " + Num(m.drop()) + "; " + gates +
         (m.trained_agreement ? "; .qm = trained on " + PercentDown(*m.trained_agreement) + "%" : "") +
         (m.trained_max_diff ? "; .qm vs trained: outputs within " + Num(*m.trained_max_diff) : "") + "</div></div>";
  }
  return s + "</div>";
}

std::string LayerTable(const Report& r) {
  std::string s =
      "<table id=\"layers\"><thead><tr><th>#</th><th>layer</th><th>op</th><th>shape</th><th>bits</th><th>scheme</th>"
      "<th>bytes before</th><th>bytes after</th><th>ratio</th><th>SQNR dB</th><th>cosine</th></tr></thead><tbody>";
  uint64_t before = 0, after = 0;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerRow& l = r.layers[i];
    before += l.bytes_before;
    after += l.bytes_after;
    s += "<tr class=\"layer-row\"><td class=\"num\">" + std::to_string(i) + "</td><td class=\"name\">" +
         EscapeHtml(l.name) + "</td><td>" + EscapeHtml(l.op) + "</td><td class=\"shape\">" + FormatShape(l.shape) +
         "</td>" + "<td class=\"num\">" + std::to_string(l.weight_bits) + "</td><td>" + EscapeHtml(l.scheme) + "</td>" +
         "<td class=\"num\">" + std::to_string(l.bytes_before) + "</td><td class=\"num\">" +
         std::to_string(l.bytes_after) + "</td><td class=\"num\">" + FormatRatio(l.bytes_before, l.bytes_after) +
         "</td><td class=\"num\">" + (l.sqnr_db ? Fixed(*l.sqnr_db, 2) : "-") + "</td><td class=\"num\">" +
         (l.cosine ? Fixed(*l.cosine, 5) : "-") + "</td></tr>";
  }
  s += "</tbody><tfoot><tr><td></td><td>all layers</td><td></td><td></td><td></td><td></td><td class=\"num\">" +
       std::to_string(before) + "</td><td class=\"num\">" + std::to_string(after) + "</td><td class=\"num\">" +
       FormatRatio(before, after) + "</td><td></td><td></td></tr></tfoot></table>";
  return s;
}

}  // namespace

std::string RenderHtml(const Report& r) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>qcompress report: " +
                  EscapeHtml(r.model_name) + "</title><style>" + kCss + "</style></head><body><main>\n";
  s +=
      "<header><h1>" + EscapeHtml(r.model_name.empty() ? "(unnamed model)" : r.model_name) + "</h1><dl class=\"meta\">";
  s += MetaRow("source hash", r.source_hash) + MetaRow("command", r.command_line) +
       MetaRow("configuration", r.config_summary) + MetaRow("eval data", r.eval_data) +
       MetaRow("qcompress", r.qcompress_version);
  s += "</dl>" + Summary(r) + "</header>\n";
  if (!r.warnings.empty()) {
    s += "<section id=\"warnings\"><h2>Warnings</h2><ul class=\"warnings\">";
    for (const std::string& w : r.warnings) s += "<li>" + EscapeHtml(w) + "</li>";
    s += "</ul></section>\n";
  }
  if (!r.layers.empty()) {
    s += "<section><h2>Weight bytes per " + std::string(r.layers.size() <= kMaxBytesRows ? "layer" : "op type") +
         "</h2>" + BytesChart(r) + "</section>\n";
  }
  if (std::any_of(r.layers.begin(), r.layers.end(), [](const LayerRow& l) { return l.sqnr_db.has_value(); })) {
    s += "<section><h2>Output SQNR against the float model</h2>" + SqnrChart(r) + "</section>\n";
  }
  if (!r.curves.empty()) {
    s += "<section><h2>Training curves</h2><div class=\"curves\">";
    for (size_t i = 0; i < r.curves.size(); ++i) {
      LineChart c{"chart-curve-" + std::to_string(i), r.curves[i].name, "step", {}};
      for (const auto& [step, value] : r.curves[i].points) c.points.emplace_back(double(step), value);
      s += RenderLineChart(c);
    }
    s += "</div></section>\n";
  }
  s += "<section><h2>Layers</h2>" + LayerTable(r) + "</section>\n";
  s += "<footer>qcompress " + EscapeHtml(r.qcompress_version) + " \xC2\xB7 schema " + kSchemaId + "</footer>\n";
  return s + "</main></body></html>\n";
}

}  // namespace qc::report
