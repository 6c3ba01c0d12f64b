// The quantized ops in the IR: schema defaults, shape rules (packed byte counts, scale shapes, enum ranges) and the
// verifier's constant-input rule. Every rejection is checked by the op and the text it names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/quant.h"
#include "ir/verifier.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::AddWeight;
using qc::ir::test::Must;

namespace {

ValueId AddBytes(GraphBuilder& b, const std::string& name, DType dtype, std::vector<int64_t> dims, size_t bytes) {
  std::vector<uint8_t> data(bytes);
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<uint8_t>(i * 37 % 251) & (dtype == DType::kT2 ? 0x55 : 0xff);
  return Must(b.AddConstant(name, Must(Tensor::FromBytes(dtype, std::move(dims), std::move(data)))));
}

Attributes QLinearAttrs(int64_t k, int64_t n) {
  return {{AttrName::kWeightFormat, static_cast<int64_t>(QWeightFormat::kT2R4K128)},
          {AttrName::kInFeatures, k},
          {AttrName::kOutFeatures, n}};
}

// x [batch, 200] -> QLinear t2 200 -> 6 with a per-row scale and a bias.
struct QLinearCase {
  GraphBuilder b;
  ValueId x, weight, scale, bias;
  QLinearCase(int64_t weight_bytes = 2 * 2 * 128, int64_t scale_len = 6) {
    x = Must(b.AddInput("x", DType::kF32, {"batch", 200}));
    weight = AddBytes(b, "w", DType::kU8, {weight_bytes}, static_cast<size_t>(weight_bytes));
    scale = AddWeight(b, "w_scale", {scale_len}, 3);
    bias = AddWeight(b, "bias", {6}, 4);
  }
  std::string Error(Attributes attrs, std::vector<ValueId> inputs = {}) {
    if (inputs.empty()) inputs = {x, weight, scale, bias};
    auto out = b.AddOp(OpType::kQLinear, "fc", std::move(inputs), std::move(attrs));
    REQUIRE_FALSE(out.ok());
    return out.status().message();
  }
};

}  // namespace

TEST_CASE("quantized op enums: names and range-checked conversion") {
  CHECK(QWeightFormatName(QWeightFormat::kT2R4K128) == "t2_r4k128");
  CHECK(QActGranularityName(QActGranularity::kStatic) == "static");
  CHECK(QEpilogueName(QEpilogue::kGeluTanh) == "gelu_tanh");
  CHECK(static_cast<int64_t>(QWeightFormat::kI8) == 3);
  CHECK(static_cast<int64_t>(QActGranularity::kPerToken) == 1);
  CHECK(static_cast<int64_t>(QEpilogue::kGeluErf) == 1);
  CHECK(Must(QWeightFormatFromInt(1, "n")) == QWeightFormat::kT2R4K128);
  for (int64_t bad : {int64_t{0}, int64_t{4}, int64_t{-1}}) {
    auto f = QWeightFormatFromInt(bad, "node 'fc' (QLinear)");
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().message().find("node 'fc' (QLinear): attribute 'weight_format' = " + std::to_string(bad)) == 0);
  }
  CHECK_FALSE(QActGranularityFromInt(0, "n").ok());
  CHECK_FALSE(QEpilogueFromInt(3, "n").ok());
  CHECK(Must(QEpilogueFromInt(0, "n")) == QEpilogue::kNone);
}

TEST_CASE("t2 packed byte counts") {
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 1, 1, "n")) == 128);
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 4, 128, "n")) == 128);
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 5, 129, "n")) == 2 * 2 * 128);
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 768, 3072, "n")) == 192 * 24 * 128);
  CHECK_FALSE(QWeightPackedBytes(QWeightFormat::kT2R4K128, 0, 8, "n").ok());
  CHECK_FALSE(QWeightPackedBytes(QWeightFormat::kT2R4K128, 4, (int64_t{1} << 23) + 1, "n").ok());
}

TEST_CASE("QLinear: defaults, shapes and the packed weight size") {
  QLinearCase c;
  const ValueId y = Must(c.b.AddOp(OpType::kQLinear, "fc", {c.x, c.weight, c.scale, c.bias}, QLinearAttrs(200, 6)));
  const Value& out = c.b.graph().value(y);
  CHECK(out.dtype == DType::kF32);
  CHECK(out.shape == Shape{Dim("batch"), Dim(6)});
  const Node& node = c.b.graph().node(c.b.graph().value(y).producer);
  CHECK(Must(node.attributes.GetInt(AttrName::kActGranularity, "n")) == 1);
  CHECK(Must(node.attributes.GetInt(AttrName::kEpilogue, "n")) == 0);
  CHECK(Must(node.attributes.GetFloat(AttrName::kActClip, "n")) == 0.0);
  CHECK(Must(node.attributes.GetFloat(AttrName::kActAmax, "n")) == 0.0);
  REQUIRE(c.b.MarkOutput(y, "y").ok());
  CHECK(Verify(c.b.graph()).ok());
  // Without bias, per-tensor scale.
  QLinearCase c2(512, 1);
  CHECK(c2.b.AddOp(OpType::kQLinear, "fc", {c2.x, c2.weight, c2.scale}, QLinearAttrs(200, 6)).ok());
}

