// report/text_format.h: number-to-text helpers shared by the HTML and text renderers (locale-independent).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace qc::report {

/// Six significant digits (printf's %g), the renderers' default for a number: Num(0.00125) == "0.00125".
inline std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// printf-style fixed-point text, e.g. Fixed(14.237, 1) == "14.2".
inline std::string Fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// A share in [0, 1] as a percentage with two decimals, rounded down: only an exact 1 reads "100.00", so 0.99999
/// (one differing example in 100,000) is not shown as complete agreement.
inline std::string PercentDown(double share) {
  // The epsilon keeps a share whose decimal text is exact (0.9995) from flooring to the step below in binary.
  return Fixed(std::floor(share * 10000.0 + 1e-6) / 100.0, 2);
}

/// 1536 -> "1.5 KiB"; below 1 KiB exact bytes ("812 B").
inline std::string FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  return u == 0 ? std::to_string(bytes) + " B" : Fixed(v, 1) + " " + kUnits[u];
}

/// "[768, 3072]".
inline std::string FormatShape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// before / after as "16.0x"; "-" when after is 0.
inline std::string FormatRatio(uint64_t before, uint64_t after) {
  return after == 0 ? std::string("-") : Fixed(static_cast<double>(before) / static_cast<double>(after), 1) + "x";
}

}  // namespace qc::report
