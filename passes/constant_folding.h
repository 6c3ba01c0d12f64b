// passes/constant_folding.h: evaluates nodes whose inputs are all constants, where that is cheap and exact.
//
// Rule: Add / Sub / Mul (f32, i64, i32, numpy broadcasting) of constants -> one constant holding the result.
// Each element is one IEEE operation, exactly what the runtime computes, so the folded model's outputs are
// bit-identical. Ops whose runtime result depends on a summation order (LayerNorm, Linear, Softmax) or on a libm
// (Gelu, Tanh) are left alone: folding them here could differ from the runtime in the last bit. A node whose output
// is a graph output is not folded (a constant cannot be a graph output). Dead inputs are left for dead_code.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeConstantFoldingPass();

}  // namespace qc::passes
