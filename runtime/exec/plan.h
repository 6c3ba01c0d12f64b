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
#include <string_view>
#include <vector>

#include "format/qm_reader.h"
#include "qcompress/status.h"

namespace qc::exec {

/// Element types a plan computes with. Float activations throughout; integer ids and masks. kPacked marks the
/// constants only quantized ops read (U8 packed weights, T2 / I4 / I8 tables): never an op output or graph input.
enum class ValueType : uint8_t { kF32, kI64, kI32, kPacked };

/// Every attribute an op of the current op set can carry, decoded once.
struct OpAttrs {
  double epsilon = 1e-12;
  int64_t axis = -1;
  int64_t num_heads = 0;
  double scale = 0.0;
  double mask_fill = -10000.0;  ///< Attention, QAttention(Qkv): the IR default (docs/ir.md) when a file omits it
  int64_t approximate = 0;  ///< Gelu: 0 = exact (erf), 1 = tanh
  int64_t index = 0;        ///< SelectToken
  int64_t offset = 0;       ///< AddPositionEmbedding
  int64_t patch = 0;        ///< PatchEmbed
  // Quantized ops (format/qm_quant_rules.h has the value ranges; the reader has checked them).
  int64_t weight_format = 0;    ///< QLinear: QmWeightFormat
  int64_t in_features = 0;      ///< QLinear K
  int64_t out_features = 0;     ///< QLinear N
  int64_t act_granularity = 1;  ///< QLinear: QmActGranularity
  double act_clip = 0.0;        ///< QLinear, QAttention(Qkv): 0 = none
  double act_amax = 0.0;        ///< QLinear, static granularity
  int64_t epilogue = 0;         ///< QLinear: QmEpilogue
  int64_t act_groups = 1;       ///< QLinear: equal column groups of K with their own activation scales (1.3)
};

/// A constant in the mapping: static dims, typed data.
struct ConstantRef {
  ValueType type = ValueType::kF32;
  qm::DType dtype = qm::DType::Invalid;  ///< the stored element type (tells T2 / I4 / I8 / U8 apart for kPacked)
  std::vector<int64_t> dims;
  const void* data = nullptr;
  uint64_t byte_size = 0;
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
/// A model whose required features are not all in SupportedFeatures() is refused naming the feature.
Expected<Plan> BuildPlan(const qm::QmFile& file);

/// The required-feature strings this runtime build executes ("op.qlinear@1", ...).
const std::vector<std::string_view>& SupportedFeatures();

}  // namespace qc::exec