TEST_CASE("QLinear act_groups: default 1; G packed column slices; G must divide K and needs dynamic scales") {
  // 200 columns in 2 groups: two [6, 100] slices of 2 row groups x 1 block x 128 bytes = 512 bytes; in 4 groups
  // (50 columns each) 4 x 256 = 1024.
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 6, 200, 2, "n")) == 512);
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kT2R4K128, 6, 200, 4, "n")) == 1024);
  CHECK(Must(QWeightPackedBytes(QWeightFormat::kI8, 6, 200, 1, "n")) ==
        Must(QWeightPackedBytes(QWeightFormat::kI8, 6, 200, "n")));
  CHECK(QWeightPackedBytes(QWeightFormat::kT2R4K128, 6, 200, 3, "n").status().message().find(
            "act_groups 3 must be in [1, 64] and divide in_features 200") != std::string::npos);
  CHECK_FALSE(QWeightPackedBytes(QWeightFormat::kT2R4K128, 6, 200, 0, "n").ok());
  {
    QLinearCase c(1024);
    Attributes attrs = QLinearAttrs(200, 6);
    attrs.Set(AttrName::kActGroups, int64_t{4});
    const ValueId y = Must(c.b.AddOp(OpType::kQLinear, "fc", {c.x, c.weight, c.scale, c.bias}, attrs));
    CHECK(Must(c.b.graph().node(c.b.graph().value(y).producer).attributes.GetInt(AttrName::kActGroups, "n")) == 4);
  }
  {
    QLinearCase c;  // 512 bytes: right for 1 or 2 groups, not for 4
    const ValueId y = Must(c.b.AddOp(OpType::kQLinear, "fc", {c.x, c.weight, c.scale, c.bias}, QLinearAttrs(200, 6)));
    CHECK(Must(c.b.graph().node(c.b.graph().value(y).producer).attributes.GetInt(AttrName::kActGroups, "n")) == 1);
    Attributes four = QLinearAttrs(200, 6);
    four.Set(AttrName::kActGroups, int64_t{4});
    CHECK(c.Error(four).find("must be u8[1024]") != std::string::npos);
    Attributes three = QLinearAttrs(200, 6);
    three.Set(AttrName::kActGroups, int64_t{3});
    CHECK(c.Error(three).find("act_groups 3 must be in [1, 64] and divide in_features 200") != std::string::npos);
    Attributes grouped_static = QLinearAttrs(200, 6);
    grouped_static.Set(AttrName::kActGroups, int64_t{2});
    grouped_static.Set(AttrName::kActGranularity, int64_t{3});
    grouped_static.Set(AttrName::kActAmax, 2.0);
    CHECK(c.Error(grouped_static).find("'act_groups' needs a dynamic act_granularity") != std::string::npos);
  }
  // The annotation side: groups print as "/groups=G" and are validated.
  QuantAnnotation q;
  q.activation = ActivationQuant{ActivationBits::kInt8, ActivationMode::kDynamicPerToken, 2.5, 3};
  CHECK(ToString(q) == "a=i8/dynamic_per_token/clip=2.5/groups=3");
  CHECK(ValidateQuantAnnotation(q, "n").ok());
  q.activation->mode = ActivationMode::kStatic;
  CHECK(ValidateQuantAnnotation(q, "n").message().find("activation groups need a dynamic mode") != std::string::npos);
  q.activation->groups = 0;
  CHECK(ValidateQuantAnnotation(q, "n").message().find("activation groups must be in [1, 64], got 0") !=
        std::string::npos);
}

