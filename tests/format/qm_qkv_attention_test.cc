// Format 1.2's QAttentionQkv: IR -> .qm -> IR round trip with its feature and runtime version, the writer's
// refusals, and hand-broken files the reader refuses naming the op.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/qm_writer.h"
#include "exporters/qm/to_ir.h"
#include "format/qm_quant_rules.h"
#include "ir/builder.h"
#include "ir/printer.h"
#include "qm_refusal_cases.h"
#include "qm_test_util.h"

namespace {

using qc::StatusCode;
using qc::test::Must;
using qc::test::RawFloat;
using qc::test::RawInt;
using qc::test::RawModel;
namespace ir = qc::ir;
namespace qm = qc::qm;

// qkv [batch, sequence, 24], mask [batch, sequence] -> QAttentionQkv (2 heads of 4) -> y [batch, sequence, 8].
ir::Graph QkvGraph() {
  ir::GraphBuilder b;
  const auto qkv = Must(b.AddInput("qkv", ir::DType::kF32, {"batch", "sequence", 24}));
  const auto mask = Must(b.AddInput("mask", ir::DType::kI64, {"batch", "sequence"}));
  ir::Attributes attrs{
      {ir::AttrName::kNumHeads, int64_t{2}}, {ir::AttrName::kScale, 0.5}, {ir::AttrName::kActClip, 3.0}};
  const auto y = Must(b.AddOp(ir::OpType::kQAttentionQkv, "layer.0.attn", {qkv, mask}, attrs));
  REQUIRE(b.MarkOutput(y, "y").ok());
  return Must(std::move(b).Build());
}

// qkv F32 [batch, sequence, 24] -> QAttentionQkv "layer.0.attn" -> y [batch, sequence, 8], built without validation.
RawModel QkvRaw() {
  RawModel m;
  m.min_runtime_version = m.preamble_min_runtime_version = qm::kQAttentionQkvRuntime.Packed();
  m.features = {"op.qattentionqkv@1"};
  m.symbols = {"batch", "sequence"};
  m.values.push_back({"qkv", 1, {-1, -2, 24}});
  m.values.push_back({"y", 1, {-1, -2, 8}});
  qc::test::RawOp op{21, 1, "layer.0.attn", {0}, {1}, {}};
  op.attrs = {{3, RawInt(2)}, {4, RawFloat(0.5)}, {14, RawFloat(0)}};  // num_heads, scale, act_clip
  m.ops.push_back(op);
  m.inputs = {0};
  m.outputs = {1};
  return m;
}

}  // namespace

TEST_CASE("QAttentionQkv round-trips IR -> .qm -> IR as OpType 21 with op.qattentionqkv@1 and runtime 0.3.0") {
  qc::test::TempDir dir;
  const ir::Graph graph = QkvGraph();
  qc::qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress";
  REQUIRE(qc::ExportQm(graph, provenance, dir.File("a.qm")).ok());
  auto opened = qm::QmFile::Open(dir.File("a.qm"));
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  CHECK(opened->format_minor() == 3);
  CHECK(opened->min_runtime_version() == qm::kQAttentionQkvRuntime);
  CHECK(qm::kQAttentionQkvRuntime.ToString() == "0.3.0");
  REQUIRE(opened->num_required_features() == 1);
  CHECK(opened->required_feature(0) == "op.qattentionqkv@1");
  REQUIRE(opened->num_ops() == 1);
  CHECK(static_cast<int>(opened->op(0).type()) == 21);
  CHECK(opened->op(0).GetInt(qm::AttrKey::num_heads).value() == 2);
  CHECK(opened->op(0).GetFloat(qm::AttrKey::act_clip).value() == 3.0);

  CHECK_FALSE(qc::ImportQmFile(dir.File("a.qm")).ok());  // quantized ops need allow_quantized
  qc::QmImportOptions options;
  options.allow_quantized = true;
  auto back = qc::ImportQmFile(dir.File("a.qm"), options);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(ir::PrintGraph(back->graph) == ir::PrintGraph(graph));
  REQUIRE(qc::ExportQm(back->graph, back->provenance, dir.File("b.qm")).ok());
  CHECK(qc::test::ReadBytes(dir.File("a.qm")) == qc::test::ReadBytes(dir.File("b.qm")));
}

