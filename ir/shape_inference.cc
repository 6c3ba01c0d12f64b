#include "ir/shape_inference.h"

#include <cmath>
#include <initializer_list>
#include <limits>

#include "ir/op_schema.h"
#include "ir/quant.h"

namespace qc::ir {
namespace {

using InputTypes = std::vector<std::optional<ValueType>>;
using Outputs = std::vector<ValueType>;

// A symbol or number as an operand of a derived symbol; compound symbols are parenthesised so the text is unambiguous.
std::string Operand(const Dim& dim) {
  if (dim.is_static()) return std::to_string(dim.size());
  if (dim.symbol().find_first_of("+-*/") == std::string::npos) return dim.symbol();
  return "(" + dim.symbol() + ")";
}

// The rule for one node: input access and checks whose errors name the node and the input.
class Rule {
 public:
  Rule(OpType op, const InputTypes& inputs, const Attributes& attributes, std::string_view owner)
      : op_(op), inputs_(inputs), attributes_(attributes), owner_(owner) {}

  Status Fail(const std::string& message) const { return InvalidArgument(std::string(owner_) + ": " + message); }

  bool Has(size_t i) const { return i < inputs_.size() && inputs_[i].has_value(); }
  const ValueType& In(size_t i) const { return *inputs_[i]; }
  const Shape& ShapeOf(size_t i) const { return inputs_[i]->shape; }
  size_t RankOf(size_t i) const { return inputs_[i]->shape.size(); }
  /// "input 1 'weight' (f32[64, 32])".
  std::string Describe(size_t i) const { return InputLabel(op_, i) + " (" + ToString(In(i)) + ")"; }

  Status ExpectDType(size_t i, std::initializer_list<DType> allowed) const {
    std::string names;
    for (DType dtype : allowed) {
      if (In(i).dtype == dtype) return Status::Ok();
      names += names.empty() ? "" : " or ";
      names += DTypeName(dtype);
    }
    return Fail(Describe(i) + " must be " + names);
  }
  Status ExpectRank(size_t i, size_t rank) const {
    if (RankOf(i) == rank) return Status::Ok();
    return Fail(Describe(i) + " must have rank " + std::to_string(rank));
  }
  Status ExpectMinRank(size_t i, size_t rank) const {
    if (RankOf(i) >= rank) return Status::Ok();
    return Fail(Describe(i) + " must have rank >= " + std::to_string(rank));
  }
  /// Dimension `axis_i` of input i equals dimension `axis_j` of input j.
  Status ExpectSameDim(size_t i, size_t axis_i, size_t j, size_t axis_j) const {
    if (ShapeOf(i)[axis_i] == ShapeOf(j)[axis_j]) return Status::Ok();
    return Fail(Describe(i) + " dimension " + std::to_string(axis_i) + " must equal " + Describe(j) + " dimension " +
                std::to_string(axis_j));
  }
  Status ExpectShape(size_t i, const Shape& shape) const {
    if (ShapeOf(i) == shape) return Status::Ok();
    return Fail(Describe(i) + " must have shape " + ToString(shape));
  }

  Expected<int64_t> Int(AttrName name) const { return attributes_.GetInt(name, owner_); }
  Expected<double> Float(AttrName name) const { return attributes_.GetFloat(name, owner_); }
  /// An axis attribute normalised to [0, rank); negative values count from the end.
  Expected<size_t> Axis(AttrName name, size_t rank) const {
    QC_ASSIGN_OR_RETURN(int64_t axis, Int(name));
    const auto signed_rank = static_cast<int64_t>(rank);
    if (axis < -signed_rank || axis >= signed_rank) {
      return Fail("attribute '" + std::string(AttrNameText(name)) + "' = " + std::to_string(axis) +
                  " is out of range for rank " + std::to_string(rank));
    }
    return static_cast<size_t>(axis < 0 ? axis + signed_rank : axis);
  }
  Status ExpectPositive(AttrName name, double value) const {
    if (std::isfinite(value) && value > 0) return Status::Ok();
    return Fail("attribute '" + std::string(AttrNameText(name)) + "' must be finite and > 0");
  }

