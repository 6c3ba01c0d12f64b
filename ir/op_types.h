// ir/op_types.h: the IR's operation enum, its names and arities, generated from ir/op_types.inc.
//
// Overview
//   One X-macro list (ir/op_types.inc) defines every op once: enum value, printed name, input arity range and output
//   count. Input names, attributes and shape rules are in ir/op_schema.h and ir/shape_inference.h; the semantics are
//   in docs/ir.md. Names are matched exactly (case-sensitive), so a typo is an error, never a silent no-match.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::ir::OpType op, qc::ir::ParseOpType("LayerNorm"));
//   qc::ir::OpArity arity = qc::ir::GetOpArity(op);       // {3, 3, 1}
//   std::string_view name = qc::ir::OpTypeName(op);       // "LayerNorm"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qcompress/status.h"

namespace qc::ir {

enum class OpType : uint16_t {
#define QC_IR_OP(name, text, min_inputs, max_inputs, num_outputs) name,
#include "ir/op_types.inc"
#undef QC_IR_OP
};

/// Number of OpType values; they are 0..kNumOpTypes-1.
inline constexpr size_t kNumOpTypes = 0
#define QC_IR_OP(name, text, min_inputs, max_inputs, num_outputs) +1
#include "ir/op_types.inc"
#undef QC_IR_OP
    ;

/// How many inputs an op takes (inputs at index >= min_inputs are optional) and how many outputs it produces.
struct OpArity {
  int min_inputs;
  int max_inputs;
  int num_outputs;
};

/// The printed name, e.g. "AddPositionEmbedding"; "invalid" for a value outside the enum.
std::string_view OpTypeName(OpType op);

/// Inverse of OpTypeName; the error quotes the text.
Expected<OpType> ParseOpType(std::string_view text);

/// Arity from ir/op_types.inc; {0, 0, 0} for a value outside the enum.
OpArity GetOpArity(OpType op);

/// True if `op` is a value of the enum (guards against casts from corrupt integers).
bool IsValidOpType(OpType op);

}  // namespace qc::ir
