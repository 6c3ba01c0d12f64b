// com.microsoft fused ops written by the onnxruntime transformer optimizer (optimum --optimize), decomposed into
// ai.onnx Adds plus canonical ops, so the generic Linear / elementwise passes produce the same IR as for the
// unoptimised export.
#include <cmath>
#include <map>

#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

bool Used(const WGraph& g, int v) {
  return v >= 0 && (!g.Consumers(v).empty() || g.IsGraphOutput(v));
}
int In(const WNode& n, size_t i) {
  return i < n.inputs.size() ? n.inputs[i] : -1;
}
int Out(const WNode& n, size_t i) {
  return i < n.outputs.size() ? n.outputs[i] : -1;
}

// An integer graph input, possibly behind the optimizer's Cast to int32.
int IntInputBehindCast(const WGraph& g, int v) {
  auto is_int = [](int32_t t) { return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32; };
  if (v < 0) return -1;
  const WValue& val = g.values[static_cast<size_t>(v)];
  if (val.is_graph_input && is_int(val.dtype)) return v;
  const WNode* cast = Producer(g, v, "Cast");
  if (cast && is_int(static_cast<int32_t>(AttrInt(*cast, "to", 0)))) {
    const WValue& src = g.values[static_cast<size_t>(cast->inputs[0])];
    if (src.is_graph_input && is_int(src.dtype)) return cast->inputs[0];
  }
  return -1;
}

class Decomposer {
 public:
  explicit Decomposer(PatternContext& ctx) : ctx_(ctx), g_(ctx.g) {}

  Status Run(int id) {
    const WNode n = g_.nodes[static_cast<size_t>(id)];  // a copy: the node array grows below
    const std::string& op = n.op_type;
    if (op == "SkipLayerNormalization") return SkipLayerNorm(id, n);
    if (op == "EmbedLayerNormalization") return EmbedLayerNorm(id, n);
    if (op == "Attention") return Attention(id, n);
    if (op == "MultiHeadAttention") return MultiHeadAttention(id, n);
    if (op == "BiasGelu" || op == "FastGelu" || op == "Gelu") return Gelu(id, n);
    return Status::Ok();
  }

 private:
  SymShape ShapeOrUnknown(int v) const {
    const SymShape* s = ShapeOf(g_, v);
    return s ? *s : SymShape{};
  }
  // Add(a, b) as an ai.onnx node writing a fresh value (or `out` when given).
  int Add(int a, int b, const std::string& name, int out = -1) {
    if (out < 0) out = NewValue(g_, name + "/out", onnx::TensorProto::FLOAT, g_.values[static_cast<size_t>(a)].shape);
    AddOnnxNode(g_, "Add", name, {a, b}, out);
    return out;
  }
  // A slice [begin, begin + count) of a 1-D f32 constant.
  Expected<int> Slice1D(int v, int64_t begin, int64_t count, const std::string& name) {
    QC_ASSIGN_OR_RETURN(std::vector<float> all, g_.Constant(v)->ToVector<float>());
    std::vector<float> part(all.begin() + begin, all.begin() + begin + count);
    return AddFloatConstant(g_, g_.UniqueName(name), {count}, std::move(part));
  }
  Status Epsilon(const WNode& n, double* eps) {
    *eps = AttrFloat(n, "epsilon", 1e-12);
    if (!(*eps > 0)) return Unsupported(n.op_type + ": epsilon must be > 0");
    return Status::Ok();
  }
  int LayerNorm(int x, int gamma, int beta, double eps, int out, const std::vector<int>& matched) {
    ir::Attributes attrs{{ir::AttrName::kEpsilon, eps}, {ir::AttrName::kAxis, int64_t{-1}}};
    return g_.AddCanonical(ir::OpType::kLayerNorm, {x, gamma, beta}, {out}, std::move(attrs), matched);
  }
  Expected<int> Beta(int beta, int64_t width, const std::string& scope) {
    if (beta >= 0) return ReshapedConstant(g_, beta, {width}, g_.values[static_cast<size_t>(beta)].name + ".flat");
    return AddFloatConstant(g_, g_.UniqueName(scope + ".beta"), {width},
                            std::vector<float>(static_cast<size_t>(width), 0.f));
  }