  Expected<Dim> AddConstant(const Dim& dim, int64_t k) const {
    if (!dim.is_static()) return Dim(Operand(dim) + "+" + std::to_string(k));
    if (dim.size() > std::numeric_limits<int64_t>::max() - k) return Fail("dimension overflows int64");
    return Dim(dim.size() + k);
  }
  Expected<Dim> Multiply(const Dim& a, const Dim& b) const {
    if (a.is_static() && b.is_static()) {
      if (b.size() != 0 && a.size() > std::numeric_limits<int64_t>::max() / b.size()) {
        return Fail("dimension product overflows int64");
      }
      return Dim(a.size() * b.size());
    }
    if (a == Dim(1)) return b;
    if (b == Dim(1)) return a;
    return Dim(Operand(a) + "*" + Operand(b));
  }

 private:
  OpType op_;
  const InputTypes& inputs_;
  const Attributes& attributes_;
  std::string_view owner_;
};

Outputs One(DType dtype, Shape shape) {
  return Outputs{ValueType{dtype, std::move(shape)}};
}

Expected<Outputs> InferEmbedding(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kI64, DType::kI32}));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(1, 2));
  Shape out = r.ShapeOf(0);
  out.push_back(r.ShapeOf(1)[1]);
  return One(DType::kF32, std::move(out));
}

Expected<Outputs> InferAddPositionEmbedding(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 3));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(1, 2));
  QC_RETURN_IF_ERROR(r.ExpectSameDim(1, 1, 0, 2));
  QC_ASSIGN_OR_RETURN(int64_t offset, r.Int(AttrName::kOffset));
  if (offset < 0) return r.Fail("attribute 'offset' must be >= 0, got " + std::to_string(offset));
  const Dim& sequence = r.ShapeOf(0)[1];
  const Dim& positions = r.ShapeOf(1)[0];
  // With a symbolic sequence length the bound is checked at run time.
  if (sequence.is_static() && positions.is_static() && offset + sequence.size() > positions.size()) {
    return r.Fail("offset " + std::to_string(offset) + " + sequence length " + std::to_string(sequence.size()) +
                  " exceeds the " + std::to_string(positions.size()) + " rows of " + r.Describe(1));
  }
  return One(DType::kF32, r.ShapeOf(0));
}

Expected<Outputs> InferElementwise(const Rule& r, std::string_view owner) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32, DType::kI64, DType::kI32}));
  if (r.In(1).dtype != r.In(0).dtype) return r.Fail(r.Describe(1) + " must have the dtype of " + r.Describe(0));
  QC_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(r.ShapeOf(0), r.ShapeOf(1), owner));
  return One(r.In(0).dtype, std::move(out));
}

Expected<Outputs> InferLayerNorm(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectMinRank(0, 1));
  QC_ASSIGN_OR_RETURN(size_t axis, r.Axis(AttrName::kAxis, r.RankOf(0)));
  QC_ASSIGN_OR_RETURN(double epsilon, r.Float(AttrName::kEpsilon));
  QC_RETURN_IF_ERROR(r.ExpectPositive(AttrName::kEpsilon, epsilon));
  const Shape normalized(r.ShapeOf(0).begin() + static_cast<std::ptrdiff_t>(axis), r.ShapeOf(0).end());
  for (size_t i : {1, 2}) {
    QC_RETURN_IF_ERROR(r.ExpectDType(i, {DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(i, normalized));
  }
  return One(DType::kF32, r.ShapeOf(0));
}

Expected<Outputs> InferLinear(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectMinRank(0, 1));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(1, 2));
  QC_RETURN_IF_ERROR(r.ExpectSameDim(1, 1, 0, r.RankOf(0) - 1));
  const Dim& out_features = r.ShapeOf(1)[0];
  if (r.Has(2)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(2, {DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(2, Shape{out_features}));
  }
  Shape out = r.ShapeOf(0);
  out.back() = out_features;
  return One(DType::kF32, std::move(out));
}

Expected<Outputs> InferUnaryFloat(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  return One(DType::kF32, r.ShapeOf(0));
}

