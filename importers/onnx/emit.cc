#include "importers/onnx/emit.h"

#include <map>
#include <set>

#include "importers/onnx/tensor_convert.h"
#include "ir/builder.h"

namespace qc::onnx_import {
namespace {

const std::set<std::string> kOrtFusedOps = {"Attention",
                                            "MultiHeadAttention",
                                            "SkipLayerNormalization",
                                            "EmbedLayerNormalization",
                                            "BiasGelu",
                                            "FastGelu",
                                            "Gelu",
                                            "QuickGelu",
                                            "BiasAdd",
                                            "SkipSimplifiedLayerNormalization",
                                            "SimplifiedLayerNormalization",
                                            "RotaryEmbedding",
                                            "GroupQueryAttention",
                                            "PackedAttention"};
const std::set<std::string> kQuantizedOps = {"QuantizeLinear",        "DequantizeLinear", "DynamicQuantizeLinear",
                                             "MatMulInteger",         "QLinearMatMul",    "ConvInteger",
                                             "QLinearConv",           "MatMulNBits",      "MatMulIntegerToFloat",
                                             "DynamicQuantizeMatMul", "QAttention",       "QOrderedAttention"};

}  // namespace

std::string UnsupportedReason(const WNode& n) {
  const std::string& d = n.domain;
  if (kQuantizedOps.count(n.op_type) || n.op_type.rfind("QOrdered", 0) == 0) {
    return "pre-quantized models are not supported; import the float export and quantize with qcompress";
  }
  if (!n.note.empty()) {
    std::string text = n.note;
    if (d == "com.microsoft") {
      text +=
          " (re-export without onnxruntime transformer optimizations, i.e. without optimum --optimize / "
          "optimizer.optimize_model)";
    }
    return text;
  }
  if (d == "com.microsoft") {
    if (kOrtFusedOps.count(n.op_type)) {
      return "this onnxruntime fused op is not supported in this form; re-export without onnxruntime transformer "
             "optimizations (optimum --optimize / optimizer.optimize_model)";
    }
    return "com.microsoft contrib op with no IR equivalent; re-export with the standard ai.onnx op set";
  }
  if (!d.empty() && d != kCanonicalDomain) return "custom domain '" + d + "' has no IR equivalent";
  if (n.op_type == "Resize") {
    return "Resize (ViT position-embedding interpolation) is not supported; export at the training image size without "
           "interpolate_pos_encoding";
  }
  if (n.op_type == "Einsum") return "Einsum (ALBERT-style attention) is not supported";
  if (n.op_type == "If" || n.op_type == "Loop" || n.op_type == "Scan") return "control flow is not supported";
  return "no IR equivalent, and no supported pattern (LayerNorm, GELU, Linear, attention, embeddings, ...) "
         "covers it";
}

namespace {

// True for an unconverted node with no specific reason whose outputs are all integer/bool tensors: it computes
// shapes, indices or masks for other unconverted nodes and is listed after them.
bool OnlyIndexMath(const WGraph& g, const WNode& n) {
  if (!n.note.empty() || !n.domain.empty()) return false;
  for (int out : n.outputs) {
    if (out < 0) continue;
    const int32_t t = g.values[static_cast<size_t>(out)].dtype;
    if (t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::FLOAT16 || t == onnx::TensorProto::DOUBLE ||
        t == onnx::TensorProto::BFLOAT16 || t == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status CheckAllConverted(const WGraph& g) {
  std::vector<std::string> lines, generic_lines, index_lines;  // specific reasons first, then generic, then index math
  const std::string generic = UnsupportedReason(WNode{});
  std::map<std::string, int> census;
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.canonical) continue;
    if (OnlyIndexMath(g, n)) {
      index_lines.push_back("  - " + g.DescribeNode(id) +
                            ": integer/boolean shape, index or mask computation for the nodes above");
    } else {
      const std::string reason = UnsupportedReason(n);
      (reason == generic ? generic_lines : lines).push_back("  - " + g.DescribeNode(id) + ": " + reason);
    }
    ++census[(n.domain.empty() ? "" : n.domain + "::") + n.op_type];
  }
  lines.insert(lines.end(), generic_lines.begin(), generic_lines.end());
  lines.insert(lines.end(), index_lines.begin(), index_lines.end());
  // Nodes on a cycle never appear in LiveNodes(); count them too.
  size_t live = 0;
  for (const WNode& n : g.nodes) live += !n.erased;
  if (live != g.LiveNodes().size()) lines.push_back("  - the graph has a cycle");
  if (lines.empty()) return Status::Ok();
  std::string census_text;
  for (const auto& [op, count] : census)
    census_text += (census_text.empty() ? "" : ", ") + op + " x" + std::to_string(count);
  std::string text = g.path + " (producer '" + (g.producer.empty() ? "<unknown>" : g.producer) + "', ai.onnx opset " +
                     std::to_string(g.opset) + "): " + std::to_string(lines.size()) +
                     " node(s) could not be converted to the IR [" + census_text + "]:";
  for (const std::string& l : lines) text += "\n" + l;
  return Unsupported(text);
}

namespace {

class Emitter {
 public:
  explicit Emitter(const WGraph& g) : g_(g) {}

  Expected<ir::Graph> Run() {
    for (int in : g_.inputs) {
      const WValue& v = g_.values[static_cast<size_t>(in)];
      Expected<ir::DType> dtype = IrDTypeFromOnnx(v.dtype);
      if (!dtype.ok()) return Unsupported(g_.path + ": graph input '" + v.name + "': " + dtype.status().message());
      if (!v.shape) return Unsupported(g_.path + ": graph input '" + v.name + "' has no shape");
      ir::Shape shape;
      for (const SymDim& d : *v.shape) {
        if (!d) return Unsupported(g_.path + ": graph input '" + v.name + "' has an unknown dimension");
        if (d->IsConstant())
          shape.emplace_back(d->ConstantValue());
        else
          shape.emplace_back(d->ToString());
      }
      QC_ASSIGN_OR_RETURN(ir::ValueId id, b_.AddInput(v.name, *dtype, std::move(shape)));
      ids_[in] = id;
    }
    for (size_t k = 0; k < g_.outputs.size(); ++k) output_name_[g_.outputs[k]] = g_.output_names[k];
    CollectUsed();
    for (int out : g_.outputs) QC_RETURN_IF_ERROR(Visit(out));
    for (size_t k = 0; k < g_.outputs.size(); ++k) {
      QC_RETURN_IF_ERROR(b_.MarkOutput(ids_.at(g_.outputs[k]), g_.output_names[k]).WithContext(g_.path));
    }
    b_.SetMetadata("source.format", std::string("onnx"));
    b_.SetMetadata("source.producer", g_.producer);
    b_.SetMetadata("source.opset", g_.opset);
    Expected<ir::Graph> graph = std::move(b_).Build();
    if (!graph.ok()) return graph.status().WithContext(g_.path + ": the imported graph does not verify");
    return graph;
  }

 private:
  // Depth-first, inputs in order, so the node order depends only on the graph's structure.
  // Emits `root` and everything it depends on: depth-first, inputs in order (an explicit stack, so graph depth is
  // not limited by the call stack), so the node order depends only on the graph's structure.
  Status Visit(int root) {
    struct Frame {
      int value;
      size_t next_input;
    };
    std::vector<Frame> stack{{root, 0}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      const int value = f.value;
      if (value < 0 || ids_.count(value)) {
        stack.pop_back();
        continue;
      }
      const WValue& v = g_.values[static_cast<size_t>(value)];
      if (v.constant) {
        // A reshaped view keeps the original initializer's name when the original itself is not part of the IR.
        const std::string& name =
            v.alias_of >= 0 && used_.count(v.alias_of) == 0 ? g_.values[static_cast<size_t>(v.alias_of)].name : v.name;
        QC_ASSIGN_OR_RETURN(ir::ValueId id, b_.AddConstant(name, *v.constant));
        ids_[value] = id;
        stack.pop_back();
        continue;
      }
      if (!v.load_error.empty()) return Unsupported(g_.path + ": constant '" + v.name + "': " + v.load_error);
      if (v.producer < 0) return Internal(g_.path + ": " + g_.DescribeValue(value) + " has no producer");
      const int node_id = v.producer;
      const WNode& n = g_.nodes[static_cast<size_t>(node_id)];
      if (!n.canonical) return Internal(g_.path + ": " + g_.DescribeNode(node_id) + " was not converted");
      if (f.next_input == 0 && !visiting_.insert(node_id).second) {
        return Internal(g_.path + ": cycle at " + g_.DescribeNode(node_id));
      }
      if (f.next_input < n.inputs.size()) {
        const int in = n.inputs[f.next_input++];
        if (in >= 0 && !ids_.count(in)) stack.push_back({in, 0});  // invalidates `f`
        continue;
      }
      std::vector<ir::ValueId> inputs;
      for (int in : n.inputs) inputs.push_back(in < 0 ? ir::kNoValue : ids_.at(in));
      std::vector<std::string> names;
      for (int out : n.outputs) {
        auto it = output_name_.find(out);
        names.push_back(it == output_name_.end() ? "" : it->second);
      }
      Expected<std::vector<ir::ValueId>> outs = b_.AddNode(n.ir_op, n.name, std::move(inputs), n.ir_attrs, names);
      if (!outs.ok()) return outs.status().WithContext(g_.path);
      for (size_t k = 0; k < n.outputs.size(); ++k) ids_[n.outputs[k]] = (*outs)[k];
      stack.pop_back();
    }
    return Status::Ok();
  }

  // Every value the emitted graph will contain.
  void CollectUsed() {
    std::vector<int> stack(g_.outputs.begin(), g_.outputs.end());
    stack.insert(stack.end(), g_.inputs.begin(), g_.inputs.end());
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      if (v < 0 || !used_.insert(v).second) continue;
      const WValue& val = g_.values[static_cast<size_t>(v)];
      if (val.constant || val.producer < 0) continue;
      for (int in : g_.nodes[static_cast<size_t>(val.producer)].inputs) stack.push_back(in);
    }
  }

  const WGraph& g_;
  std::set<int> used_;
  ir::GraphBuilder b_;
  std::map<int, ir::ValueId> ids_;
  std::map<int, std::string> output_name_;
  std::set<int> visiting_;
};

}  // namespace

Expected<ir::Graph> EmitGraph(const WGraph& graph) {
  return Emitter(graph).Run();
}

}  // namespace qc::onnx_import
