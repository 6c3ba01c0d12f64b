// Report -> plain text, for `qcrun inspect` and the qcompress console summary.
#include <algorithm>
#include <string>

#include "report/report.h"
#include "report/text_format.h"

namespace qc::report {
namespace {

std::string Pad(std::string s, size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

// Names come from the source model: keep terminal control sequences out of the console.
std::string Clean(const std::string& s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string RenderText(const Report& r) {
  std::string s;
  s += "report:        " + Clean(r.model_name) + " (qcompress " + Clean(r.qcompress_version) + ")\n";
  if (!r.config_summary.empty()) s += "  config:      " + Clean(r.config_summary) + "\n";
  if (!r.eval_data.empty()) s += "  eval data:   " + Clean(r.eval_data) + "\n";
  if (r.metric) {
    const Metric& m = *r.metric;
    s += "  metric:      " + Clean(m.name) + " teacher " + Num(m.teacher) + " -> student " + Num(m.student) +
         " (drop " + Num(m.drop());
    if (m.max_drop) s += ", max drop " + Num(*m.max_drop);
    if (m.min_metric) s += std::string(", ") + (m.higher_is_better ? "min " : "max ") + Num(*m.min_metric);
    s += std::string(") ") + (m.pass ? "PASS" : "FAIL") + "\n";
    if (m.trained_agreement) {
      s += "  .qm = trained: same prediction on " + PercentDown(*m.trained_agreement) + "% of eval examples\n";
    }
    if (m.trained_max_diff) {
      s += "  .qm vs trained: outputs differ by at most " + Num(*m.trained_max_diff) + " on eval examples\n";
    }
  }
  // Column widths follow the longest entry so the table lines up without truncating names.
  const char* heads[] = {"layer", "op", "shape", "bits", "scheme", "before", "after", "ratio", "sqnr_db", "cosine"};
  std::vector<std::vector<std::string>> rows;
  for (const LayerRow& l : r.layers) {
    rows.push_back({Clean(l.name), Clean(l.op), FormatShape(l.shape), std::to_string(l.weight_bits), Clean(l.scheme),
                    std::to_string(l.bytes_before), std::to_string(l.bytes_after),
                    FormatRatio(l.bytes_before, l.bytes_after), l.sqnr_db ? Fixed(*l.sqnr_db, 2) : "-",
                    l.cosine ? Fixed(*l.cosine, 5) : "-"});
  }
  std::vector<size_t> width(10);
  for (size_t c = 0; c < 10; ++c) {
    width[c] = std::string(heads[c]).size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = " ";
    for (size_t c = 0; c < cells.size(); ++c) out += " " + Pad(cells[c], width[c], c >= 5 || c == 3);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  s += "  layers:      " + std::to_string(r.layers.size()) + "\n";
  if (!rows.empty()) {
    s += line(std::vector<std::string>(std::begin(heads), std::end(heads)));
    for (const auto& row : rows) s += line(row);
  }
  uint64_t before = 0, after = 0;
  for (const LayerRow& l : r.layers) before += l.bytes_before, after += l.bytes_after;
  s += "  layer bytes: " + std::to_string(before) + " -> " + std::to_string(after) + " (" + FormatRatio(before, after) +
       ")\n";
  s += "  file bytes:  " + std::to_string(r.totals.file_bytes_before) + " -> " +
       std::to_string(r.totals.file_bytes_after) + " (" +
       FormatRatio(r.totals.file_bytes_before, r.totals.file_bytes_after) + ")\n";
  if (!r.curves.empty()) {
    s += "  curves:     ";
    for (size_t i = 0; i < r.curves.size(); ++i) {
      const Curve& c = r.curves[i];
      s += (i ? "; " : " ") + Clean(c.name) + " (" + std::to_string(c.points.size()) + " points";
      if (!c.points.empty()) s += ", last " + Num(c.points.back().second);
      s += ")";
    }
    s += "\n";
  }
  for (const std::string& w : r.warnings) s += "  warning:     " + Clean(w) + "\n";
  return s;
}

}  // namespace qc::report
