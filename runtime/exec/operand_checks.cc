#include "exec/operand_checks.h"

namespace qc::exec {

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Status CheckAttentionShapes(const PlannedOp& op, const RtTensor& q, const RtTensor& k, const RtTensor& v,
                            const RtTensor* mask) {
  if (k.dims != q.dims || v.dims != q.dims) {
    return InvalidArgument(op.description + ": q, k and v must have one shape; got " + DimsText(q.dims) + ", " +
                           DimsText(k.dims) + ", " + DimsText(v.dims));
  }
  if (mask != nullptr && (mask->dims.size() != 2 || mask->dims[0] != q.dims[0] || mask->dims[1] != q.dims[1])) {
    return InvalidArgument(op.description + ": attention mask " + DimsText(mask->dims) +
                           " does not match [batch, sequence] of " + DimsText(q.dims));
  }
  return Status::Ok();
}

Expected<std::vector<int64_t>> FusedQkvDims(const PlannedOp& op, const RtTensor& qkv, const RtTensor* mask) {
  if (!qkv.is_float() || qkv.dims.size() != 3 || qkv.dims[2] % 3 != 0) {
    return InvalidArgument(op.description + ": qkv must be float [batch, sequence, 3·hidden], got " +
                           DimsText(qkv.dims));
  }
  std::vector<int64_t> dims = {qkv.dims[0], qkv.dims[1], qkv.dims[2] / 3};
  if (mask != nullptr && (mask->dims.size() != 2 || mask->dims[0] != dims[0] || mask->dims[1] != dims[1])) {
    return InvalidArgument(op.description + ": attention mask " + DimsText(mask->dims) +
                           " does not match [batch, sequence] of " + DimsText(qkv.dims));
  }
  return dims;
}

}  // namespace qc::exec
