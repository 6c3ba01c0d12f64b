#include "importers/onnx/probe.h"

#include <cmath>
#include <set>

#include "importers/onnx/eval.h"

namespace qc::onnx_import {
namespace {

constexpr size_t kMaxProbeNodes = 4000;

bool IsShapeOnly(const WNode& n) {
  return n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
}

class Prober {
 public:
  Prober(const WGraph& g, const Bindings& b, const std::map<int, HostTensor>& feeds) : g_(g), b_(b), feeds_(feeds) {}

  Expected<HostTensor> Get(int value) {
    auto memo = memo_.find(value);
    if (memo != memo_.end()) return memo->second;
    if (++steps_ > kMaxProbeNodes) return Unsupported("probe: subgraph too large");
    const WValue& v = g_.values[static_cast<size_t>(value)];
    if (v.constant) return Remember(value, HostTensor::FromIr(*v.constant));
    auto feed = feeds_.find(value);
    if (feed != feeds_.end()) return feed->second;
    if (v.producer < 0) return Unsupported("probe: " + g_.DescribeValue(value) + " has no sample value");
    const WNode& n = g_.nodes[static_cast<size_t>(v.producer)];
    if (IsShapeOnly(n)) {
      const WValue& x = g_.values[static_cast<size_t>(n.inputs[0])];
      if (!x.shape) return Unsupported("probe: shape of " + g_.DescribeValue(n.inputs[0]) + " is unknown");
      auto dims = EvaluateShape(*x.shape, b_);
      if (!dims) return Unsupported("probe: shape of " + g_.DescribeValue(n.inputs[0]) + " cannot be evaluated");
      if (n.op_type == "Size") {
        int64_t total = 1;
        for (int64_t d : *dims) total *= d;
        return Remember(value, HostTensor::Ints(onnx::TensorProto::INT64, {}, {total}));
      }
      const auto rank = static_cast<int64_t>(dims->size());
      int64_t start = AttrInt(n, "start", 0), end = AttrInt(n, "end", rank);
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      start = std::clamp<int64_t>(start, 0, rank);
      end = std::clamp<int64_t>(end, start, rank);
      std::vector<int64_t> part(dims->begin() + start, dims->begin() + end);
      const auto len = static_cast<int64_t>(part.size());
      return Remember(value, HostTensor::Ints(onnx::TensorProto::INT64, {len}, std::move(part)));
    }
    if (!IsEvaluableOp(n)) return Unsupported("probe: " + g_.DescribeNode(v.producer) + " is not evaluable");
    std::vector<HostTensor> inputs(n.inputs.size());
    std::vector<const HostTensor*> ptrs(n.inputs.size(), nullptr);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k] < 0) continue;
      QC_ASSIGN_OR_RETURN(inputs[k], Get(n.inputs[k]));
      ptrs[k] = &inputs[k];
    }
    QC_ASSIGN_OR_RETURN(std::vector<HostTensor> outs, EvalNode(n, g_.opset, ptrs));
    for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
      if (n.outputs[k] >= 0) memo_[n.outputs[k]] = outs[k];
    }
    auto it = memo_.find(value);
    if (it == memo_.end()) return Internal("probe: node did not produce the requested output");
    return it->second;
  }

 private:
  Expected<HostTensor> Remember(int value, Expected<HostTensor> t) {
    if (t.ok()) memo_[value] = *t;
    return t;
  }

  const WGraph& g_;
  const Bindings& b_;
  const std::map<int, HostTensor>& feeds_;
  std::map<int, HostTensor> memo_;
  size_t steps_ = 0;
};

// Deterministic 0/1 mask rows: right padding, left padding, no padding, scattered holes.
std::vector<int64_t> MaskRows(int64_t batch, int64_t seq, int variant) {
  std::vector<int64_t> m(static_cast<size_t>(batch * seq), 1);
  uint32_t lcg = 12345u + static_cast<uint32_t>(variant);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t kind = (b + variant) % 4;
    for (int64_t s = 0; s < seq; ++s) {
      int64_t v = 1;
      if (kind == 0) v = s < std::max<int64_t>(1, seq - 2) ? 1 : 0;
      if (kind == 1) v = s >= std::min<int64_t>(2, seq - 1) ? 1 : 0;
      if (kind == 3) {
        lcg = lcg * 1103515245u + 12345u;
        v = ((lcg >> 16) & 3u) != 0 ? 1 : 0;
      }
      m[static_cast<size_t>(b * seq + s)] = v;
    }
    if (variant == 3 && b == 0) {
      for (int64_t s = 0; s < seq; ++s) m[static_cast<size_t>(b * seq + s)] = 0;  // a fully masked row
    }
  }
  return m;
}

}  // namespace

