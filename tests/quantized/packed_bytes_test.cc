// The IR's copy of the packed byte count (ir/quant.h QWeightPackedBytes, which may not include runtime headers)
// must agree with the runtime's layout (quant/t2_pack.h T2PackedBytes) and with the .qm rule
// (format/qm_quant_rules.h) everywhere, tile edges included.
#include <doctest/doctest.h>

#include "format/qm_quant_rules.h"
#include "ir/quant.h"
#include "quant/i4_pack.h"
#include "quant/i8_pack.h"
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

TEST_CASE("IR, .qm and runtime agree on i4 / i8 packed weight sizes and K limits") {
  for (size_t n : {1, 3, 4, 5, 64, 65, 768}) {
    for (size_t k : {1, 127, 128, 129, 768, 3072, 4097}) {
      const auto ni = static_cast<int64_t>(n), ki = static_cast<int64_t>(k);
      CHECK(*qc::ir::QWeightPackedBytes(qc::ir::QWeightFormat::kI4, ni, ki, "t") ==
            static_cast<int64_t>(qc::I4PackedBytes(n, k)));
      CHECK(*qc::ir::QWeightPackedBytes(qc::ir::QWeightFormat::kI8, ni, ki, "t") ==
            static_cast<int64_t>(qc::I8PackedBytes(n, k)));
      CHECK(qc::qm::QmPackedWeightBytes(2, ni, ki) == qc::I4PackedBytes(n, k));
      CHECK(qc::qm::QmPackedWeightBytes(3, ni, ki) == qc::I8PackedBytes(n, k));
    }
  }
  CHECK(qc::ir::QWeightMaxK(qc::ir::QWeightFormat::kI4) == static_cast<int64_t>(qc::kI4MaxK));
  CHECK(qc::ir::QWeightMaxK(qc::ir::QWeightFormat::kI8) == static_cast<int64_t>(qc::kI8MaxK));
  CHECK_FALSE(qc::ir::QWeightPackedBytes(qc::ir::QWeightFormat::kI8, 4, static_cast<int64_t>(qc::kI8MaxK) + 1, "t").ok());
  CHECK(qc::qm::QmPackedWeightBytes(2, 4, static_cast<int64_t>(qc::kI4MaxK) + 1) == 0);
}