Expected<Outputs> InferGelu(const Rule& r, std::string_view owner, const Attributes& attributes) {
  // Read it to validate the stored enum value.
  QC_RETURN_IF_ERROR(attributes.GetGeluApproximation(AttrName::kApproximate, owner).status());
  return InferUnaryFloat(r);
}

Expected<Outputs> InferSoftmax(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectMinRank(0, 1));
  QC_RETURN_IF_ERROR(r.Axis(AttrName::kAxis, r.RankOf(0)).status());
  return One(DType::kF32, r.ShapeOf(0));
}

// num_heads, scale and mask_fill of the attention ops, for a hidden size of `hidden`.
Status CheckAttentionAttributes(const Rule& r, const Dim& hidden) {
  QC_ASSIGN_OR_RETURN(int64_t heads, r.Int(AttrName::kNumHeads));
  if (heads <= 0) return r.Fail("attribute 'num_heads' must be > 0, got " + std::to_string(heads));
  if (hidden.is_static() && hidden.size() % heads != 0) {
    return r.Fail("hidden size " + std::to_string(hidden.size()) + " is not divisible by num_heads " +
                  std::to_string(heads));
  }
  QC_ASSIGN_OR_RETURN(double scale, r.Float(AttrName::kScale));
  QC_RETURN_IF_ERROR(r.ExpectPositive(AttrName::kScale, scale));
  QC_ASSIGN_OR_RETURN(double mask_fill, r.Float(AttrName::kMaskFill));
  // -inf would turn a fully masked row into NaN; exports use -10000 or the most negative finite float.
  if (!std::isfinite(mask_fill)) return r.Fail("attribute 'mask_fill' must be finite");
  return Status::Ok();
}

Expected<Outputs> InferAttention(const Rule& r) {
  for (size_t i : {0, 1, 2}) {
    QC_RETURN_IF_ERROR(r.ExpectDType(i, {DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectRank(i, 3));
  }
  QC_RETURN_IF_ERROR(r.ExpectSameDim(1, 0, 0, 0));  // batch
  QC_RETURN_IF_ERROR(r.ExpectSameDim(2, 0, 0, 0));
  QC_RETURN_IF_ERROR(r.ExpectSameDim(2, 1, 1, 1));  // keys and values share a sequence
  QC_RETURN_IF_ERROR(r.ExpectSameDim(1, 2, 0, 2));  // hidden
  QC_RETURN_IF_ERROR(r.ExpectSameDim(2, 2, 0, 2));
  QC_RETURN_IF_ERROR(CheckAttentionAttributes(r, r.ShapeOf(0)[2]));
  if (r.Has(3)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(3, {DType::kI64, DType::kI32, DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectRank(3, 2));
    QC_RETURN_IF_ERROR(r.ExpectSameDim(3, 0, 0, 0));
    QC_RETURN_IF_ERROR(r.ExpectSameDim(3, 1, 1, 1));
  }
  return One(DType::kF32, r.ShapeOf(0));
}

Expected<Outputs> InferSelectToken(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 3));
  QC_ASSIGN_OR_RETURN(int64_t index, r.Int(AttrName::kIndex));
  const Dim& sequence = r.ShapeOf(0)[1];
  if (index < 0 || (sequence.is_static() && index >= sequence.size())) {
    return r.Fail("attribute 'index' = " + std::to_string(index) + " is out of range for " + r.Describe(0));
  }
  return One(DType::kF32, Shape{r.ShapeOf(0)[0], r.ShapeOf(0)[2]});
}

Expected<Outputs> InferMeanPool(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 3));
  if (r.Has(1)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kI64, DType::kI32, DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(1, Shape{r.ShapeOf(0)[0], r.ShapeOf(0)[1]}));
  }
  return One(DType::kF32, Shape{r.ShapeOf(0)[0], r.ShapeOf(0)[2]});
}

Expected<Outputs> InferL2Normalize(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectMinRank(0, 1));
  QC_RETURN_IF_ERROR(r.Axis(AttrName::kAxis, r.RankOf(0)).status());
  QC_ASSIGN_OR_RETURN(double epsilon, r.Float(AttrName::kEpsilon));
  QC_RETURN_IF_ERROR(r.ExpectPositive(AttrName::kEpsilon, epsilon));
  return One(DType::kF32, r.ShapeOf(0));
}

