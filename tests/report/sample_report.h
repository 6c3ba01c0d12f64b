// tests/report/sample_report.h: a realistic report for a tiny 2-layer BERT, computed (not typed in).
//
// Overview
//   Weights and inputs come from a fixed-seed generator; each layer's weights are quantized the simple way (ternary
//   with a 0.7 mean|w| threshold, or int8 per row), its output on the sample inputs is compared with the float
//   output through report/error_metrics.h, and bytes follow from the shape and bits. Names include hostile text
//   (<script>, quotes, ampersands) so every renderer test also checks escaping.
//
// Usage
//   qc::report::Report r = qc::test::SampleReport();
#pragma once

#include "report/report.h"

namespace qc::test {

qc::report::Report SampleReport();

}  // namespace qc::test