  // SkipLayerNormalization(x, skip, gamma, beta?, bias?)  =>  s = Add(Add(x, bias), skip); LayerNorm(s)
  // (output 3, the pre-norm sum, becomes s; the Mean / InvStdDev outputs must be unused)
  Status SkipLayerNorm(int id, const WNode& n) {
    const int x = In(n, 0), skip = In(n, 1), gamma = In(n, 2), beta = In(n, 3), bias = In(n, 4);
    auto width = StaticDim(g_, x, -1);
    if (!width || !IsVectorConstant(g_, gamma, *width) || (beta >= 0 && !IsVectorConstant(g_, beta, *width)) ||
        (bias >= 0 && !IsVectorConstant(g_, bias, *width))) {
      return Unsupported("SkipLayerNormalization: gamma / beta / bias must be constants of the hidden size");
    }
    if (Used(g_, Out(n, 1)) || Used(g_, Out(n, 2))) {
      return Unsupported("SkipLayerNormalization: the mean / inv_std_var outputs are used");
    }
    double eps = 0;
    QC_RETURN_IF_ERROR(Epsilon(n, &eps));
    QC_ASSIGN_OR_RETURN(int g_flat,
                        ReshapedConstant(g_, gamma, {*width}, g_.values[static_cast<size_t>(gamma)].name + ".flat"));
    QC_ASSIGN_OR_RETURN(int b_flat, Beta(beta, *width, n.name));
    int sum_in = x;
    if (bias >= 0) sum_in = Add(x, bias, n.name + "/bias_add");
    const int sum = Add(sum_in, skip, n.name + "/skip_add", Used(g_, Out(n, 3)) ? Out(n, 3) : -1);
    LayerNorm(sum, g_flat, b_flat, eps, Out(n, 0), {id});
    ctx_.report.Count("contrib.SkipLayerNormalization");
    return Status::Ok();
  }

  // EmbedLayerNormalization(ids, segment_ids?, word, position, segment?, gamma, beta, mask?, position_ids = none)
  //   =>  LayerNorm(AddPositionEmbedding(Embedding(ids, word) [+ Embedding(segment_ids, segment)], position))
  // Its mask_index output (a per-row valid length) is remembered as the raw 2-D mask for Attention.
  Status EmbedLayerNorm(int id, const WNode& n) {
    const int ids = IntInputBehindCast(g_, In(n, 0)), seg_ids = In(n, 1), word = In(n, 2), pos = In(n, 3);
    const int seg = In(n, 4), gamma = In(n, 5), beta = In(n, 6), mask = In(n, 7);
    if (ids < 0) return Unsupported("EmbedLayerNormalization: input_ids is not an integer graph input");
    if (In(n, 8) >= 0) return Unsupported("EmbedLayerNormalization: explicit position_ids are not supported");
    const ir::Tensor* word_t = g_.Constant(word);
    if (word_t == nullptr || word_t->dims().size() != 2 || g_.Constant(pos) == nullptr) {
      return Unsupported("EmbedLayerNormalization: the embedding tables are not constants");
    }
    const int64_t width = word_t->dims()[1];
    if (!IsVectorConstant(g_, gamma, width) || (beta >= 0 && !IsVectorConstant(g_, beta, width))) {
      return Unsupported("EmbedLayerNormalization: gamma / beta are not constants of the hidden size");
    }
    int seg_input = -1;
    if (seg_ids >= 0 || seg >= 0) {
      seg_input = IntInputBehindCast(g_, seg_ids);
      if (seg_input < 0 || g_.Constant(seg) == nullptr) {
        return Unsupported("EmbedLayerNormalization: segment ids are not an integer graph input");
      }
    }
    if (Used(g_, Out(n, 1)) && IntInputBehindCast(g_, mask) < 0) {
      return Unsupported("EmbedLayerNormalization: mask_index is used but the mask is not an integer graph input");
    }
    double eps = 0;
    QC_RETURN_IF_ERROR(Epsilon(n, &eps));
    QC_ASSIGN_OR_RETURN(int g_flat,
                        ReshapedConstant(g_, gamma, {width}, g_.values[static_cast<size_t>(gamma)].name + ".flat"));
    QC_ASSIGN_OR_RETURN(int b_flat, Beta(beta, width, n.name));
    SymShape shape = ShapeOrUnknown(ids);
    shape.push_back(SymExpr(width));
    auto fresh = [&](const std::string& suffix) {
      return NewValue(g_, n.name + suffix, onnx::TensorProto::FLOAT, shape);
    };
    int sum = fresh("/word");
    g_.AddCanonical(ir::OpType::kEmbedding, {ids, word}, {sum}, {}, {id});
    if (seg_input >= 0) {
      const int s = fresh("/segment");
      g_.AddCanonical(ir::OpType::kEmbedding, {seg_input, seg}, {s}, {}, {id});
      const int both = fresh("/word_segment");
      g_.AddCanonical(ir::OpType::kAdd, {sum, s}, {both}, {}, {id});
      sum = both;
    }
    const int with_pos = Used(g_, Out(n, 2)) ? Out(n, 2) : fresh("/embeddings");
    g_.AddCanonical(ir::OpType::kAddPositionEmbedding, {sum, pos}, {with_pos}, {{ir::AttrName::kOffset, int64_t{0}}},
                    {id});
    LayerNorm(with_pos, g_flat, b_flat, eps, Out(n, 0), {id});
    if (Out(n, 1) >= 0) mask_index_source_[Out(n, 1)] = IntInputBehindCast(g_, mask);
    ctx_.report.Count("contrib.EmbedLayerNormalization");
    return Status::Ok();
  }

