#include "importers/onnx/match_util.h"

#include <cmath>
#include <regex>

#include "importers/onnx/analyze.h"
#include "importers/onnx/patterns.h"
#include "importers/onnx/tensor_convert.h"

namespace qc::onnx_import {

void PatternContext::Note(const std::string& text) {
  for (const std::string& n : report.notes) {
    if (n == text) return;
  }
  report.notes.push_back(text);
}

const WNode* Producer(const WGraph& g, int v, const char* op, int* id) {
  const int p = g.ProducerOp(v, op);
  if (p < 0) return nullptr;
  if (id != nullptr) *id = p;
  return &g.nodes[static_cast<size_t>(p)];
}

bool SingleUse(const WGraph& g, int v) {
  return v >= 0 && g.DataConsumers(v).size() == 1 && !g.IsGraphOutput(v);
}

const WNode* SoleConsumer(const WGraph& g, int v, const char* op, int* id) {
  if (!SingleUse(g, v)) return nullptr;
  const int c = g.DataConsumers(v)[0];
  const WNode& n = g.nodes[static_cast<size_t>(c)];
  if (!n.domain.empty() || n.op_type != op) return nullptr;
  if (id != nullptr) *id = c;
  return &n;
}

std::optional<double> ScalarOf(const WGraph& g, int v) {
  return ConstScalar(g, v);
}

bool Near(double a, double b, double rel) {
  return std::fabs(a - b) <= rel * std::fabs(b);
}

int OtherOperand(const WNode& n, int v) {
  if (n.inputs.size() != 2) return -1;
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return -1;
}

const SymShape* ShapeOf(const WGraph& g, int v) {
  if (v < 0) return nullptr;
  const auto& s = g.values[static_cast<size_t>(v)].shape;
  return s ? &*s : nullptr;
}

int RankOf(const WGraph& g, int v) {
  const SymShape* s = ShapeOf(g, v);
  return s ? static_cast<int>(s->size()) : -1;
}

std::optional<int64_t> StaticDim(const WGraph& g, int v, int axis) {
  const SymShape* s = ShapeOf(g, v);
  if (!s) return std::nullopt;
  const int rank = static_cast<int>(s->size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  const SymDim& d = (*s)[static_cast<size_t>(axis)];
  if (!d || !d->IsConstant()) return std::nullopt;
  return d->ConstantValue();
}

bool IsFloatActivation(const WGraph& g, int v) {
  if (v < 0) return false;
  const WValue& val = g.values[static_cast<size_t>(v)];
  return val.dtype == onnx::TensorProto::FLOAT && !val.constant;
}

bool IsVectorConstant(const WGraph& g, int v, int64_t elements) {
  const ir::Tensor* t = g.Constant(v);
  if (t == nullptr || t->dtype() != ir::DType::kF32 || t->element_count() != elements || t->dims().empty()) {
    return false;
  }
  for (size_t k = 0; k + 1 < t->dims().size(); ++k) {
    if (t->dims()[k] != 1) return false;
  }
  return true;
}

int AddFloatConstant(WGraph& g, const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
  Expected<ir::Tensor> t = ir::Tensor::FromVector<float>(std::move(dims), std::move(values));
  // Callers pass matching dims and values; a mismatch is a bug, reported as an unconvertible constant.
  if (!t.ok()) {
    WValue v;
    v.name = name;
    v.load_error = t.status().message();
    return g.AddValue(std::move(v));
  }
  return g.AddConstant(name, std::move(*t));
}

Expected<int> ReshapedConstant(WGraph& g, int v, std::vector<int64_t> dims, const std::string& name) {
  const ir::Tensor* t = g.Constant(v);
  if (t == nullptr) return Internal("ReshapedConstant: " + g.DescribeValue(v) + " is not constant");
  if (t->dims() == dims) return v;
  QC_ASSIGN_OR_RETURN(ir::Tensor view,
                      ir::Tensor::View(t->dtype(), std::move(dims), t->raw_data(), t->byte_size(), t->owner()));
  const int id = g.AddConstant(name, std::move(view));
  g.values[static_cast<size_t>(id)].alias_of = v;
  return id;
}

Expected<int> TransposedConstant(WGraph& g, int v, const std::string& name) {
  const ir::Tensor* t = g.Constant(v);
  if (t == nullptr || t->dims().size() != 2) return Internal("TransposedConstant: not a 2-D constant");
  QC_ASSIGN_OR_RETURN(std::vector<float> src, t->ToVector<float>());
  const int64_t rows = t->dims()[0], cols = t->dims()[1];
  std::vector<float> dst(src.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[static_cast<size_t>(c * rows + r)] = src[static_cast<size_t>(r * cols + c)];
  }
  QC_ASSIGN_OR_RETURN(ir::Tensor out, ir::Tensor::FromVector<float>({cols, rows}, std::move(dst)));
  return g.AddConstant(name, std::move(out));
}

int NewValue(WGraph& g, const std::string& base, int32_t dtype, std::optional<SymShape> shape) {
  WValue v;
  v.name = base;
  v.dtype = dtype;
  v.shape = std::move(shape);
  return g.AddValue(std::move(v));
}

int AddOnnxNode(WGraph& g, const std::string& op, const std::string& name, std::vector<int> inputs, int output) {
  WNode n;
  n.op_type = op;
  n.name = name;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  const int id = g.AddNode(std::move(n));
  AnalyzeNode(g, id);
  return id;
}

std::string LinearWeightName(const WGraph& g, int weight, int bias, const std::string& fallback) {
  static const std::regex kGenerated(R"((onnx::.*)|(val_\d+))");
  const std::string& wname = g.values[static_cast<size_t>(weight)].name;
  if (bias >= 0 && std::regex_match(wname, kGenerated)) {
    const std::string& bname = g.values[static_cast<size_t>(bias)].name;
    const std::string suffix = ".bias";
    if (bname.size() > suffix.size() && bname.compare(bname.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return g.UniqueName(bname.substr(0, bname.size() - suffix.size()) + ".weight");
    }
  }
  return g.UniqueName(fallback);
}

}  // namespace qc::onnx_import
