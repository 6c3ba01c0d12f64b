// Format 1.3's QLinear act_groups (per-embedding-group activation scales): IR -> .qm -> IR round trip with its
// feature and runtime version, files without it unchanged, the writer's and the reader's refusals naming the op.
#include <doctest/doctest.h>

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
#include "quant/t2_pack.h"

namespace {

using qc::StatusCode;
using qc::test::Must;
using qc::test::RawFloat;
using qc::test::RawInt;
using qc::test::RawModel;
namespace ir = qc::ir;
namespace qm = qc::qm;

// x [batch, 256] -> QLinear t2 (256 -> 6) with `groups` activation groups -> y.
ir::Graph GroupedGraph(int64_t groups) {
  ir::GraphBuilder b;
  const auto x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 256}));
  const size_t bytes = static_cast<size_t>(groups) * qc::T2PackedBytes(6, static_cast<size_t>(256 / groups));
  std::vector<uint8_t> packed(bytes);
  for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(0x55 ^ (i % 3 == 0 ? 0x01 : 0x40));
  const auto w = Must(b.AddConstant("w", Must(ir::Tensor::FromVector<uint8_t>({static_cast<int64_t>(bytes)}, packed))));
  const auto s = Must(b.AddConstant("w_scale", Must(ir::Tensor::FromVector<float>({1}, {0.5f}))));
  ir::Attributes attrs{{ir::AttrName::kWeightFormat, int64_t{1}},
                       {ir::AttrName::kInFeatures, int64_t{256}},
                       {ir::AttrName::kOutFeatures, int64_t{6}},
                       {ir::AttrName::kActClip, 2.5},
                       {ir::AttrName::kActGroups, groups}};
  const auto y = Must(b.AddOp(ir::OpType::kQLinear, "fc", {x, w, s}, attrs));
  REQUIRE(b.MarkOutput(y, "y").ok());
  return Must(std::move(b).Build());
}

}  // namespace

TEST_CASE("act_groups round-trips IR -> .qm -> IR with op.qlinear.act_groups@1 and runtime 0.4.0") {
  qc::test::TempDir dir;
  const ir::Graph graph = GroupedGraph(2);
  REQUIRE(qc::ExportQm(graph, {}, dir.File("a.qm")).ok());
  auto opened = qm::QmFile::Open(dir.File("a.qm"));
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  CHECK(opened->format_minor() == 3);
  CHECK(opened->min_runtime_version() == qm::kActGroupsRuntime);
  CHECK(qm::kActGroupsRuntime.ToString() == "0.4.0");
  REQUIRE(opened->num_required_features() == 2);
  CHECK(opened->required_feature(0) == "op.qlinear.act_groups@1");
  CHECK(opened->required_feature(1) == "op.qlinear@1");
  CHECK(opened->op(0).GetInt(qm::AttrKey::act_groups).value() == 2);
  qc::QmImportOptions options;
  options.allow_quantized = true;
  auto back = qc::ImportQmFile(dir.File("a.qm"), options);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(ir::PrintGraph(back->graph) == ir::PrintGraph(graph));
  REQUIRE(qc::ExportQm(back->graph, back->provenance, dir.File("b.qm")).ok());
  CHECK(qc::test::ReadBytes(dir.File("a.qm")) == qc::test::ReadBytes(dir.File("b.qm")));

  // One group is the attribute's absence: the file needs only the 1.1 runtime and lists no extra feature.
  REQUIRE(qc::ExportQm(GroupedGraph(1), {}, dir.File("one.qm")).ok());
  auto one = qm::QmFile::Open(dir.File("one.qm"));
  REQUIRE_MESSAGE(one.ok(), one.status().ToString());
  CHECK(one->min_runtime_version() == qm::kQuantizedOpsRuntime);
  CHECK(one->num_required_features() == 1);
  CHECK_FALSE(one->op(0).FindAttr(qm::AttrKey::act_groups));
}

TEST_CASE("the writer refuses act_groups that break a rule, naming the op") {
  const ir::Graph graph = GroupedGraph(2);  // the spec points at its constants' bytes
  const qm::QmModelSpec good = Must(qc::BuildQmSpec(graph, {}));
  qc::test::CheckWriterRefuses(
      good, {
                {"no feature", [](qm::QmModelSpec& s) { s.required_features = {"op.qlinear@1"}; },
                 "op 0 'fc' (QLinear) uses act_groups but required_features does not list 'op.qlinear.act_groups@1'"},
                {"0.3.0 runtime", [](qm::QmModelSpec& s) { s.min_runtime_version = qm::kQAttentionQkvRuntime; },
                 "op 0 'fc' (QLinear) uses act_groups, which needs min_runtime_version >= 0.4.0, spec says 0.3.0"},
            });
}

TEST_CASE("the reader refuses hand-broken act_groups files naming the op") {
  auto valid = qc::test::OpenBytes(qc::test::AssembleRaw(qc::test::QLinearRaw(256, 2)));
  REQUIRE_MESSAGE(valid.ok(), valid.status().ToString());
  qc::test::CheckReaderRefuses(
      qc::test::QLinearRaw(256, 2),
      {
          {"feature missing", [](RawModel& m) { m.features = {"op.qlinear@1"}; }, StatusCode::kCorruptData,
           "op 0 'fc' (QLinear) uses act_groups but required_features does not list 'op.qlinear.act_groups@1'"},
          {"runtime 0.3.0",
           [](RawModel& m) {
             m.min_runtime_version = m.preamble_min_runtime_version = qm::kQAttentionQkvRuntime.Packed();
           },
           StatusCode::kCorruptData, "uses act_groups, which needs min_runtime_version >= 0.4.0, file says 0.3.0"},
          {"3 groups of 256", [](RawModel& m) { m.ops[0].attrs[7].value = RawInt(3); }, StatusCode::kCorruptData,
           "op 0 'fc' (QLinear): attribute 'act_groups' = 3 must be in [2, 64] and divide in_features 256"},
          {"one group written", [](RawModel& m) { m.ops[0].attrs[7].value = RawInt(1); }, StatusCode::kCorruptData,
           "attribute 'act_groups' = 1 must be in [2, 64]"},
          {"float groups", [](RawModel& m) { m.ops[0].attrs[7].value = RawFloat(2); }, StatusCode::kCorruptData,
           "attribute 'act_groups' is"},
          {"static",
           [](RawModel& m) {
             m.ops[0].attrs[3].value = RawInt(3);
             m.ops[0].attrs[5].value = RawFloat(2);
           },
           StatusCode::kCorruptData, "attribute 'act_groups' needs a dynamic act_granularity"},
          {"weight packed whole (4 groups: 4 slices of 256 bytes)",
           [](RawModel& m) { m.ops[0].attrs[7].value = RawInt(4); }, StatusCode::kCorruptData,
           "must be a U8 constant of exactly 1024 bytes (the packed [6, 256] weight in 4 column groups)"},
      });
}
