// Multi-head self-attention, eager and SDPA exports (TorchScript and dynamo), with or without a padding mask.
#include <cmath>
#include <limits>

#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"
#include "importers/onnx/probe.h"

namespace qc::onnx_import {
namespace {

using Perm = std::vector<int64_t>;

// A 4-D value that is Transpose(Reshape(base[B, S, H] -> [B, S, heads, head_dim]), perm) times `scale`.
struct HeadPath {
  int base = -1;
  int64_t heads = 0, head_dim = 0;
  Perm perm{0, 1, 2, 3};
  double scale = 1.0;
  std::vector<int> nodes;
};

bool DimEq(const SymShape& a, size_t i, const SymShape& b, size_t j) {
  return a[i] && b[j] && *a[i] == *b[j];
}

// Reshape(y[a,b,c,d] -> [a*b,c,d]) -> Transpose(0,2,1) -> Reshape(-> [a,b,d,c])  ==  Transpose(y, (0,1,3,2))
// (the dynamo exporter's spelling of k.transpose(-2, -1)); returns y and the three node ids.
std::optional<int> MatchFlattenedSwap(const WGraph& g, const WNode& r2, std::vector<int>* nodes) {
  int t_id = -1, r1_id = -1;
  const WNode* t = Producer(g, r2.inputs[0], "Transpose", &t_id);
  if (!t || !SingleUse(g, r2.inputs[0]) || AttrInts(*t, "perm") != Perm{0, 2, 1}) return std::nullopt;
  const WNode* r1 = Producer(g, t->inputs[0], "Reshape", &r1_id);
  if (!r1 || !SingleUse(g, t->inputs[0])) return std::nullopt;
  const int y = r1->inputs[0];
  const SymShape *ys = ShapeOf(g, y), *m = ShapeOf(g, r1->outputs[0]), *out = ShapeOf(g, r2.outputs[0]);
  if (!ys || !m || !out || ys->size() != 4 || m->size() != 3 || out->size() != 4) return std::nullopt;
  const SymDim merged = ShapeProduct(*ys, 0, 2);
  if (!merged || !(*m)[0] || *merged != *(*m)[0] || !DimEq(*m, 1, *ys, 2) || !DimEq(*m, 2, *ys, 3)) return std::nullopt;
  if (!DimEq(*out, 0, *ys, 0) || !DimEq(*out, 1, *ys, 1) || !DimEq(*out, 2, *ys, 3) || !DimEq(*out, 3, *ys, 2)) {
    return std::nullopt;
  }
  nodes->insert(nodes->end(), {r1_id, t_id});
  return y;
}

// Walks from a 4-D attention operand back to the [B, S, H] projection through scalar Mul/Div, Transposes and the
// head-split Reshape.
std::optional<HeadPath> WalkHeads(const WGraph& g, int v, std::string* why) {
  HeadPath h;
  int cur = v;
  for (int step = 0; step < 12; ++step) {
    if (cur != v && !SingleUse(g, cur)) break;
    const WValue& val = g.values[static_cast<size_t>(cur)];
    if (val.producer < 0) break;
    const int id = val.producer;
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (!n.domain.empty()) break;
    if ((n.op_type == "Mul" || n.op_type == "Div") && n.inputs.size() == 2) {
      const bool c0 = ScalarOf(g, n.inputs[0]).has_value(), c1 = ScalarOf(g, n.inputs[1]).has_value();
      if (c0 == c1 || (n.op_type == "Div" && c0)) break;
      const double c = *ScalarOf(g, n.inputs[c1 ? 1 : 0]);
      h.scale *= n.op_type == "Mul" ? c : 1.0 / c;
      h.nodes.push_back(id);
      cur = n.inputs[c1 ? 0 : 1];
      continue;
    }
    if (n.op_type == "Transpose") {
      auto p = AttrInts(n, "perm");
      if (!p || p->size() != 4) break;
      Perm next(4);
      for (size_t i = 0; i < 4; ++i) next[i] = (*p)[static_cast<size_t>(h.perm[i])];
      h.perm = next;
      h.nodes.push_back(id);
      cur = n.inputs[0];
      continue;
    }
    if (n.op_type != "Reshape") break;
    const SymShape *in = ShapeOf(g, n.inputs[0]), *out = ShapeOf(g, n.outputs[0]);
    if (!in || !out || out->size() != 4) break;
    if (in->size() == 3 && (*in)[2] && (*in)[2]->IsConstant()) {
      // The head split [B, S, H] -> [B, S, heads, head_dim].
      auto heads = StaticDim(g, n.outputs[0], 2), dim = StaticDim(g, n.outputs[0], 3);
      if (!DimEq(*out, 0, *in, 0) || !DimEq(*out, 1, *in, 1) || !heads || !dim ||
          *heads * *dim != (*in)[2]->ConstantValue()) {
        *why = "attention: the reshape " + g.DescribeNode(id) + " is not a [B, S, H] -> [B, S, heads, head_dim] split";
        return std::nullopt;
      }
      h.nodes.push_back(id);
      h.base = n.inputs[0];
      h.heads = *heads;
      h.head_dim = *dim;
      return h;
    }
    std::vector<int> swap_nodes{id};
    std::optional<int> y = MatchFlattenedSwap(g, n, &swap_nodes);
    if (!y) break;
    const Perm p{0, 1, 3, 2};
    Perm next(4);
    for (size_t i = 0; i < 4; ++i) next[i] = p[static_cast<size_t>(h.perm[i])];
    h.perm = next;
    h.nodes.insert(h.nodes.end(), swap_nodes.begin(), swap_nodes.end());
    cur = *y;
  }
  *why = "attention: " + g.DescribeValue(v) + " does not come from a [B, S, heads, head_dim] split of a projection";
  return std::nullopt;
}

struct AttentionMatch {
  HeadPath q, k, v;
  double scale = 1;
  int mask_value = -1;  // the additive mask operand, if any
  int out = -1;
  std::vector<int> nodes;
};

// Softmax input <- [Add(mask)] <- scalar Mul/Div <- MatMul(q, k^T)
bool MatchScores(const WGraph& g, int softmax_in, AttentionMatch* m, int* qk, std::string* why) {
  int cur = softmax_in;
  for (int step = 0; step < 8; ++step) {
    if (!SingleUse(g, cur)) break;
    const int id = g.values[static_cast<size_t>(cur)].producer;
    if (id < 0 || !g.nodes[static_cast<size_t>(id)].domain.empty()) break;
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.op_type == "MatMul") {
      *qk = id;
      m->nodes.push_back(id);
      return true;
    }
    if (n.inputs.size() != 2) break;
    if (n.op_type == "Mul" || n.op_type == "Div") {
      const bool c1 = ScalarOf(g, n.inputs[1]).has_value(), c0 = ScalarOf(g, n.inputs[0]).has_value();
      if (c0 == c1 || (n.op_type == "Div" && c0)) break;
      const double c = *ScalarOf(g, n.inputs[c1 ? 1 : 0]);
      m->scale *= n.op_type == "Mul" ? c : 1.0 / c;
      m->nodes.push_back(id);
      cur = n.inputs[c1 ? 0 : 1];
      continue;
    }
    if (n.op_type == "Add" && m->mask_value < 0) {
      // The scores operand leads (through scalar Mul/Div) to a MatMul of two activations; the other is the mask.
      int scores = -1;
      for (int side = 0; side < 2 && scores < 0; ++side) {
        int probe = n.inputs[static_cast<size_t>(side)];
        for (int hop = 0; hop < 4 && probe >= 0; ++hop) {
          const int p = g.values[static_cast<size_t>(probe)].producer;
          if (p < 0) break;
          const WNode& pn = g.nodes[static_cast<size_t>(p)];
          if (pn.domain.empty() && pn.op_type == "MatMul" && IsFloatActivation(g, pn.inputs[0]) &&
              IsFloatActivation(g, pn.inputs[1])) {
            scores = n.inputs[static_cast<size_t>(side)];
            break;
          }
          if (!pn.domain.empty() || (pn.op_type != "Mul" && pn.op_type != "Div")) break;
          probe = ScalarOf(g, pn.inputs[1]) ? pn.inputs[0] : ScalarOf(g, pn.inputs[0]) ? pn.inputs[1] : -1;
        }
      }
      if (scores < 0) break;
      m->mask_value = OtherOperand(n, scores);
      m->nodes.push_back(id);
      cur = scores;
      continue;
    }
    break;
  }
  *why = "Softmax: its input is not (masked, scaled) MatMul(q, k^T) scores";
  return false;
}

// Softmax(scale * q_h k_h^T [+ mask]) [-> Where(IsNaN(p), 0, p)] -> MatMul(v_h) -> Transpose -> Reshape([B, S, H])
//   =>  Attention(q, k, v, mask; num_heads, scale, mask_fill)   (q_h = split_heads(q) and so on)
std::optional<AttentionMatch> Match(const WGraph& g, int softmax_id, std::string* why) {
  const WNode& sm = g.nodes[static_cast<size_t>(softmax_id)];
  const int rank = RankOf(g, sm.inputs[0]);
  if (rank != 4) return std::nullopt;
  const int64_t axis = AttrInt(sm, "axis", g.opset >= 13 ? -1 : 1);
  if (axis != -1 && axis != 3) return std::nullopt;
  AttentionMatch m;
  m.nodes.push_back(softmax_id);
  int qk = -1;
  if (!MatchScores(g, sm.inputs[0], &m, &qk, why)) return std::nullopt;
  const WNode& qk_node = g.nodes[static_cast<size_t>(qk)];
  std::optional<HeadPath> q = WalkHeads(g, qk_node.inputs[0], why);
  if (!q) return std::nullopt;
  std::optional<HeadPath> k = WalkHeads(g, qk_node.inputs[1], why);
  if (!k) return std::nullopt;
  if (q->perm != Perm{0, 2, 1, 3} || k->perm != Perm{0, 2, 3, 1}) {
    *why = "attention: q / k are not laid out as [B, heads, S, d] and [B, heads, d, S]";
    return std::nullopt;
  }
  // Softmax -> [Where(IsNaN(p), 0, p)] -> MatMul(p, v) -> Transpose(0,2,1,3) -> Reshape([B, S, H])
  int probs = sm.outputs[0];
  const std::vector<int> users = g.DataConsumers(probs);
  if (users.size() == 2 && !g.IsGraphOutput(probs)) {
    int isnan = -1, where = -1;
    for (int u : users) {
      const WNode& un = g.nodes[static_cast<size_t>(u)];
      if (un.domain.empty() && un.op_type == "IsNaN") isnan = u;
      if (un.domain.empty() && un.op_type == "Where") where = u;
    }
    if (isnan < 0 || where < 0) return std::nullopt;
    const WNode& w = g.nodes[static_cast<size_t>(where)];
    const int flag = g.nodes[static_cast<size_t>(isnan)].outputs[0];
    if (w.inputs[0] != flag || w.inputs[2] != probs || ScalarOf(g, w.inputs[1]) != 0.0 || !SingleUse(g, flag)) {
      *why = "Softmax: the NaN guard is not Where(IsNaN(p), 0, p)";
      return std::nullopt;
    }
    m.nodes.insert(m.nodes.end(), {isnan, where});
    probs = w.outputs[0];
  }
  int id = -1;
  const WNode* pv = SoleConsumer(g, probs, "MatMul", &id);
  if (!pv || pv->inputs[0] != probs) {
    *why = "Softmax: the probabilities do not feed MatMul(p, v)";
    return std::nullopt;
  }
  m.nodes.push_back(id);
  std::optional<HeadPath> v = WalkHeads(g, pv->inputs[1], why);
  if (!v) return std::nullopt;
  if (v->perm != Perm{0, 2, 1, 3} || v->scale != 1.0) {
    *why = "attention: v is not laid out as [B, heads, S, d]";
    return std::nullopt;
  }
  const WNode* t = SoleConsumer(g, pv->outputs[0], "Transpose", &id);
  if (!t || AttrInts(*t, "perm") != Perm{0, 2, 1, 3}) {
    *why = "attention: the context is not transposed back to [B, S, heads, d]";
    return std::nullopt;
  }
  m.nodes.push_back(id);
  const WNode* r = SoleConsumer(g, t->outputs[0], "Reshape", &id);
  const SymShape *rs = r ? ShapeOf(g, r->outputs[0]) : nullptr, *qs = ShapeOf(g, q->base);
  if (!r || !rs || !qs || rs->size() != 3 || !DimEq(*rs, 0, *qs, 0) || !DimEq(*rs, 1, *qs, 1) ||
      !DimEq(*rs, 2, *qs, 2)) {
    *why = "attention: the heads are not merged back to [B, S, H]";
    return std::nullopt;
  }
  m.nodes.push_back(id);
  if (q->heads != k->heads || q->heads != v->heads || q->head_dim != k->head_dim || q->head_dim != v->head_dim) {
    *why = "attention: q, k and v are split into different head layouts";
    return std::nullopt;
  }
  m.scale *= q->scale * k->scale;
  for (const HeadPath* h : {&*q, &*k, &*v}) m.nodes.insert(m.nodes.end(), h->nodes.begin(), h->nodes.end());
  m.q = *q;
  m.k = *k;
  m.v = *v;
  m.out = r->outputs[0];
  return m;
}

Status Emit(PatternContext& ctx, const AttentionMatch& m) {
  WGraph& g = ctx.g;
  if (!(m.scale > 0) || !std::isfinite(m.scale)) return Unsupported("attention: the score scale is not positive");
  const int64_t heads = m.q.heads;
  if (ctx.options.num_heads > 0 && ctx.options.num_heads != heads) {
    return InvalidArgument("attention: the num_heads option (" + std::to_string(ctx.options.num_heads) +
                           ") contradicts the graph, which splits q/k/v into " + std::to_string(heads) + " heads of " +
                           std::to_string(m.q.head_dim));
  }
  ir::Attributes attrs{{ir::AttrName::kNumHeads, heads}, {ir::AttrName::kScale, m.scale}};
  int mask_input = -1;
  if (m.mask_value >= 0) {
    auto zeros = ConstDoubles(g, m.mask_value);
    if (zeros && std::all_of(zeros->begin(), zeros->end(), [](double z) { return z == 0.0; })) {
      // Adding a constant zero mask changes nothing.
    } else {
      std::string why;
      std::optional<AdditiveMask> mask = ClassifyAdditiveMask(g, m.mask_value, &why);
      if (!mask) return Unsupported("attention: the additive mask is not understood: " + why);
      double fill = mask->fill;
      if (std::isinf(fill)) {
        fill = std::numeric_limits<float>::lowest();
        ctx.Note(
            "attention mask fill -inf (SDPA) imported as the lowest finite float; rows whose keys are all masked "
            "then average the values instead of giving 0 (the exporter's NaN guard)");
      }
      attrs.Set(ir::AttrName::kMaskFill, fill);
      mask_input = mask->input;
    }
  }
  g.AddCanonical(ir::OpType::kAttention, {m.q.base, m.k.base, m.v.base, mask_input}, {m.out}, std::move(attrs),
                 m.nodes);
  ctx.report.Count("attention");
  if (mask_input >= 0) ctx.report.Count("attention_mask");
  if (ctx.report.num_heads != 0 && ctx.report.num_heads != heads)
    ctx.Note("attention blocks use different head counts");
  ctx.report.num_heads = heads;
  ctx.report.hidden_size = heads * m.q.head_dim;
  ++ctx.report.num_layers;
  return Status::Ok();
}

// MatMuls of two activations within a few steps before (scores) and after (context) a Softmax.
std::vector<int> NearbyActivationMatMuls(const WGraph& g, int softmax_id) {
  std::vector<int> out;
  auto is_mm = [&](int id) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    return n.domain.empty() && n.op_type == "MatMul" && IsFloatActivation(g, n.inputs[0]) &&
           IsFloatActivation(g, n.inputs[1]);
  };
  int v = g.nodes[static_cast<size_t>(softmax_id)].inputs[0];
  for (int hop = 0; hop < 4 && v >= 0; ++hop) {
    const int p = g.values[static_cast<size_t>(v)].producer;
    if (p < 0) break;
    if (is_mm(p)) {
      out.push_back(p);
      break;
    }
    v = g.nodes[static_cast<size_t>(p)].inputs.empty() ? -1 : g.nodes[static_cast<size_t>(p)].inputs[0];
  }
  std::vector<int> frontier{g.nodes[static_cast<size_t>(softmax_id)].outputs[0]};
  for (int hop = 0; hop < 3 && !frontier.empty(); ++hop) {
    std::vector<int> next;
    for (int value : frontier) {
      for (int c : g.DataConsumers(value)) {
        if (is_mm(c)) {
          out.push_back(c);
        } else {
          next.insert(next.end(), g.nodes[static_cast<size_t>(c)].outputs.begin(),
                      g.nodes[static_cast<size_t>(c)].outputs.end());
        }
      }
    }
    frontier = next;
  }
  return out;
}

}  // namespace

int FuseAttention(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int fused = 0;
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty() || n.op_type != "Softmax") continue;
    std::string why;
    std::optional<AttentionMatch> m = Match(g, id, &why);
    Status s = m ? Emit(ctx, *m) : Status::Ok();
    if (!s.ok()) why = s.message();
    if (m && s.ok()) {
      ++fused;
      continue;
    }
    if (why.empty()) continue;
    // The Softmax itself still maps to an IR Softmax; the activation x activation MatMuls around it cannot, so the
    // reason goes there too, where the unsupported-op report will show it.
    g.nodes[static_cast<size_t>(id)].note = why;
    for (int mm : NearbyActivationMatMuls(g, id)) {
      if (g.nodes[static_cast<size_t>(mm)].note.empty()) g.nodes[static_cast<size_t>(mm)].note = why;
    }
  }
  return fused;
}

}  // namespace qc::onnx_import