TEST_CASE("QLinear rejections name the op and the rule") {
  {
    QLinearCase c(511);
    const std::string e = c.Error(QLinearAttrs(200, 6));
    CHECK(e.find("node 'fc' (QLinear)") == 0);
    CHECK(e.find("input 1 'weight' (u8[511]) must be u8[512], the t2_r4k128 packed size of [6, 200]") !=
          std::string::npos);
  }
  {
    QLinearCase c(512, 5);
    CHECK(c.Error(QLinearAttrs(200, 6)).find("input 2 'w_scale' (f32[5]) must have shape [1] or [6]") !=
          std::string::npos);
  }
  {
    QLinearCase c;
    CHECK(c.Error(QLinearAttrs(100, 6)).find("last dimension must equal in_features 100") != std::string::npos);
    Attributes bad_format = QLinearAttrs(200, 6);
    bad_format.Set(AttrName::kWeightFormat, int64_t{7});
    CHECK(c.Error(bad_format).find("attribute 'weight_format' = 7 is not one of") != std::string::npos);
    Attributes bad_epilogue = QLinearAttrs(200, 6);
    bad_epilogue.Set(AttrName::kEpilogue, int64_t{3});
    CHECK(c.Error(bad_epilogue).find("attribute 'epilogue' = 3") != std::string::npos);
    Attributes static_no_amax = QLinearAttrs(200, 6);
    static_no_amax.Set(AttrName::kActGranularity, int64_t{3});
    CHECK(c.Error(static_no_amax).find("'act_amax' must be finite and > 0") != std::string::npos);
    Attributes amax_dynamic = QLinearAttrs(200, 6);
    amax_dynamic.Set(AttrName::kActAmax, 2.0);
    CHECK(c.Error(amax_dynamic).find("only used with act_granularity static") != std::string::npos);
    Attributes negative_clip = QLinearAttrs(200, 6);
    negative_clip.Set(AttrName::kActClip, -1.0);
    CHECK(c.Error(negative_clip).find("'act_clip' must be 0 (none) or finite and > 0") != std::string::npos);
    Attributes missing;
    missing.Set(AttrName::kInFeatures, int64_t{200});
    CHECK(c.Error(missing).find("required attribute 'weight_format' is missing") != std::string::npos);
    const ValueId f32_weight = AddWeight(c.b, "w32", {512}, 9);
    CHECK(c.Error(QLinearAttrs(200, 6), {c.x, f32_weight, c.scale}).find("input 1 'weight' (f32[512]) must be u8") !=
          std::string::npos);
  }
}

TEST_CASE("QLinear: a static-scale node builds; a computed weight fails verification") {
  QLinearCase c;
  Attributes attrs = QLinearAttrs(200, 6);
  attrs.Set(AttrName::kActGranularity, int64_t{3});
  attrs.Set(AttrName::kActAmax, 4.5);
  attrs.Set(AttrName::kActClip, 2.5);
  attrs.Set(AttrName::kEpilogue, int64_t{1});
  CHECK(c.b.AddOp(OpType::kQLinear, "static_fc", {c.x, c.weight, c.scale, c.bias}, attrs).ok());

  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {2, 200}));
  const ValueId w = Must(b.AddInput("w", DType::kU8, {512}));
  const ValueId scale = AddWeight(b, "s", {1}, 1);
  const ValueId y = Must(b.AddOp(OpType::kQLinear, "fc", {x, w, scale}, QLinearAttrs(200, 6)));
  REQUIRE(b.MarkOutput(y, "y").ok());
  auto built = std::move(b).Build();
  REQUIRE_FALSE(built.ok());
  CHECK(built.status().message().find("node 'fc' (QLinear): input 1 'weight'") == 0);
  CHECK(built.status().message().find("must be a constant") != std::string::npos);
}

TEST_CASE("QEmbedding: table dtypes, row-wise scale, output shape") {
  for (DType dtype : {DType::kT2, DType::kI4, DType::kI8}) {
    GraphBuilder b;
    const ValueId ids = Must(b.AddInput("ids", DType::kI64, {"batch", "sequence"}));
    const size_t bytes = static_cast<size_t>((10 * 7 * DTypeBits(dtype) + 7) / 8);
    const ValueId table = AddBytes(b, "table", dtype, {10, 7}, bytes);
    const ValueId scale = AddWeight(b, "scale", {10}, 2);
    const ValueId y = Must(b.AddOp(OpType::kQEmbedding, "emb", {ids, table, scale}));
    CHECK(b.graph().value(y).shape == Shape{Dim("batch"), Dim("sequence"), Dim(7)});
    REQUIRE(b.MarkOutput(y, "y").ok());
    CHECK(std::move(b).Build().ok());
  }
  GraphBuilder b;
  const ValueId ids = Must(b.AddInput("ids", DType::kI32, {4}));
  const ValueId table = AddBytes(b, "table", DType::kT2, {10, 7}, 18);
  const ValueId f32_table = AddWeight(b, "f32_table", {10, 7}, 1);
  const ValueId scale = AddWeight(b, "scale", {10}, 2);
  const ValueId bad_scale = AddWeight(b, "bad_scale", {1}, 3);
  auto e1 = b.AddOp(OpType::kQEmbedding, "emb", {ids, f32_table, scale});
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.status().message() ==
        "node 'emb' (QEmbedding): input 1 'table' (f32[10, 7]) must be t2 or i4 or i8");
  auto e2 = b.AddOp(OpType::kQEmbedding, "emb", {ids, table, bad_scale});
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.status().message() == "node 'emb' (QEmbedding): input 2 'scale' (f32[1]) must have shape [10]");
}