  // The raw [B, S] mask behind an Attention mask input: a 2-D integer mask (maybe Cast), or EmbedLayerNorm's
  // mask_index (then ORT assumed right padding; the IR keeps the original model's raw-mask semantics).
  Expected<int> RawMask(int mask_index, const std::string& op) {
    if (mask_index < 0) return -1;
    if (RankOf(g_, mask_index) == 2) {
      const int raw = IntInputBehindCast(g_, mask_index);
      if (raw >= 0) return raw;
    }
    auto it = mask_index_source_.find(mask_index);
    if (it != mask_index_source_.end() && it->second >= 0) {
      ctx_.Note(op +
                ": ORT's 1-D mask_index (valid length per row, right padding assumed) imported as the raw 2-D "
                "attention mask; identical for right-padded masks, and faithful to the original model otherwise");
      return it->second;
    }
    return Unsupported(op +
                       ": the mask is neither a raw [batch, sequence] integer mask nor EmbedLayerNormalization's "
                       "mask_index");
  }

  Status CheckHeads(const WNode& n, int64_t hidden) {
    const int64_t heads = AttrInt(n, "num_heads", 0);
    if (heads <= 0 || hidden % heads != 0) return Unsupported(n.op_type + ": num_heads is missing or does not divide");
    if (ctx_.options.num_heads > 0 && ctx_.options.num_heads != heads) {
      return InvalidArgument(n.op_type +
                             ": the num_heads option contradicts the node's num_heads = " + std::to_string(heads));
    }
    return Status::Ok();
  }

