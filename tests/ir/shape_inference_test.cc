#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ir/op_schema.h"
#include "ir/shape_inference.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::Must;

namespace {

using Inputs = std::vector<std::optional<ValueType>>;

ValueType F32(Shape shape) {
  return ValueType{DType::kF32, std::move(shape)};
}
ValueType I64(Shape shape) {
  return ValueType{DType::kI64, std::move(shape)};
}

// Infers the single output of `op` the way the builder does (defaults first); the owner is "node 'n'".
qc::Expected<ValueType> Infer(OpType op, Inputs inputs, Attributes attributes = {}) {
  QC_ASSIGN_OR_RETURN(Attributes complete, ApplyAttributeDefaults(op, std::move(attributes), "node 'n'"));
  QC_ASSIGN_OR_RETURN(std::vector<ValueType> outputs, InferOutputTypes(op, inputs, complete, "node 'n'"));
  return outputs.at(0);
}

std::string Error(const qc::Expected<ValueType>& result) {
  REQUIRE_FALSE(result.ok());
  return result.status().message();
}

}  // namespace

TEST_CASE("embeddings propagate symbolic ids shapes") {
  CHECK(Must(Infer(OpType::kEmbedding, {I64({"batch", "sequence"}), F32({30, 16})})) == F32({"batch", "sequence", 16}));
  CHECK(Must(Infer(OpType::kEmbedding, {ValueType{DType::kI32, {5}}, F32({30, 16})})) == F32({5, 16}));
  CHECK(Error(Infer(OpType::kEmbedding, {F32({"batch"}), F32({30, 16})})) ==
        "node 'n': input 0 'ids' (f32[batch]) must be i64 or i32");
  CHECK(Error(Infer(OpType::kEmbedding, {I64({"batch"}), F32({30, 16, 2})})) ==
        "node 'n': input 1 'table' (f32[30, 16, 2]) must have rank 2");

  const ValueType x = F32({"batch", "sequence", 16});
  CHECK(Must(Infer(OpType::kAddPositionEmbedding, {x, F32({8, 16})})) == x);
  CHECK(Error(Infer(OpType::kAddPositionEmbedding, {x, F32({8, 12})})) ==
        "node 'n': input 1 'table' (f32[8, 12]) dimension 1 must equal input 0 'x' (f32[batch, sequence, 16]) "
        "dimension 2");
  // Static sequences are bounds-checked now; symbolic ones at run time.
  CHECK(
      Error(Infer(OpType::kAddPositionEmbedding, {F32({1, 7, 16}), F32({8, 16})}, {{AttrName::kOffset, int64_t{2}}})) ==
      "node 'n': offset 2 + sequence length 7 exceeds the 8 rows of input 1 'table' (f32[8, 16])");
  CHECK(Infer(OpType::kAddPositionEmbedding, {F32({1, 6, 16}), F32({8, 16})}, {{AttrName::kOffset, int64_t{2}}}).ok());
}

TEST_CASE("elementwise ops broadcast like numpy, with symbols") {
  CHECK(Must(Infer(OpType::kAdd, {F32({"batch", "sequence", 16}), F32({16})})) == F32({"batch", "sequence", 16}));
  CHECK(Must(Infer(OpType::kMul, {F32({"batch", 1, 16}), F32({"sequence", 1})})) == F32({"batch", "sequence", 16}));
  CHECK(Must(Infer(OpType::kSub, {F32({"batch", 4}), F32({3, 1, 4})})) == F32({3, "batch", 4}));
  // A symbol against a fixed size > 1 takes that size (it must be that size or 1 at run time).
  CHECK(Must(Infer(OpType::kAdd, {F32({"sequence"}), F32({8})})) == F32({8}));
  CHECK(Must(Infer(OpType::kAdd, {I64({2}), I64({2})})) == I64({2}));
  CHECK(Error(Infer(OpType::kAdd, {F32({2, 3}), F32({4, 3})})) ==
        "node 'n': shapes [2, 3] and [4, 3] do not broadcast (2 vs 4)");
  CHECK(Error(Infer(OpType::kAdd, {F32({"a"}), F32({"b"})})) ==
        "node 'n': shapes [a] and [b] broadcast different symbols 'a' and 'b'");
  CHECK(Error(Infer(OpType::kAdd, {F32({2}), I64({2})})) ==
        "node 'n': input 1 'b' (i64[2]) must have the dtype of input 0 'a' (f32[2])");
  CHECK(Error(Infer(OpType::kAdd, {ValueType{DType::kT2, {4}}, ValueType{DType::kT2, {4}}})) ==
        "node 'n': input 0 'a' (t2[4]) must be f32 or i64 or i32");
}

