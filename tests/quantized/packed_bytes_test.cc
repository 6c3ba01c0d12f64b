// The IR's copy of the packed byte count (ir/quant.h QWeightPackedBytes, which may not include runtime headers)
// must agree with the runtime's layout (quant/t2_pack.h T2PackedBytes) and with the .qm rule
// (format/qm_quant_rules.h) everywhere, tile edges included.
#include <doctest/doctest.h>

#include "format/qm_quant_rules.h"
#include "ir/quant.h"
#include "quant/t2_pack.h"

TEST_CASE("IR, .qm and runtime agree on t2 packed weight sizes") {
  int checked = 0;
  for (size_t n : {1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 768, 3072}) {
    for (size_t k : {1, 31, 32, 127, 128, 129, 255, 256, 257, 768, 3072}) {
      auto ir_bytes = qc::ir::QWeightPackedBytes(qc::ir::QWeightFormat::kT2R4K128, static_cast<int64_t>(n),
                                                 static_cast<int64_t>(k), "test");
      REQUIRE(ir_bytes.ok());
      CHECK(static_cast<size_t>(*ir_bytes) == qc::T2PackedBytes(n, k));
      CHECK(qc::qm::QmPackedWeightBytes(1, static_cast<int64_t>(n), static_cast<int64_t>(k)) == qc::T2PackedBytes(n, k));
      ++checked;
    }
  }
  CHECK(checked == 12 * 11);
  CHECK(qc::ir::QWeightMaxK(qc::ir::QWeightFormat::kT2R4K128) == static_cast<int64_t>(qc::kT2MaxK));
  CHECK_FALSE(qc::ir::QWeightPackedBytes(qc::ir::QWeightFormat::kT2R4K128, 4, static_cast<int64_t>(qc::kT2MaxK) + 1,
                                         "test")
                  .ok());
  CHECK(qc::qm::QmPackedWeightBytes(1, 4, static_cast<int64_t>(qc::kT2MaxK) + 1) == 0);
}
