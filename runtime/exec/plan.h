// exec/plan.h: a verified .qm graph turned into an execution plan.
//
// The plan decodes each op's attributes once at load time into a plain struct, checks every op's arity, input
// dtypes and which inputs must be constants, and resolves constants to pointers into the mapping. Running the plan
// (exec/executor.h) then needs no lookups and no further validation beyond run-time shapes.
//
//   QC_ASSIGN_OR_RETURN(qc::exec::Plan plan, qc::exec::BuildPlan(file));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/qm_reader.h"
#include "qcompress/status.h"

namespace qc::exec {

/// Element types a plan computes with. Float activations throughout; integer ids and masks.
enum class ValueType : uint8_t { kF32, kI64, kI32 };

/// Every attribute an op of the current op set can carry, decoded once.
struct OpAttrs {
  double epsilon = 1e-12;
  int64_t axis = -1;
  int64_t num_heads = 0;
  double scale = 0.0;
  double mask_fill = 0.0;
  int64_t approximate = 0;  ///< Gelu: 0 = exact (erf), 1 = tanh
  int64_t index = 0;        ///< SelectToken
  int64_t offset = 0;       ///< AddPositionEmbedding
  int64_t patch = 0;        ///< PatchEmbed
};

/// A constant in the mapping: static dims, typed data.
struct ConstantRef {
  ValueType type = ValueType::kF32;
  std::vector<int64_t> dims;
  const void* data = nullptr;
};

struct PlannedOp {
  qm::OpType type = qm::OpType::Invalid;
  std::vector<int32_t> inputs;   ///< value indices, -1 = absent optional input
  std::vector<int32_t> outputs;  ///< value indices
  OpAttrs attrs;
  std::string description;       ///< "op 12 'name' (Attention v1)", for errors
};

struct Plan {
  uint32_t num_values = 0;
  std::vector<ValueType> value_types;        ///< by value index
  std::vector<bool> is_constant;             ///< by value index
  std::vector<ConstantRef> constants;        ///< by value index; meaningful where is_constant
  std::vector<PlannedOp> ops;                ///< topological order
  std::vector<uint32_t> inputs;              ///< graph inputs
  std::vector<uint32_t> outputs;             ///< graph outputs
  std::vector<std::string> value_names;      ///< by value index
  /// For each value, the index of the last op that reads it (or UINT32_MAX when only a graph output / unused);
  /// the executor frees intermediate buffers after their last use.
  std::vector<uint32_t> last_use;
};

/// Builds and validates the plan; errors name the op (source name and type) and the offending input or attribute.
Expected<Plan> BuildPlan(const qm::QmFile& file);

}  // namespace qc::exec