Expected<HostTensor> ProbeValue(const WGraph& graph, int value, const Bindings& bindings,
                                const std::map<int, HostTensor>& feeds) {
  Prober p(graph, bindings, feeds);
  return p.Get(value);
}

std::optional<std::vector<int>> ProbeDataInputs(const WGraph& g, int value) {
  std::set<int> seen, inputs;
  std::vector<int> stack{value};
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    if (v < 0 || !seen.insert(v).second) continue;
    if (seen.size() > kMaxProbeNodes) return std::nullopt;
    const WValue& val = g.values[static_cast<size_t>(v)];
    if (val.constant) continue;
    if (val.is_graph_input) {
      inputs.insert(v);
      continue;
    }
    if (val.producer < 0) return std::nullopt;
    const WNode& n = g.nodes[static_cast<size_t>(val.producer)];
    if (IsShapeOnly(n)) continue;
    if (!IsEvaluableOp(n)) return std::nullopt;
    for (int in : n.inputs) stack.push_back(in);
  }
  return std::vector<int>(inputs.begin(), inputs.end());
}

std::vector<Bindings> SampleBindings(const WGraph& g) {
  std::set<std::string> symbols;
  for (int in : g.inputs) {
    const WValue& v = g.values[static_cast<size_t>(in)];
    if (!v.shape) continue;
    for (const SymDim& d : *v.shape) {
      if (!d) continue;
      for (const std::string& s : d->Symbols()) symbols.insert(s);
    }
  }
  const int64_t table[3][4] = {{2, 5, 3, 4}, {3, 7, 2, 6}, {1, 1, 1, 1}};
  std::vector<Bindings> out(3);
  for (size_t set = 0; set < 3; ++set) {
    size_t k = 0;
    for (const std::string& s : symbols) out[set][s] = table[set][k++ % 4];
  }
  return out;
}

std::optional<AdditiveMask> ClassifyAdditiveMask(const WGraph& g, int value, std::string* why) {
  auto deps = ProbeDataInputs(g, value);
  if (!deps || deps->size() != 1) {
    *why = "the additive mask does not depend on exactly one graph input through evaluable ops";
    return std::nullopt;
  }
  const int input = (*deps)[0];
  const WValue& m = g.values[static_cast<size_t>(input)];
  if (!m.shape || m.shape->size() != 2) {
    *why = "the mask input " + g.DescribeValue(input) + " is not 2-D";
    return std::nullopt;
  }
  AdditiveMask result;
  result.input = input;
  bool have_fill = false;
  std::vector<Bindings> samples = SampleBindings(g);
  samples.push_back(samples[0]);  // variant 3: same sizes, a fully masked row
  for (size_t variant = 0; variant < samples.size(); ++variant) {
    auto dims = EvaluateShape(*m.shape, samples[variant]);
    if (!dims) {
      *why = "the mask input's shape cannot be evaluated";
      return std::nullopt;
    }
    const int64_t batch = (*dims)[0], seq = (*dims)[1];
    std::vector<int64_t> bits = MaskRows(batch, seq, static_cast<int>(variant));
    HostTensor feed = HostTensor::Zeros(m.dtype, *dims, bits.size());
    for (size_t k = 0; k < bits.size(); ++k) feed.SetInt(k, bits[k]);
    Expected<HostTensor> out = ProbeValue(g, value, samples[variant], {{input, feed}});
    if (!out.ok()) {
      *why = out.status().message();
      return std::nullopt;
    }
    std::vector<int64_t> md = out->dims;
    if (md.size() > 4 || !out->is_float()) {
      *why = "the additive mask is not a float tensor of rank <= 4";
      return std::nullopt;
    }
    md.insert(md.begin(), 4 - md.size(), 1);
    if ((md[0] != 1 && md[0] != batch) || (md[2] != 1 && md[2] != seq) || md[3] != seq) {
      *why = "the additive mask's shape does not broadcast to [batch, heads, sequence, sequence]";
      return std::nullopt;
    }
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t h = 0; h < md[1]; ++h) {
        for (int64_t q = 0; q < seq; ++q) {
          for (int64_t k = 0; k < seq; ++k) {
            const int64_t at = (((md[0] == 1 ? 0 : b) * md[1] + h) * md[2] + (md[2] == 1 ? 0 : q)) * md[3] + k;
            const double v = out->f[static_cast<size_t>(at)];
            if (bits[static_cast<size_t>(b * seq + k)] != 0) {
              if (v != 0.0) {
                *why = "an attended position does not add 0 to the scores";
                return std::nullopt;
              }
            } else if (!have_fill) {
              if (!(v <= -1e4)) {
                *why = "a masked position adds " + std::to_string(v) + ", not a large negative value";
                return std::nullopt;
              }
              result.fill = v;
              have_fill = true;
            } else if (v != result.fill) {
              *why = "masked positions add different values";
              return std::nullopt;
            }
          }
        }
      }
    }
  }
  if (!have_fill) {
    *why = "no masked position was observed";
    return std::nullopt;
  }
  return result;
}