Expected<Outputs> InferPatchEmbed(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 4));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(1, 4));
  QC_ASSIGN_OR_RETURN(int64_t patch, r.Int(AttrName::kPatch));
  if (patch <= 0) return r.Fail("attribute 'patch' must be > 0, got " + std::to_string(patch));
  const Shape& pixels = r.ShapeOf(0);
  const Shape& weight = r.ShapeOf(1);
  QC_RETURN_IF_ERROR(r.ExpectShape(1, Shape{weight[0], pixels[1], patch, patch}));
  if (r.Has(2)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(2, {DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(2, Shape{weight[0]}));
  }
  Dim grid[2] = {Dim(0), Dim(0)};
  for (size_t axis : {2, 3}) {
    const Dim& extent = pixels[axis];
    if (!extent.is_static()) {
      grid[axis - 2] = Dim(Operand(extent) + "/" + std::to_string(patch));
    } else if (extent.size() % patch != 0) {
      return r.Fail(r.Describe(0) + " dimension " + std::to_string(axis) + " is not divisible by patch " +
                    std::to_string(patch));
    } else {
      grid[axis - 2] = Dim(extent.size() / patch);
    }
  }
  QC_ASSIGN_OR_RETURN(Dim patches, r.Multiply(grid[0], grid[1]));
  return One(DType::kF32, Shape{pixels[0], patches, weight[0]});
}

Expected<Outputs> InferPrependToken(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 3));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectShape(1, Shape{1, 1, r.ShapeOf(0)[2]}));
  QC_ASSIGN_OR_RETURN(Dim tokens, r.AddConstant(r.ShapeOf(0)[1], 1));
  return One(DType::kF32, Shape{r.ShapeOf(0)[0], tokens, r.ShapeOf(0)[2]});
}

// act_clip: 0 = none, else finite and > 0.
Status CheckActClip(const Rule& r) {
  QC_ASSIGN_OR_RETURN(double clip, r.Float(AttrName::kActClip));
  if (clip == 0 || (std::isfinite(clip) && clip > 0)) return Status::Ok();
  return r.Fail("attribute 'act_clip' must be 0 (none) or finite and > 0");
}

Expected<Outputs> InferQLinear(const Rule& r, std::string_view owner) {
  QC_ASSIGN_OR_RETURN(int64_t format_value, r.Int(AttrName::kWeightFormat));
  QC_ASSIGN_OR_RETURN(QWeightFormat format, QWeightFormatFromInt(format_value, owner));
  QC_ASSIGN_OR_RETURN(int64_t granularity_value, r.Int(AttrName::kActGranularity));
  QC_ASSIGN_OR_RETURN(QActGranularity granularity, QActGranularityFromInt(granularity_value, owner));
  QC_ASSIGN_OR_RETURN(int64_t epilogue_value, r.Int(AttrName::kEpilogue));
  QC_RETURN_IF_ERROR(QEpilogueFromInt(epilogue_value, owner).status());
  QC_RETURN_IF_ERROR(CheckActClip(r));
  QC_ASSIGN_OR_RETURN(double amax, r.Float(AttrName::kActAmax));
  if (granularity == QActGranularity::kStatic) {
    QC_RETURN_IF_ERROR(r.ExpectPositive(AttrName::kActAmax, amax));
  } else if (amax != 0) {
    return r.Fail("attribute 'act_amax' is only used with act_granularity static and must be 0 otherwise");
  }
  QC_ASSIGN_OR_RETURN(int64_t k, r.Int(AttrName::kInFeatures));
  QC_ASSIGN_OR_RETURN(int64_t n, r.Int(AttrName::kOutFeatures));
  QC_ASSIGN_OR_RETURN(int64_t groups, r.Int(AttrName::kActGroups));
  if (groups > 1 && granularity == QActGranularity::kStatic) {
    return r.Fail("attribute 'act_groups' needs a dynamic act_granularity (static has one act_amax)");
  }
  QC_ASSIGN_OR_RETURN(int64_t bytes, QWeightPackedBytes(format, n, k, groups, owner));
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectMinRank(0, 1));
  if (r.ShapeOf(0).back() != Dim(k)) {
    return r.Fail(r.Describe(0) + " last dimension must equal in_features " + std::to_string(k));
  }
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kU8}));
  if (r.ShapeOf(1) != Shape{Dim(bytes)}) {
    return r.Fail(r.Describe(1) + " must be u8[" + std::to_string(bytes) + "], the " +
                  std::string(QWeightFormatName(format)) + " packed size of [" + std::to_string(n) + ", " +
                  std::to_string(k) + "]");
  }
  QC_RETURN_IF_ERROR(r.ExpectDType(2, {DType::kF32}));
  if (r.ShapeOf(2) != Shape{Dim(1)} && r.ShapeOf(2) != Shape{Dim(n)}) {
    return r.Fail(r.Describe(2) + " must have shape [1] or [" + std::to_string(n) + "]");
  }
  if (r.Has(3)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(3, {DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(3, Shape{Dim(n)}));
  }
  Shape out = r.ShapeOf(0);
  out.back() = Dim(n);
  return One(DType::kF32, std::move(out));
}

