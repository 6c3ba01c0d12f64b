// Format 1.1 quantized ops (QLinear, QEmbedding, QAttention): IR -> .qm round trip, the writer's refusals, and
// hostile files built without validation that the reader must refuse with a specific error.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/qm_writer.h"
#include "format/qm_quant_rules.h"
#include "ir/builder.h"
#include "ir/quant.h"
#include "qm_refusal_cases.h"
#include "qm_test_util.h"
#include "quant/t2_pack.h"

namespace {

using qc::StatusCode;
using qc::test::Must;
using qc::test::RawFloat;
using qc::test::RawInt;
using qc::test::RawModel;
namespace ir = qc::ir;
namespace qm = qc::qm;

// x [batch, 200] -> QLinear t2 (200 -> 6, per-row scale, bias, gelu) -> y; ids [batch, 3] -> QEmbedding T2 [10, 7].
ir::Graph QuantGraph() {
  ir::GraphBuilder b;
  const auto x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 200}));
  std::vector<uint8_t> packed(qc::T2PackedBytes(6, 200));
  for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(0x55 ^ (i % 3 == 0 ? 0x01 : 0x40));
  const auto w = Must(b.AddConstant("w", Must(ir::Tensor::FromVector<uint8_t>({static_cast<int64_t>(packed.size())},
                                                                              packed))));
  const auto s = Must(b.AddConstant("w_scale", Must(ir::Tensor::FromVector<float>({6}, {1, 2, 3, 4, 5, 6}))));
  const auto bias = Must(b.AddConstant("bias", Must(ir::Tensor::FromVector<float>({6}, {0, 0, 1, 0, 0, -1}))));
  ir::Attributes attrs{{ir::AttrName::kWeightFormat, int64_t{1}},
                       {ir::AttrName::kInFeatures, int64_t{200}},
                       {ir::AttrName::kOutFeatures, int64_t{6}},
                       {ir::AttrName::kActClip, 2.5},
                       {ir::AttrName::kEpilogue, int64_t{1}}};
  const auto y = Must(b.AddOp(ir::OpType::kQLinear, "fc", {x, w, s, bias}, attrs));
  REQUIRE(b.MarkOutput(y, "y").ok());
  const auto ids = Must(b.AddInput("ids", ir::DType::kI64, {"batch", 3}));
  std::vector<uint8_t> codes(18, 0x96);
  const auto table = Must(b.AddConstant("table", Must(ir::Tensor::FromBytes(ir::DType::kT2, {10, 7}, codes))));
  const auto rows = Must(b.AddConstant("rows", Must(ir::Tensor::FromVector<float>({10}, std::vector<float>(10, 0.5f)))));
  const auto e = Must(b.AddOp(ir::OpType::kQEmbedding, "emb", {ids, table, rows}));
  REQUIRE(b.MarkOutput(e, "e").ok());
  return Must(std::move(b).Build());
}

qm::AttrSpec* FindAttr(qm::OpSpec& op, qm::AttrKey key) {
  for (qm::AttrSpec& a : op.attrs) {
    if (a.key == key) return &a;
  }
  FAIL("attribute missing");
  return nullptr;
}

qc::qm::ProvenanceSpec Producer() {
  qc::qm::ProvenanceSpec p;
  p.producer_name = "qcompress";
  p.producer_version = "0.2.0";
  return p;
}

}  // namespace

