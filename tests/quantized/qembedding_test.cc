// QEmbedding end to end: T2, I4 and I8 tables with row-wise scales; the output must be exactly fl(scale_v · w) (one
// float multiply, the contract), computed here from the dense storage rules written out independently.
#include <doctest/doctest.h>

#include <random>

#include "quant_harness.h"

namespace qc::test {
namespace {

// Dense storage of signed values (t2: codes w + 1 in 2 bits, element i at bits 2(i%4) of byte i/4; i4: two's
// complement nibble, low nibble = even element; i8: one byte).
std::vector<uint8_t> Store(ir::DType dtype, const std::vector<int>& values) {
  std::vector<uint8_t> bytes;
  if (dtype == ir::DType::kT2) {
    bytes.assign((values.size() + 3) / 4, 0);
    for (size_t i = 0; i < values.size(); ++i) bytes[i / 4] |= static_cast<uint8_t>((values[i] + 1) << (2 * (i % 4)));
  } else if (dtype == ir::DType::kI4) {
    bytes.assign((values.size() + 1) / 2, 0);
    for (size_t i = 0; i < values.size(); ++i) {
      bytes[i / 2] |= static_cast<uint8_t>((values[i] & 0xF) << (4 * (i % 2)));
    }
  } else {
    for (int v : values) bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(v)));
  }
  return bytes;
}

}  // namespace

TEST_CASE("QEmbedding dequantizes rows exactly for t2, i4 and i8 tables") {
  const struct {
    ir::DType dtype;
    int lo, hi;
  } kinds[] = {{ir::DType::kT2, -1, 1}, {ir::DType::kI4, -7, 7}, {ir::DType::kI8, -127, 127}};
  for (const auto& kind : kinds) {
    CAPTURE(ir::DTypeName(kind.dtype));
    const int64_t vocab = 11, dim = 13;  // odd sizes: rows straddle bytes
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> pick(kind.lo, kind.hi);
    std::vector<int> values(static_cast<size_t>(vocab * dim));
    for (int& v : values) v = pick(rng);
    const std::vector<float> scale = RandomFloats(static_cast<size_t>(vocab), 0.01f, 2.0f, 9);
    ir::GraphBuilder b;
    const auto ids = Must(b.AddInput("ids", ir::DType::kI64, {"batch", "sequence"}));
    const auto table = Must(b.AddConstant("table", Must(ir::Tensor::FromBytes(kind.dtype, {vocab, dim},
                                                                                Store(kind.dtype, values)))));
    const auto rows = Must(b.AddConstant("scale", Must(ir::Tensor::FromVector<float>({vocab}, scale))));
    const auto y = Must(b.AddOp(ir::OpType::kQEmbedding, "emb", {ids, table, rows}));
    REQUIRE(b.MarkOutput(y, "y").ok());
    const ir::Graph graph = Must(std::move(b).Build());
    const std::vector<int64_t> id_values = {0, 10, 3, 3, 7, 1};
    const auto out = Must(RunIrGraph(graph, {{"ids", HostTensor::Int64({2, 3}, id_values)}}));
    REQUIRE(out[0].tensor.shape == std::vector<int64_t>{2, 3, dim});
    int mismatches = 0;
    for (size_t t = 0; t < id_values.size(); ++t) {
      const auto v = static_cast<size_t>(id_values[t]);
      for (size_t e = 0; e < static_cast<size_t>(dim); ++e) {
        const float want = scale[v] * static_cast<float>(values[v * static_cast<size_t>(dim) + e]);
        if (out[0].tensor.floats[t * static_cast<size_t>(dim) + e] != want) ++mismatches;
      }
    }
    CHECK(mismatches == 0);

    auto bad = RunIrGraph(graph, {{"ids", HostTensor::Int64({1, 2}, {4, 11})}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == StatusCode::kOutOfRange);
    CHECK_MESSAGE(bad.status().message().find("'emb' (QEmbedding") != std::string::npos, bad.status().message());
    CHECK(bad.status().message().find("id 11 at position 1 is outside [0, 11)") != std::string::npos);
  }
}

}  // namespace qc::test