  // Call after CheckHeads and RawMask succeeded: nothing below fails.
  Status Attend(int id, const WNode& n, int q, int k, int v, int64_t hidden, int mask_index) {
    const int64_t heads = AttrInt(n, "num_heads", 0);
    double scale = AttrFloat(n, "scale", 0.0);
    if (scale == 0.0) scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hidden / heads)));
    QC_ASSIGN_OR_RETURN(int mask, RawMask(mask_index, n.op_type));
    ir::Attributes attrs{{ir::AttrName::kNumHeads, heads}, {ir::AttrName::kScale, scale}};
    if (mask >= 0) attrs.Set(ir::AttrName::kMaskFill, AttrFloat(n, "mask_filter_value", -10000.0));
    g_.AddCanonical(ir::OpType::kAttention, {q, k, v, mask}, {Out(n, 0)}, std::move(attrs), {id});
    ctx_.report.Count("attention");
    if (mask >= 0) ctx_.report.Count("attention_mask");
    ctx_.report.num_heads = heads;
    ctx_.report.hidden_size = hidden;
    ++ctx_.report.num_layers;
    return Status::Ok();
  }

  Status CheckPlainAttention(const WNode& n, size_t first_extra) {
    if (AttrInt(n, "unidirectional", 0) != 0) return Unsupported(n.op_type + ": unidirectional (causal) attention");
    if (AttrInt(n, "do_rotary", 0) != 0) return Unsupported(n.op_type + ": rotary embeddings are not supported");
    for (size_t k = first_extra; k < n.inputs.size(); ++k) {
      if (n.inputs[k] >= 0) return Unsupported(n.op_type + ": past state / attention bias inputs are not supported");
    }
    for (size_t k = 1; k < n.outputs.size(); ++k) {
      if (Used(g_, n.outputs[k])) return Unsupported(n.op_type + ": present-state outputs are not supported");
    }
    return Status::Ok();
  }

  // Attention(x, W[Hin, 3H], b[3H], mask)  =>  Linear(x, Wq^T, bq), Linear(.., k), Linear(.., v), Attention(q, k, v)
  Status Attention(int id, const WNode& n) {
    QC_RETURN_IF_ERROR(CheckPlainAttention(n, 4));
    const int x = In(n, 0), w = In(n, 1), b = In(n, 2);
    const ir::Tensor* wt = g_.Constant(w);
    if (wt == nullptr || wt->dims().size() != 2 || wt->dtype() != ir::DType::kF32 || wt->dims()[1] % 3 != 0 ||
        (FindAttr(n, "qkv_hidden_sizes") != nullptr)) {
      return Unsupported("Attention: weights must be a constant f32 [hidden, 3 * hidden] (no qkv_hidden_sizes)");
    }
    const int64_t in = wt->dims()[0], hidden = wt->dims()[1] / 3;
    if (b >= 0 && !IsVectorConstant(g_, b, 3 * hidden)) return Unsupported("Attention: bias must be a constant [3H]");
    if (!IsFloatActivation(g_, x) || RankOf(g_, x) != 3) return Unsupported("Attention: input must be [B, S, H]");
    QC_RETURN_IF_ERROR(CheckHeads(n, hidden));  // fail before creating anything
    QC_RETURN_IF_ERROR(RawMask(In(n, 3), "Attention").status());
    QC_ASSIGN_OR_RETURN(std::vector<float> all, wt->ToVector<float>());
    std::vector<int> qkv;
    SymShape shape = ShapeOrUnknown(x);
    shape.back() = SymExpr(hidden);
    static const char* kParts[] = {"query", "key", "value"};
    for (int64_t part = 0; part < 3; ++part) {
      std::vector<float> wpart(static_cast<size_t>(hidden * in));  // [out = hidden, in], PyTorch layout
      for (int64_t o = 0; o < hidden; ++o) {
        for (int64_t i = 0; i < in; ++i) {
          wpart[static_cast<size_t>(o * in + i)] = all[static_cast<size_t>(i * 3 * hidden + part * hidden + o)];
        }
      }
      const std::string base = n.name + "." + kParts[part];
      std::vector<int> inputs{x, AddFloatConstant(g_, g_.UniqueName(base + ".weight"), {hidden, in}, std::move(wpart))};
      if (b >= 0) {
        QC_ASSIGN_OR_RETURN(int bias, Slice1D(b, part * hidden, hidden, base + ".bias"));
        inputs.push_back(bias);
      }
      const int out = NewValue(g_, base, onnx::TensorProto::FLOAT, shape);
      g_.AddCanonical(ir::OpType::kLinear, std::move(inputs), {out}, {}, {id});
      ctx_.report.Count("linear");
      qkv.push_back(out);
    }
    QC_RETURN_IF_ERROR(Attend(id, n, qkv[0], qkv[1], qkv[2], hidden, In(n, 3)));
    ctx_.report.Count("contrib.Attention");
    return Status::Ok();
  }

  // MultiHeadAttention(q, k, v, bias[3H]?, key_padding_mask?)  =>  Attention(q + bq, k + bk, v + bv, mask)
  Status MultiHeadAttention(int id, const WNode& n) {
    QC_RETURN_IF_ERROR(CheckPlainAttention(n, 5));
    const int q = In(n, 0), k = In(n, 1), v = In(n, 2), b = In(n, 3);
    if (RankOf(g_, q) != 3 || RankOf(g_, k) != 3 || RankOf(g_, v) != 3 || !IsFloatActivation(g_, q)) {
      return Unsupported("MultiHeadAttention: only separate [B, S, H] query, key and value are supported");
    }
    auto hidden = StaticDim(g_, q, -1);
    if (!hidden || (b >= 0 && !IsVectorConstant(g_, b, 3 * *hidden))) {
      return Unsupported("MultiHeadAttention: the bias must be a constant [3 * hidden]");
    }
    QC_RETURN_IF_ERROR(CheckHeads(n, *hidden));
    QC_RETURN_IF_ERROR(RawMask(In(n, 4), "MultiHeadAttention").status());
    std::vector<int> qkv{q, k, v};
    if (b >= 0) {
      static const char* kParts[] = {"query", "key", "value"};
      for (int64_t part = 0; part < 3; ++part) {
        QC_ASSIGN_OR_RETURN(int bias, Slice1D(b, part * *hidden, *hidden, n.name + "." + kParts[part] + ".bias"));
        qkv[static_cast<size_t>(part)] =
            Add(qkv[static_cast<size_t>(part)], bias, n.name + "/" + kParts[part] + "_bias");
      }
    }
    QC_RETURN_IF_ERROR(Attend(id, n, qkv[0], qkv[1], qkv[2], *hidden, In(n, 4)));
    ctx_.report.Count("contrib.MultiHeadAttention");
    return Status::Ok();
  }

  // BiasGelu(x, b) => Gelu(Add(x, b));  FastGelu(x, b?) => Gelu(Add(x, b), tanh);  Gelu(x) => Gelu(x)
  Status Gelu(int id, const WNode& n) {
    int x = In(n, 0);
    const int bias = In(n, 1);
    if (!IsFloatActivation(g_, x)) return Unsupported(n.op_type + ": input is not an f32 activation");
    if (bias >= 0) {
      auto width = StaticDim(g_, x, -1);
      if (!width || !IsVectorConstant(g_, bias, *width)) return Unsupported(n.op_type + ": bias is not a constant [H]");
      x = Add(x, bias, n.name + "/bias_add");
    }
    ir::Attributes attrs;
    attrs.Set(ir::AttrName::kApproximate,
              n.op_type == "FastGelu" ? ir::GeluApproximation::kTanh : ir::GeluApproximation::kNone);
    g_.AddCanonical(ir::OpType::kGelu, {x}, {Out(n, 0)}, std::move(attrs), {id});
    ctx_.report.Count("gelu");
    ctx_.report.Count("contrib." + n.op_type);
    return Status::Ok();
  }

  PatternContext& ctx_;
  WGraph& g_;
  std::map<int, int> mask_index_source_;  // EmbedLayerNormalization mask_index value -> raw mask graph input
};

}  // namespace

int DecomposeContribOps(PatternContext& ctx) {
  WGraph& g = ctx.g;
  Decomposer d(ctx);
  int done = 0;
  for (int id : g.LiveNodes()) {
    if (g.nodes[static_cast<size_t>(id)].erased || g.nodes[static_cast<size_t>(id)].domain != "com.microsoft") continue;
    const size_t before = g.nodes.size();
    Status s = d.Run(id);
    if (!s.ok()) {
      g.nodes[static_cast<size_t>(id)].note = s.message();
      continue;
    }
    done += g.nodes.size() > before;
  }
  return done;
}

}  // namespace qc::onnx_import