TEST_CASE("quantized ops round-trip IR -> .qm with their feature and runtime version") {
  qc::test::TempDir dir;
  const ir::Graph graph = QuantGraph();
  REQUIRE(qc::ExportQm(graph, Producer(), dir.File("q.qm")).ok());
  auto opened = qm::QmFile::Open(dir.File("q.qm"));
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  const qm::QmFile& file = *opened;
  CHECK(file.format_minor() == 3);  // writers stamp the newest minor; the ops still need only runtime 0.2.0
  CHECK(file.min_runtime_version() == qm::kQuantizedOpsRuntime);
  CHECK(file.preamble().min_runtime_version == qm::kQuantizedOpsRuntime.Packed());
  REQUIRE(file.num_required_features() == 2);
  CHECK(file.required_feature(0) == "op.qembedding@1");
  CHECK(file.required_feature(1) == "op.qlinear@1");
  REQUIRE(file.num_ops() == 2);
  const qm::QmOp fc = file.op(0);
  CHECK(fc.type() == qm::OpType::QLinear);
  CHECK(static_cast<int>(fc.type()) == 18);
  CHECK(fc.GetInt(qm::AttrKey::weight_format).value() == 1);
  CHECK(fc.GetInt(qm::AttrKey::in_features).value() == 200);
  CHECK(fc.GetInt(qm::AttrKey::out_features).value() == 6);
  CHECK(fc.GetInt(qm::AttrKey::act_granularity).value() == 1);
  CHECK(fc.GetFloat(qm::AttrKey::act_clip).value() == 2.5);
  CHECK(fc.GetFloat(qm::AttrKey::act_amax).value() == 0.0);
  CHECK(fc.GetInt(qm::AttrKey::epilogue).value() == 1);
  const qm::QmValue w = file.value(static_cast<uint32_t>(fc.input(1)));
  CHECK(w.dtype() == qm::DType::U8);
  CHECK(w.byte_size() == qc::T2PackedBytes(6, 200));
  const ir::Tensor& original = *graph.value(graph.node(0).inputs[1]).constant;
  CHECK(std::equal(w.data(), w.data() + w.byte_size(), original.raw_data()));
  const qm::QmOp emb = file.op(1);
  CHECK(emb.type() == qm::OpType::QEmbedding);
  CHECK(static_cast<int>(emb.type()) == 19);
  const qm::QmValue table = file.value(static_cast<uint32_t>(emb.input(1)));
  CHECK(table.dtype() == qm::DType::T2);
  CHECK(table.byte_size() == 18);
  CHECK(table.data()[17] == 0x96);
  CHECK(static_cast<int>(qm::OpType::QAttention) == 20);
  CHECK(static_cast<int>(qm::AttrKey::epilogue) == 16);
}

TEST_CASE("the writer refuses quantized ops that break a rule, naming the op") {
  const ir::Graph graph = QuantGraph();
  const qm::QmModelSpec good = Must(qc::BuildQmSpec(graph, {}));
  qc::test::CheckWriterRefuses(good, {
      {"no feature", [](qm::QmModelSpec& s) { s.required_features = {"op.qembedding@1"}; },
       "op 0 'fc' (QLinear) is used but required_features does not list 'op.qlinear@1'"},
      {"old runtime", [](qm::QmModelSpec& s) { s.min_runtime_version = qm::kFormatFloorRuntime; },
       "op 0 'fc' (QLinear) needs min_runtime_version >= 0.2.0, spec says 0.1.0"},
      {"weight bytes",
       [](qm::QmModelSpec& s) {
         s.values[1].shape[0].size -= 1;
         s.values[1].constant->size -= 1;
       },
       "input 'weight' (U8[511]) must be a U8 constant of exactly 512 bytes (the packed [6, 200] weight)"},
      {"weight format", [](qm::QmModelSpec& s) { FindAttr(s.ops[0], qm::AttrKey::weight_format)->value = qm::Datum::Int(9); },
       "attribute 'weight_format' = 9 is not 1, 2 or 3"},
      {"granularity", [](qm::QmModelSpec& s) { FindAttr(s.ops[0], qm::AttrKey::act_granularity)->value = qm::Datum::Int(0); },
       "attribute 'act_granularity' = 0 is not 1, 2 or 3"},
      {"epilogue", [](qm::QmModelSpec& s) { FindAttr(s.ops[0], qm::AttrKey::epilogue)->value = qm::Datum::Int(5); },
       "attribute 'epilogue' = 5 is not 0, 1 or 2"},
      {"amax without static", [](qm::QmModelSpec& s) { FindAttr(s.ops[0], qm::AttrKey::act_amax)->value = qm::Datum::Float(3); },
       "attribute 'act_amax' must be 0 unless act_granularity is static"},
      {"clip kind", [](qm::QmModelSpec& s) { FindAttr(s.ops[0], qm::AttrKey::act_clip)->value = qm::Datum::Int(2); },
       "attribute 'act_clip' is an int, expected a float"},
      {"scale shape",
       [](qm::QmModelSpec& s) {
         s.values[2].shape[0].size = 5;
         s.values[2].constant->size = 20;
       },
       "input 'w_scale' (F32[5]) must be an F32 constant [1] or [6]"},
  });
}