TEST_CASE("the writer refuses a QAttentionQkv that breaks a rule, naming the op") {
  const qm::QmModelSpec good = Must(qc::BuildQmSpec(QkvGraph(), {}));
  qc::test::CheckWriterRefuses(good, {
      {"no feature", [](qm::QmModelSpec& s) { s.required_features.clear(); },
       "op 0 'layer.0.attn' (QAttentionQkv) is used but required_features does not list 'op.qattentionqkv@1'"},
      {"0.2.0 runtime", [](qm::QmModelSpec& s) { s.min_runtime_version = qm::kQuantizedOpsRuntime; },
       "op 0 'layer.0.attn' (QAttentionQkv) needs min_runtime_version >= 0.3.0, spec says 0.2.0"},
      {"last dim 25", [](qm::QmModelSpec& s) { s.values[0].shape[2] = qm::DimSpec::Fixed(25); },
       "op 0 'layer.0.attn' (QAttentionQkv): input 'qkv' (F32[?, ?, 25]) must be F32 [batch, sequence, 3·H]"},
  });
}

TEST_CASE("the reader refuses hand-broken QAttentionQkv files naming the op") {
  auto valid = qc::test::OpenBytes(qc::test::AssembleRaw(QkvRaw()));
  REQUIRE_MESSAGE(valid.ok(), valid.status().ToString());
  CHECK(valid->op(0).type() == qm::OpType::QAttentionQkv);
  qc::test::CheckReaderRefuses(QkvRaw(), {
      {"last dim 25",
       [](RawModel& m) {
         m.values[0].shape = {-1, -2, 25};
       },
       StatusCode::kCorruptData,
       "op 0 'layer.0.attn' (QAttentionQkv): input 'qkv' (F32[?, ?, 25]) must be F32 [batch, sequence, 3·H]"},
      {"symbolic last dim",
       [](RawModel& m) {
         m.values[0].shape = {-1, -2, -1};
       },
       StatusCode::kCorruptData,
       "op 0 'layer.0.attn' (QAttentionQkv): input 'qkv' (F32[?, ?, ?]) must be F32 [batch, sequence, 3·H]"},
      {"H not a multiple of the heads", [](RawModel& m) { m.ops[0].attrs[0].value = RawInt(3); },
       StatusCode::kCorruptData, "H a multiple of num_heads 3"},
      {"rank 2",
       [](RawModel& m) {
         m.values[0].shape = {-1, 24};
       },
       StatusCode::kCorruptData,
       "op 0 'layer.0.attn' (QAttentionQkv): input 'qkv' (F32[?, 24]) must be F32 [batch, sequence, 3·H]"},
      {"runtime 0.2.0",
       [](RawModel& m) { m.min_runtime_version = m.preamble_min_runtime_version = qm::kQuantizedOpsRuntime.Packed(); },
       StatusCode::kCorruptData, "op 0 'layer.0.attn' (QAttentionQkv) needs min_runtime_version >= 0.3.0"},
      {"feature missing", [](RawModel& m) { m.features = {"op.qattention@1"}; }, StatusCode::kCorruptData,
       "does not list 'op.qattentionqkv@1'"},
      {"three inputs",
       [](RawModel& m) {
         m.ops[0].inputs = {0, 0, 0};
       },
       StatusCode::kCorruptData,
       "op 0 'layer.0.attn' (QAttentionQkv): takes inputs qkv and an optional attention_mask"},
      {"act_clip missing", [](RawModel& m) { m.ops[0].attrs.pop_back(); }, StatusCode::kCorruptData,
       "attribute 'act_clip' is missing"},
  });
}