Expected<Outputs> InferQEmbedding(const Rule& r) {
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kI64, DType::kI32}));
  QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kT2, DType::kI4, DType::kI8}));
  QC_RETURN_IF_ERROR(r.ExpectRank(1, 2));
  QC_RETURN_IF_ERROR(r.ExpectDType(2, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectShape(2, Shape{r.ShapeOf(1)[0]}));
  Shape out = r.ShapeOf(0);
  out.push_back(r.ShapeOf(1)[1]);
  return One(DType::kF32, std::move(out));
}

Expected<Outputs> InferQAttention(const Rule& r) {
  QC_RETURN_IF_ERROR(CheckActClip(r));
  return InferAttention(r);
}

// qkv [B, S, 3H] holds q, k and v side by side; H is static because the fused projection's width is.
Expected<Outputs> InferQAttentionQkv(const Rule& r) {
  QC_RETURN_IF_ERROR(CheckActClip(r));
  QC_RETURN_IF_ERROR(r.ExpectDType(0, {DType::kF32}));
  QC_RETURN_IF_ERROR(r.ExpectRank(0, 3));
  const Dim& fused = r.ShapeOf(0)[2];
  if (!fused.is_static() || fused.size() == 0 || fused.size() % 3 != 0) {
    return r.Fail(r.Describe(0) + " last dimension must be a static positive multiple of 3 (q, k and v side by side)");
  }
  const Dim hidden(fused.size() / 3);
  QC_RETURN_IF_ERROR(CheckAttentionAttributes(r, hidden));
  const Dim& batch = r.ShapeOf(0)[0];
  const Dim& sequence = r.ShapeOf(0)[1];
  if (r.Has(1)) {
    QC_RETURN_IF_ERROR(r.ExpectDType(1, {DType::kI64, DType::kI32, DType::kF32}));
    QC_RETURN_IF_ERROR(r.ExpectShape(1, Shape{batch, sequence}));
  }
  return One(DType::kF32, Shape{batch, sequence, hidden});
}

Expected<Outputs> Dispatch(OpType op, const Rule& r, const Attributes& attributes, std::string_view owner) {
  switch (op) {  // no default: -Wswitch flags an op without a rule
    case OpType::kEmbedding:
      return InferEmbedding(r);
    case OpType::kAddPositionEmbedding:
      return InferAddPositionEmbedding(r);
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
      return InferElementwise(r, owner);
    case OpType::kLayerNorm:
      return InferLayerNorm(r);
    case OpType::kLinear:
      return InferLinear(r);
    case OpType::kGelu:
      return InferGelu(r, owner, attributes);
    case OpType::kTanh:
    case OpType::kRelu:
      return InferUnaryFloat(r);
    case OpType::kSoftmax:
      return InferSoftmax(r);
    case OpType::kAttention:
      return InferAttention(r);
    case OpType::kSelectToken:
      return InferSelectToken(r);
    case OpType::kMeanPool:
      return InferMeanPool(r);
    case OpType::kL2Normalize:
      return InferL2Normalize(r);
    case OpType::kPatchEmbed:
      return InferPatchEmbed(r);
    case OpType::kPrependToken:
      return InferPrependToken(r);
    case OpType::kQLinear:
      return InferQLinear(r, owner);
    case OpType::kQEmbedding:
      return InferQEmbedding(r);
    case OpType::kQAttention:
      return InferQAttention(r);
    case OpType::kQAttentionQkv:
      return InferQAttentionQkv(r);
  }
  return r.Fail("invalid op type value " + std::to_string(static_cast<int>(op)));
}

}  // namespace