TEST_CASE("the reader refuses hostile quantized ops with specific errors") {
  auto valid = qc::test::OpenBytes(qc::test::AssembleRaw(qc::test::QLinearRaw(200, 1)));
  REQUIRE_MESSAGE(valid.ok(), valid.status().ToString());
  CHECK(valid->op(0).type() == qm::OpType::QLinear);
  qc::test::CheckReaderRefuses(qc::test::QLinearRaw(200, 1), {
      {"1.0 runtime floor",
       [](RawModel& m) { m.min_runtime_version = m.preamble_min_runtime_version = qm::kFormatFloorRuntime.Packed(); },
       StatusCode::kCorruptData, "op 0 'fc' (QLinear) needs min_runtime_version >= 0.2.0, file says 0.1.0"},
      {"feature missing", [](RawModel& m) { m.features.clear(); }, StatusCode::kCorruptData,
       "op 0 'fc' (QLinear) is used but required_features does not list 'op.qlinear@1'"},
      {"weight one byte short",
       [](RawModel& m) {
         m.values[1].shape = {511};
         m.values[1].length = 511;
       },
       StatusCode::kCorruptData, "input 'weight' (U8[511]) must be a U8 constant of exactly 512 bytes"},
      {"weight not U8", [](RawModel& m) { m.values[1].dtype = 7; }, StatusCode::kCorruptData,
       "input 'weight' (I8[512]) must be a U8 constant"},
      {"weight computed", [](RawModel& m) { m.values[1].has_data = false; m.inputs = {0, 1}; },
       StatusCode::kCorruptData, "input 'weight' (U8[512]) must be a U8 constant"},
      {"bad weight_format", [](RawModel& m) { m.ops[0].attrs[0].value = RawInt(4); }, StatusCode::kCorruptData,
       "op 0 'fc' (QLinear): attribute 'weight_format' = 4 is not 1, 2 or 3"},
      {"bad granularity", [](RawModel& m) { m.ops[0].attrs[3].value = RawInt(-1); }, StatusCode::kCorruptData,
       "attribute 'act_granularity' = -1 is not 1, 2 or 3"},
      {"negative clip", [](RawModel& m) { m.ops[0].attrs[4].value = RawFloat(-2.5); }, StatusCode::kCorruptData,
       "attribute 'act_clip' must be 0 (none) or finite and > 0"},
      {"static without amax", [](RawModel& m) { m.ops[0].attrs[3].value = RawInt(3); }, StatusCode::kCorruptData,
       "static activation scale needs act_amax finite and > 0"},
      {"bad epilogue", [](RawModel& m) { m.ops[0].attrs[6].value = RawInt(3); }, StatusCode::kCorruptData,
       "attribute 'epilogue' = 3 is not 0, 1 or 2"},
      {"missing attribute", [](RawModel& m) { m.ops[0].attrs.pop_back(); }, StatusCode::kCorruptData,
       "attribute 'epilogue' is missing"},
      {"in_features mismatch", [](RawModel& m) { m.ops[0].attrs[1].value = RawInt(199); }, StatusCode::kCorruptData,
       "input 'x' (F32[?, 200]) must be F32 with last dimension in_features = 199"},
      {"unknown op type 22", [](RawModel& m) { m.ops[0].type = 22; }, StatusCode::kUnsupported,
       "has an op type unknown to this runtime"},
      {"unknown attribute key 18", [](RawModel& m) { m.ops[0].attrs[6].key = 18; }, StatusCode::kUnsupported,
       "has attribute key <unknown 18>, unknown to this runtime"},
  });
}
