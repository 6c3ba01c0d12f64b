// The generated tables: op types, attribute keys, per-op schemas and quantization enums.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "ir/attributes.h"
#include "ir/op_schema.h"
#include "ir/op_types.h"
#include "ir/quant.h"

using namespace qc::ir;

TEST_CASE("every op name round-trips and is unique") {
  std::set<std::string> names;
  for (size_t i = 0; i < kNumOpTypes; ++i) {
    const auto op = static_cast<OpType>(i);
    const std::string name(OpTypeName(op));
    CHECK(names.insert(name).second);
    auto parsed = ParseOpType(name);
    REQUIRE(parsed.ok());
    CHECK(*parsed == op);
    // Schemas cover every op: one name per possible input.
    CHECK(GetOpSchema(op).input_names.size() == static_cast<size_t>(GetOpArity(op).max_inputs));
  }
  CHECK(names.count("AddPositionEmbedding") == 1);
  auto bad = ParseOpType("layernorm");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "unknown IR op type 'layernorm'");
  CHECK(OpTypeName(static_cast<OpType>(999)) == "invalid");
  CHECK_FALSE(IsValidOpType(static_cast<OpType>(kNumOpTypes)));
}

TEST_CASE("arities follow the op list") {
  const OpArity linear = GetOpArity(OpType::kLinear);
  CHECK(linear.min_inputs == 2);
  CHECK(linear.max_inputs == 3);
  CHECK(linear.num_outputs == 1);
  CHECK(GetOpArity(OpType::kAttention).min_inputs == 3);
  CHECK(GetOpArity(OpType::kAttention).max_inputs == 4);
  CHECK(GetOpArity(OpType::kLayerNorm).min_inputs == 3);
  CHECK(InputLabel(OpType::kEmbedding, 1) == "input 1 'table'");
  CHECK(InputLabel(OpType::kEmbedding, 5) == "input 5");
  CHECK(GetOpSchema(OpType::kLinear).weight_input == 1);
  CHECK(GetOpSchema(OpType::kSoftmax).weight_input == -1);
}

TEST_CASE("attribute keys round-trip with fixed kinds") {
  for (size_t i = 0; i < kNumAttrNames; ++i) {
    const auto name = static_cast<AttrName>(i);
    CHECK(*ParseAttrName(AttrNameText(name)) == name);
  }
  CHECK(GetAttrKind(AttrName::kAxis) == AttrKind::kInt);
  CHECK(GetAttrKind(AttrName::kEpsilon) == AttrKind::kFloat);
  CHECK(GetAttrKind(AttrName::kApproximate) == AttrKind::kGeluApproximation);
  CHECK_FALSE(ParseAttrName("eps").ok());
  CHECK(*ParseGeluApproximation("tanh") == GeluApproximation::kTanh);
  CHECK(GeluApproximationName(GeluApproximation::kNone) == "none");
  CHECK_FALSE(ParseGeluApproximation("fast").ok());
}

TEST_CASE("typed getters name the owner and the attribute") {
  Attributes attrs{{AttrName::kEpsilon, 1e-12}, {AttrName::kAxis, int64_t{-1}}};
  attrs.Set(AttrName::kApproximate, GeluApproximation::kTanh);
  CHECK(*attrs.GetFloat(AttrName::kEpsilon, "node 'ln'") == 1e-12);
  CHECK(*attrs.GetInt(AttrName::kAxis, "node 'ln'") == -1);
  CHECK(*attrs.GetGeluApproximation(AttrName::kApproximate, "node 'g'") == GeluApproximation::kTanh);

  auto missing = attrs.GetInt(AttrName::kNumHeads, "node 'attn' (Attention)");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == qc::StatusCode::kNotFound);
  CHECK(missing.status().message() == "node 'attn' (Attention): attribute 'num_heads' is missing");

  attrs.Set(AttrName::kAxis, 1.0);  // wrong kind stored
  auto wrong = attrs.GetInt(AttrName::kAxis, "node 'sm' (Softmax)");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() == "node 'sm' (Softmax): attribute 'axis' is float, expected int");
  CHECK_FALSE(attrs.GetFloat(AttrName::kAxis, "x").ok());  // reading an int key as float is a caller bug, reported

  attrs.Set(AttrName::kApproximate, int64_t{7});
  auto bad_enum = attrs.GetGeluApproximation(AttrName::kApproximate, "node 'g' (Gelu)");
  REQUIRE_FALSE(bad_enum.ok());
  CHECK(bad_enum.status().message() ==
        "node 'g' (Gelu): attribute 'approximate' holds 7, not a Gelu approximation (0 none, 1 tanh)");
}

TEST_CASE("attribute values print deterministically") {
  CHECK(AttrValueToString(AttrName::kEpsilon, 1e-12) == "1e-12");
  CHECK(AttrValueToString(AttrName::kMaskFill, -10000.0) == "-10000.0");
  CHECK(AttrValueToString(AttrName::kScale, 0.35355339059327373) == "0.35355339059327373");
  CHECK(AttrValueToString(AttrName::kAxis, int64_t{-1}) == "-1");
  CHECK(AttrValueToString(AttrName::kApproximate, int64_t{1}) == "tanh");
  CHECK(AttrValueToString(AttrName::kAxis, std::vector<int64_t>{1, 2}) == "[1, 2]");
  CHECK(AttrValueToString(AttrName::kScale, std::vector<double>{0.5, 2.0}) == "[0.5, 2.0]");
  CHECK(AttrValueToString(AttrName::kAxis, std::string("a\"b")) == "\"a\\\"b\"");
}