std::optional<int> ClassifyExpandedMask(const WGraph& g, int value, int like, std::string* why) {
  auto deps = ProbeDataInputs(g, value);
  if (!deps || deps->size() != 1) {
    *why = "the mask does not depend on exactly one graph input through evaluable ops";
    return std::nullopt;
  }
  const int input = (*deps)[0];
  const WValue& m = g.values[static_cast<size_t>(input)];
  const WValue& x = g.values[static_cast<size_t>(like)];
  if (!m.shape || m.shape->size() != 2 || !x.shape || x.shape->size() != 3) {
    *why = "the mask input is not [batch, sequence] or the pooled value is not [batch, sequence, hidden]";
    return std::nullopt;
  }
  std::vector<Bindings> samples = SampleBindings(g);
  samples.push_back(samples[0]);
  for (size_t variant = 0; variant < samples.size(); ++variant) {
    auto md = EvaluateShape(*m.shape, samples[variant]);
    auto xd = EvaluateShape(*x.shape, samples[variant]);
    if (!md || !xd || (*md)[0] != (*xd)[0] || (*md)[1] != (*xd)[1]) {
      *why = "the mask and the pooled value disagree on [batch, sequence]";
      return std::nullopt;
    }
    const int64_t batch = (*md)[0], seq = (*md)[1], hidden = (*xd)[2];
    std::vector<int64_t> bits = MaskRows(batch, seq, static_cast<int>(variant));
    HostTensor feed = HostTensor::Zeros(m.dtype, *md, bits.size());
    for (size_t k = 0; k < bits.size(); ++k) feed.SetInt(k, bits[k]);
    Expected<HostTensor> out = ProbeValue(g, value, samples[variant], {{input, feed}});
    if (!out.ok()) {
      *why = out.status().message();
      return std::nullopt;
    }
    std::vector<int64_t> od = out->dims;
    if (od.size() != 3 || (od[0] != batch) || (od[1] != seq) || (od[2] != 1 && od[2] != hidden)) {
      *why = "the mask does not broadcast as [batch, sequence, 1 or hidden]";
      return std::nullopt;
    }
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t s = 0; s < seq; ++s) {
        for (int64_t h = 0; h < od[2]; ++h) {
          const double v = out->AsDouble(static_cast<size_t>((b * seq + s) * od[2] + h));
          if (v != static_cast<double>(bits[static_cast<size_t>(b * seq + s)])) {
            *why = "the value is not the 0/1 mask broadcast over the hidden axis";
            return std::nullopt;
          }
        }
      }
    }
  }
  return input;
}

std::optional<IndexValue> ClassifyIndexValue(const WGraph& g, int value, std::string* why) {
  auto deps = ProbeDataInputs(g, value);
  if (!deps || !deps->empty()) {
    *why = "the index tensor depends on graph inputs or on ops that cannot be evaluated";
    return std::nullopt;
  }
  IndexValue result;
  result.constant = result.arange = true;
  bool first = true;
  for (const Bindings& b : SampleBindings(g)) {
    Expected<HostTensor> t = ProbeValue(g, value, b, {});
    if (!t.ok()) {
      *why = t.status().message();
      return std::nullopt;
    }
    if (t->is_float() || t->size() == 0) {
      *why = "the index tensor is empty or not integer";
      return std::nullopt;
    }
    const int64_t last = t->dims.empty() ? 1 : t->dims.back();
    if (first) {
      result.fill = t->i[0];
      result.offset = t->i[0];
      first = false;
    }
    for (size_t k = 0; k < t->i.size(); ++k) {
      if (t->i[k] != result.fill) result.constant = false;
      if (t->i[k] != result.offset + static_cast<int64_t>(k) % last) result.arange = false;
    }
  }
  if (result.constant) result.arange = false;  // a single position is reported as constant
  if (!result.constant && !result.arange) {
    *why = "the index tensor is neither constant nor an arange along its last axis";
    return std::nullopt;
  }
  return result;
}

}  // namespace qc::onnx_import
