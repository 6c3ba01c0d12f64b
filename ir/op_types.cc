#include "ir/op_types.h"

#include <string>

namespace qc::ir {
namespace {

struct OpInfo {
  std::string_view name;
  OpArity arity;
};

constexpr OpInfo kOpInfo[] = {
#define QC_IR_OP(name, text, min_inputs, max_inputs, num_outputs) {text, {min_inputs, max_inputs, num_outputs}},
#include "ir/op_types.inc"
#undef QC_IR_OP
};
static_assert(sizeof(kOpInfo) / sizeof(kOpInfo[0]) == kNumOpTypes);

// The arity table is data; check its internal consistency at compile time.
constexpr bool AritiesAreConsistent() {
  for (const OpInfo& info : kOpInfo) {
    if (info.arity.min_inputs < 0 || info.arity.min_inputs > info.arity.max_inputs || info.arity.num_outputs < 1) {
      return false;
    }
  }
  return true;
}
static_assert(AritiesAreConsistent(), "ir/op_types.inc: need 0 <= min_inputs <= max_inputs and num_outputs >= 1");

}  // namespace

bool IsValidOpType(OpType op) {
  return static_cast<size_t>(op) < kNumOpTypes;
}

std::string_view OpTypeName(OpType op) {
  return IsValidOpType(op) ? kOpInfo[static_cast<size_t>(op)].name : std::string_view("invalid");
}

Expected<OpType> ParseOpType(std::string_view text) {
  for (size_t i = 0; i < kNumOpTypes; ++i) {
    if (kOpInfo[i].name == text) return static_cast<OpType>(i);
  }
  return InvalidArgument("unknown IR op type '" + std::string(text) + "'");
}

OpArity GetOpArity(OpType op) {
  return IsValidOpType(op) ? kOpInfo[static_cast<size_t>(op)].arity : OpArity{0, 0, 0};
}

}  // namespace qc::ir