TEST_CASE("LayerNorm, Linear and activations") {
  const ValueType x = F32({"batch", "sequence", 16});
  const Attributes eps{{AttrName::kEpsilon, 1e-12}};
  CHECK(Must(Infer(OpType::kLayerNorm, {x, F32({16}), F32({16})}, eps)) == x);
  CHECK(Error(Infer(OpType::kLayerNorm, {x, F32({8}), F32({16})}, eps)) ==
        "node 'n': input 1 'gamma' (f32[8]) must have shape [16]");
  // axis = 1 normalises over [sequence, 16], so gamma must have that shape.
  CHECK(Infer(OpType::kLayerNorm, {x, F32({"sequence", 16}), F32({"sequence", 16})},
              {{AttrName::kEpsilon, 1e-5}, {AttrName::kAxis, int64_t{1}}})
            .ok());
  CHECK(Error(Infer(OpType::kLayerNorm, {x, F32({16}), F32({16})}, {{AttrName::kEpsilon, 0.0}})) ==
        "node 'n': attribute 'epsilon' must be finite and > 0");
  CHECK(Error(Infer(OpType::kLayerNorm, {x, F32({16}), F32({16})},
                    {{AttrName::kEpsilon, 1e-5}, {AttrName::kAxis, int64_t{3}}})) ==
        "node 'n': attribute 'axis' = 3 is out of range for rank 3");

  CHECK(Must(Infer(OpType::kLinear, {x, F32({32, 16}), F32({32})})) == F32({"batch", "sequence", 32}));
  CHECK(Must(Infer(OpType::kLinear, {F32({"batch", 16}), F32({2, 16})})) == F32({"batch", 2}));  // no bias
  CHECK(Must(Infer(OpType::kLinear, {F32({"batch", 16}), F32({2, 16}), std::nullopt})) == F32({"batch", 2}));
  CHECK(Error(Infer(OpType::kLinear, {x, F32({32, 12})})) ==
        "node 'n': input 1 'weight' (f32[32, 12]) dimension 1 must equal input 0 'x' (f32[batch, sequence, 16]) "
        "dimension 2");
  CHECK(Error(Infer(OpType::kLinear, {x, F32({32, 16}), F32({16})})) ==
        "node 'n': input 2 'bias' (f32[16]) must have shape [32]");
  CHECK(Error(Infer(OpType::kLinear, {x})) == "node 'n': Linear takes 2..3 inputs, got 1");
  CHECK(Error(Infer(OpType::kLinear, {x, std::nullopt})) == "node 'n': required input 1 'weight' is absent");

  CHECK(Must(Infer(OpType::kGelu, {x}, {{AttrName::kApproximate, int64_t{1}}})) == x);
  CHECK_FALSE(Infer(OpType::kGelu, {x}, {{AttrName::kApproximate, int64_t{5}}}).ok());
  CHECK(Must(Infer(OpType::kTanh, {x})) == x);
  CHECK(Must(Infer(OpType::kRelu, {x})) == x);
  CHECK(Must(Infer(OpType::kSoftmax, {x}, {{AttrName::kAxis, int64_t{-3}}})) == x);
  CHECK_FALSE(Infer(OpType::kSoftmax, {x}, {{AttrName::kAxis, int64_t{-4}}}).ok());
  CHECK(Error(Infer(OpType::kTanh, {I64({2})})) == "node 'n': input 0 'x' (i64[2]) must be f32");
}

TEST_CASE("Attention checks heads, batch, sequences and the mask") {
  const ValueType q = F32({"batch", "sequence", 16});
  const Attributes attrs{{AttrName::kNumHeads, int64_t{4}}, {AttrName::kScale, 0.5}};
  CHECK(Must(Infer(OpType::kAttention, {q, q, q}, attrs)) == q);
  CHECK(Must(Infer(OpType::kAttention, {q, q, q, I64({"batch", "sequence"})}, attrs)) == q);
  CHECK(Must(Infer(OpType::kAttention, {q, q, q, F32({"batch", "sequence"})}, attrs)) == q);
  // Cross attention: keys/values may have their own sequence; the mask follows the keys.
  const ValueType kv = F32({"batch", "memory", 16});
  CHECK(Must(Infer(OpType::kAttention, {q, kv, kv, I64({"batch", "memory"})}, attrs)) == q);
  CHECK(Error(Infer(OpType::kAttention, {q, kv, q}, attrs)) ==
        "node 'n': input 2 'v' (f32[batch, sequence, 16]) dimension 1 must equal input 1 'k' (f32[batch, memory, 16]) "
        "dimension 1");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q}, {{AttrName::kNumHeads, int64_t{3}}, {AttrName::kScale, 0.5}})) ==
        "node 'n': hidden size 16 is not divisible by num_heads 3");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q}, {{AttrName::kNumHeads, int64_t{0}}, {AttrName::kScale, 0.5}})) ==
        "node 'n': attribute 'num_heads' must be > 0, got 0");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q}, {{AttrName::kNumHeads, int64_t{4}}})) ==
        "node 'n': required attribute 'scale' is missing");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q, I64({"batch", 7})}, attrs)) ==
        "node 'n': input 3 'attention_mask' (i64[batch, 7]) dimension 1 must equal input 1 'k' "
        "(f32[batch, sequence, 16]) dimension 1");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q, ValueType{DType::kBool, {"batch", "sequence"}}}, attrs)) ==
        "node 'n': input 3 'attention_mask' (bool[batch, sequence]) must be i64 or i32 or f32");
  CHECK(Error(Infer(OpType::kAttention, {q, q, q},
                    {{AttrName::kNumHeads, int64_t{4}},
                     {AttrName::kScale, 0.5},
                     {AttrName::kMaskFill, -std::numeric_limits<double>::infinity()}})) ==
        "node 'n': attribute 'mask_fill' must be finite");
}