std::string ToString(const ValueType& type) {
  return std::string(DTypeName(type.dtype)) + ToString(type.shape);
}

Expected<Shape> BroadcastShapes(const Shape& a, const Shape& b, std::string_view owner) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank, Dim(1));
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing leading dimension acts as 1.
    const Dim da = i < rank - a.size() ? Dim(1) : a[i - (rank - a.size())];
    const Dim db = i < rank - b.size() ? Dim(1) : b[i - (rank - b.size())];
    if (da == db || db == Dim(1)) {
      out[i] = da;
    } else if (da == Dim(1)) {
      out[i] = db;
    } else if (da.is_static() && db.is_static()) {
      return InvalidArgument(std::string(owner) + ": shapes " + ToString(a) + " and " + ToString(b) +
                             " do not broadcast (" + da.ToString() + " vs " + db.ToString() + ")");
    } else if (da.is_static() || db.is_static()) {
      out[i] = da.is_static() ? da : db;  // the symbol must be that size (or 1) at run time
    } else {
      return InvalidArgument(std::string(owner) + ": shapes " + ToString(a) + " and " + ToString(b) +
                             " broadcast different symbols '" + da.symbol() + "' and '" + db.symbol() + "'");
    }
  }
  return out;
}

Expected<std::vector<ValueType>> InferOutputTypes(OpType op, const std::vector<std::optional<ValueType>>& inputs,
                                                  const Attributes& attributes, std::string_view owner) {
  if (!IsValidOpType(op)) {
    return InvalidArgument(std::string(owner) + ": invalid op type value " + std::to_string(static_cast<int>(op)));
  }
  const OpArity arity = GetOpArity(op);
  const auto count = static_cast<int>(inputs.size());
  if (count < arity.min_inputs || count > arity.max_inputs) {
    return InvalidArgument(std::string(owner) + ": " + std::string(OpTypeName(op)) + " takes " +
                           std::to_string(arity.min_inputs) +
                           (arity.max_inputs != arity.min_inputs ? ".." + std::to_string(arity.max_inputs) : "") +
                           " inputs, got " + std::to_string(count));
  }
  for (size_t i = 0; i < static_cast<size_t>(arity.min_inputs); ++i) {
    if (!inputs[i]) return InvalidArgument(std::string(owner) + ": required " + InputLabel(op, i) + " is absent");
  }
  const Rule rule(op, inputs, attributes, owner);
  return Dispatch(op, rule, attributes, owner);
}

Expected<std::vector<ValueType>> InferNodeOutputTypes(const Graph& graph, NodeId node_id) {
  const Node& node = graph.node(node_id);
  std::vector<std::optional<ValueType>> inputs;
  inputs.reserve(node.inputs.size());
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const ValueId id = node.inputs[i];
    if (id == kNoValue) {
      inputs.emplace_back(std::nullopt);
    } else if (!graph.HasValue(id)) {
      return InvalidArgument(graph.DescribeNode(node_id) + ": " + InputLabel(node.op, i) + " refers to value id " +
                             std::to_string(id) + ", out of range");
    } else {
      const Value& value = graph.value(id);
      inputs.emplace_back(ValueType{value.dtype, value.shape});
    }
  }
  return InferOutputTypes(node.op, inputs, node.attributes, graph.DescribeNode(node_id));
}

}  // namespace qc::ir