TEST_CASE("schemas: required attributes, unknown keys and defaults") {
  const std::string owner = "node 'ln' (LayerNorm)";
  auto filled = ApplyAttributeDefaults(OpType::kLayerNorm, {{AttrName::kEpsilon, 1e-5}}, owner);
  REQUIRE(filled.ok());
  CHECK(*filled->GetInt(AttrName::kAxis, owner) == -1);

  auto missing = ApplyAttributeDefaults(OpType::kLayerNorm, {}, owner);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "node 'ln' (LayerNorm): required attribute 'epsilon' is missing");

  auto unknown =
      ApplyAttributeDefaults(OpType::kLayerNorm, {{AttrName::kEpsilon, 1e-5}, {AttrName::kPatch, int64_t{4}}}, owner);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "node 'ln' (LayerNorm): LayerNorm takes no attribute 'patch'");

  auto wrong_kind = ApplyAttributeDefaults(OpType::kLayerNorm, {{AttrName::kEpsilon, int64_t{0}}}, owner);
  REQUIRE_FALSE(wrong_kind.ok());
  CHECK(wrong_kind.status().message() == "node 'ln' (LayerNorm): attribute 'epsilon' is int, expected float");

  // A canonical (built) node carries every attribute; the verifier checks that.
  CHECK(CheckAttributes(OpType::kLayerNorm, {{AttrName::kEpsilon, 1e-5}}, owner).ok());
  CHECK(CheckAttributes(OpType::kLayerNorm, {{AttrName::kEpsilon, 1e-5}}, owner, AttributePresence::kAll).message() ==
        "node 'ln' (LayerNorm): attribute 'axis' is missing (built nodes carry every attribute; the builder fills "
        "defaults)");

  auto gelu = ApplyAttributeDefaults(OpType::kGelu, {}, "g");
  REQUIRE(gelu.ok());
  CHECK(*gelu->GetGeluApproximation(AttrName::kApproximate, "g") == GeluApproximation::kNone);
  auto attention =
      ApplyAttributeDefaults(OpType::kAttention, {{AttrName::kNumHeads, int64_t{2}}, {AttrName::kScale, 0.125}}, "a");
  REQUIRE(attention.ok());
  CHECK(*attention->GetFloat(AttrName::kMaskFill, "a") == -10000.0);
}

TEST_CASE("quantization enums and validation") {
  CHECK(*ParseWeightBits("t2") == WeightBits::kTernary);
  CHECK(static_cast<int>(WeightBits::kTernary) == 2);
  CHECK(*ParseWeightGranularity("per_group") == WeightGranularity::kPerGroup);
  CHECK(*ParseActivationMode("dynamic_per_token") == ActivationMode::kDynamicPerToken);
  CHECK(*ParseActivationBits("i8") == ActivationBits::kInt8);
  CHECK(ParseWeightBits("2bit").status().message() == "unknown weight bits '2bit' (valid: t2, i4, i8, f32)");

  QuantAnnotation q;
  CHECK(ToString(q).empty());
  q.weight = WeightQuant{WeightBits::kTernary, WeightGranularity::kPerRow, 0};
  q.activation = ActivationQuant{ActivationBits::kInt8, ActivationMode::kDynamicPerToken, 2.5};
  CHECK(ValidateQuantAnnotation(q, "n").ok());
  CHECK(ToString(q) == "w=t2/per_row a=i8/dynamic_per_token/clip=2.5");

  QuantAnnotation grouped;
  grouped.weight = WeightQuant{WeightBits::kInt4, WeightGranularity::kPerGroup, 0};
  CHECK(ValidateQuantAnnotation(grouped, "node 'fc'").message() ==
        "node 'fc': quantization annotation: per_group weights need group_size > 0, got 0");
  grouped.weight->group_size = 32;
  CHECK(ValidateQuantAnnotation(grouped, "n").ok());
  CHECK(ToString(grouped) == "w=i4/per_group/group=32");
  grouped.weight->granularity = WeightGranularity::kPerRow;
  CHECK_FALSE(ValidateQuantAnnotation(grouped, "n").ok());  // group_size without per_group

  QuantAnnotation bad_clip;
  bad_clip.activation = ActivationQuant{ActivationBits::kInt8, ActivationMode::kStatic, -1.0};
  CHECK(ValidateQuantAnnotation(bad_clip, "n").message() ==
        "n: quantization annotation: activation clip must be finite and > 0, got -1.0");
  QuantAnnotation corrupt;
  corrupt.weight = WeightQuant{static_cast<WeightBits>(3), WeightGranularity::kPerTensor, 0};
  CHECK_FALSE(ValidateQuantAnnotation(corrupt, "n").ok());
}
