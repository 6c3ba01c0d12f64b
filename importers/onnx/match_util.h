// importers/onnx/match_util.h: small queries and constructors shared by the pattern files.
//
//   int mm = -1;
//   if (const WNode* n = Producer(g, v, "MatMul", &mm)) { ... }
//   if (SingleUse(g, v) && Near(*ScalarOf(g, c), 0.5, 1e-6)) { ... }
//   QC_ASSIGN_OR_RETURN(int w, TransposedConstant(g, weight, "encoder.dense.weight"));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {

/// The live ai.onnx node producing `v` if its op type is `op` (id in *id); nullptr otherwise.
const WNode* Producer(const WGraph& g, int v, const char* op, int* id = nullptr);
/// `v` has exactly one data consumer (Shape reads ignored) and is not a graph output.
bool SingleUse(const WGraph& g, int v);
/// The only data consumer of `v` if it is a live ai.onnx `op` node; nullptr otherwise.
const WNode* SoleConsumer(const WGraph& g, int v, const char* op, int* id = nullptr);
/// The single element of a constant.
std::optional<double> ScalarOf(const WGraph& g, int v);
/// |a - b| <= rel * |b|.
bool Near(double a, double b, double rel);
/// For a two-input node: the input that is not `v`; -1 when `v` is not one of its inputs.
int OtherOperand(const WNode& n, int v);
/// Known shape of `v`, or nullptr.
const SymShape* ShapeOf(const WGraph& g, int v);
/// Rank, or -1 when unknown.
int RankOf(const WGraph& g, int v);
/// A dim (negative = from the end) if it is a known constant.
std::optional<int64_t> StaticDim(const WGraph& g, int v, int axis);
/// Float (f32), not constant.
bool IsFloatActivation(const WGraph& g, int v);
/// An f32 constant of exactly `elements` elements whose dims are 1 except possibly the last (e.g. [E], [1, 1, E]).
bool IsVectorConstant(const WGraph& g, int v, int64_t elements);

/// A new f32 constant value.
int AddFloatConstant(WGraph& g, const std::string& name, std::vector<int64_t> dims, std::vector<float> values);
/// `v`'s constant viewed with new dims (same bytes, no copy); returns `v` itself when the dims already match.
Expected<int> ReshapedConstant(WGraph& g, int v, std::vector<int64_t> dims, const std::string& name);
/// A new constant holding the transpose of 2-D f32 constant `v`.
Expected<int> TransposedConstant(WGraph& g, int v, const std::string& name);
/// A new unnamed-ish intermediate value ("<base>" made unique) with the given facts.
int NewValue(WGraph& g, const std::string& base, int32_t dtype, std::optional<SymShape> shape);
/// A new attribute-free ai.onnx node (Add, Mul, ...) writing `output`; analysed immediately.
int AddOnnxNode(WGraph& g, const std::string& op, const std::string& name, std::vector<int> inputs, int output);
/// A readable name for a Linear weight: "<module>.weight" from the bias name "<module>.bias" when the weight's own
/// name is generated (onnx::MatMul_12, val_50); else `fallback`.
std::string LinearWeightName(const WGraph& g, int weight, int bias, const std::string& fallback);

}  // namespace qc::onnx_import