TEST_CASE("pooling heads") {
  const ValueType x = F32({"batch", "sequence", 16});
  CHECK(Must(Infer(OpType::kSelectToken, {x})) == F32({"batch", 16}));
  CHECK(Error(Infer(OpType::kSelectToken, {F32({2, 3, 16})}, {{AttrName::kIndex, int64_t{3}}})) ==
        "node 'n': attribute 'index' = 3 is out of range for input 0 'x' (f32[2, 3, 16])");
  CHECK(Must(Infer(OpType::kMeanPool, {x})) == F32({"batch", 16}));
  CHECK(Must(Infer(OpType::kMeanPool, {x, I64({"batch", "sequence"})})) == F32({"batch", 16}));
  CHECK(Error(Infer(OpType::kMeanPool, {x, I64({"sequence", "batch"})})) ==
        "node 'n': input 1 'mask' (i64[sequence, batch]) must have shape [batch, sequence]");
  CHECK(Must(Infer(OpType::kL2Normalize, {F32({"batch", 16})})) == F32({"batch", 16}));
  CHECK_FALSE(Infer(OpType::kL2Normalize, {F32({"batch", 16})}, {{AttrName::kEpsilon, -1.0}}).ok());
}

TEST_CASE("ViT front end: patches, CLS token, derived symbols") {
  const ValueType weight = F32({32, 3, 16, 16});
  const Attributes patch{{AttrName::kPatch, int64_t{16}}};
  CHECK(Must(Infer(OpType::kPatchEmbed, {F32({"batch", 3, 224, 224}), weight, F32({32})}, patch)) ==
        F32({"batch", 196, 32}));
  const ValueType symbolic = Must(Infer(OpType::kPatchEmbed, {F32({"batch", 3, "height", "width"}), weight}, patch));
  CHECK(ToString(symbolic) == "f32[batch, (height/16)*(width/16), 32]");
  CHECK(Error(Infer(OpType::kPatchEmbed, {F32({"batch", 3, 224, 200}), weight}, patch)) ==
        "node 'n': input 0 'pixels' (f32[batch, 3, 224, 200]) dimension 3 is not divisible by patch 16");
  CHECK(Error(Infer(OpType::kPatchEmbed, {F32({"batch", 1, 224, 224}), weight}, patch)) ==
        "node 'n': input 1 'weight' (f32[32, 3, 16, 16]) must have shape [32, 1, 16, 16]");
  CHECK(Error(Infer(OpType::kPatchEmbed, {F32({"batch", 3, 224, 224}), weight})) ==
        "node 'n': required attribute 'patch' is missing");

  const ValueType token = F32({1, 1, 32});
  CHECK(Must(Infer(OpType::kPrependToken, {F32({"batch", 196, 32}), token})) == F32({"batch", 197, 32}));
  CHECK(ToString(Must(Infer(OpType::kPrependToken, {symbolic, token}))) ==
        "f32[batch, ((height/16)*(width/16))+1, 32]");
  CHECK(Error(Infer(OpType::kPrependToken, {F32({"batch", 196, 32}), F32({1, 32})})) ==
        "node 'n': input 1 'token' (f32[1, 32]) must have shape [1, 1, 32]");
}

TEST_CASE("BroadcastShapes on its own") {
  CHECK(Must(BroadcastShapes({}, {3, 1}, "x")) == Shape{3, 1});
  CHECK(Must(BroadcastShapes({"s", 1}, {1, "t"}, "x")) == Shape{"s", "t"});
  CHECK(Must(BroadcastShapes({"s"}, {"s"}, "x")) == Shape{"s"});
}