TEST_CASE("QAttention: Attention's rules plus act_clip") {
  GraphBuilder b;
  const ValueId q = Must(b.AddInput("q", DType::kF32, {2, "s", 8}));
  const ValueId mask = Must(b.AddInput("mask", DType::kI64, {2, "s"}));
  Attributes attrs{{AttrName::kNumHeads, int64_t{2}}, {AttrName::kScale, 0.5}};
  const ValueId y = Must(b.AddOp(OpType::kQAttention, "att", {q, q, q, mask}, attrs));
  CHECK(b.graph().value(y).shape == Shape{Dim(2), Dim("s"), Dim(8)});
  const Node& node = b.graph().node(b.graph().value(y).producer);
  CHECK(Must(node.attributes.GetFloat(AttrName::kActClip, "n")) == 0.0);
  CHECK(Must(node.attributes.GetFloat(AttrName::kMaskFill, "n")) == -10000.0);
  attrs.Set(AttrName::kActClip, -2.0);
  auto bad = b.AddOp(OpType::kQAttention, "att2", {q, q, q}, attrs);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "node 'att2' (QAttention): attribute 'act_clip' must be 0 (none) or finite and > 0");
  attrs.Set(AttrName::kActClip, 2.5);
  attrs.Set(AttrName::kNumHeads, int64_t{3});
  auto bad_heads = b.AddOp(OpType::kQAttention, "att3", {q, q, q}, attrs);
  REQUIRE_FALSE(bad_heads.ok());
  CHECK(bad_heads.status().message().find("not divisible by num_heads 3") != std::string::npos);
}

TEST_CASE("QAttentionQkv: qkv [B, S, 3H] -> [B, S, H] with QAttention's attributes; bad widths name the node") {
  GraphBuilder b;
  const ValueId qkv = Must(b.AddInput("qkv", DType::kF32, {2, "s", 24}));
  const ValueId mask = Must(b.AddInput("mask", DType::kI64, {2, "s"}));
  Attributes attrs{{AttrName::kNumHeads, int64_t{2}}, {AttrName::kScale, 0.5}};
  const ValueId y = Must(b.AddOp(OpType::kQAttentionQkv, "att", {qkv, mask}, attrs));
  CHECK(b.graph().value(y).shape == Shape{Dim(2), Dim("s"), Dim(8)});
  const Node& node = b.graph().node(b.graph().value(y).producer);
  CHECK(Must(node.attributes.GetFloat(AttrName::kActClip, "n")) == 0.0);
  CHECK(Must(node.attributes.GetFloat(AttrName::kMaskFill, "n")) == -10000.0);
  CHECK(Must(b.AddOp(OpType::kQAttentionQkv, "no_mask", {qkv}, attrs)) != y);

  const ValueId odd = Must(b.AddInput("odd", DType::kF32, {2, "s", 25}));
  auto bad_width = b.AddOp(OpType::kQAttentionQkv, "att_odd", {odd}, attrs);
  REQUIRE_FALSE(bad_width.ok());
  CHECK(bad_width.status().message() ==
        "node 'att_odd' (QAttentionQkv): input 0 'qkv' (f32[2, s, 25]) last dimension must be a static positive "
        "multiple of 3 (q, k and v side by side)");
  const ValueId symbolic = Must(b.AddInput("sym", DType::kF32, {2, "s", "h"}));
  CHECK_FALSE(b.AddOp(OpType::kQAttentionQkv, "att_sym", {symbolic}, attrs).ok());
  attrs.Set(AttrName::kNumHeads, int64_t{3});  // H = 8
  auto bad_heads = b.AddOp(OpType::kQAttentionQkv, "att_heads", {qkv}, attrs);
  REQUIRE_FALSE(bad_heads.ok());
  CHECK(bad_heads.status().message() ==
        "node 'att_heads' (QAttentionQkv): hidden size 8 is not divisible by num_heads 3");
  attrs.Set(AttrName::kNumHeads, int64_t{2});
  const ValueId short_mask = Must(b.AddInput("short_mask", DType::kI64, {2, 3}));
  CHECK_FALSE(b.AddOp(OpType::kQAttentionQkv, "att_mask", {qkv, short_mask}, attrs).ok());
  attrs.Set(AttrName::kActClip, -1.0);
  CHECK_FALSE(b.AddOp(OpType::kQAttentionQkv, "att_clip", {qkv}, attrs).ok());
}
