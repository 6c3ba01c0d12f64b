#include "passes/merge_qkv.h"

#include <cstring>
#include <optional>

#include "ir/rewriter.h"
#include "passes/naming.h"
#include "runtime/quant/i4_pack.h"
#include "runtime/quant/i8_pack.h"
#include "runtime/quant/t2_pack.h"

namespace qc::passes {
namespace {

// Rows per packed row group: blobs of whole groups concatenate into the packing of the stacked matrix.
int64_t RowGroup(ir::QWeightFormat format) {
  switch (format) {
    case ir::QWeightFormat::kT2R4K128:
      return static_cast<int64_t>(kT2RowGroup);
    case ir::QWeightFormat::kI4:
      return static_cast<int64_t>(kI4RowGroup);
    case ir::QWeightFormat::kI8:
      return static_cast<int64_t>(kI8RowGroup);
  }
  return 0;
}

// Attributes compared bit for bit: two QLinears quantize x identically iff these match (ir/op_schema.cc).
bool SameBits(const ir::AttrValue& a, const ir::AttrValue& b) {
  if (a.index() != b.index()) return false;
  if (const double* da = std::get_if<double>(&a)) {
    const double db = std::get<double>(b);
    return std::memcmp(da, &db, sizeof(double)) == 0;
  }
  return a == b;
}

// "<longest common prefix cut after its last '/' or '.'>qkv".
std::string MergedName(const std::string& a, const std::string& b, const std::string& c) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && n < c.size() && a[n] == b[n] && a[n] == c[n]) ++n;
  const size_t cut = a.find_last_of("/.", n == 0 ? std::string::npos : n - 1);
  return (n == 0 || cut == std::string::npos ? std::string() : a.substr(0, cut + 1)) + "qkv";
}

// Everything the rewrite of one site needs, gathered before the graph changes.
struct Site {
  ir::NodeId attention = ir::kNoNode;
  ir::NodeId proj[3] = {ir::kNoNode, ir::kNoNode, ir::kNoNode};
  int64_t hidden = 0;
};

// The three producers of a QAttention when the rule holds, else nullopt (the site is left alone).
// A QLinear's act_groups (optional attribute, absent = 1; a malformed one reads 0 and matches nothing valid).
int64_t ActGroupsOf(const ir::Node& p) {
  if (!p.attributes.Has(ir::AttrName::kActGroups)) return 1;
  auto groups = p.attributes.GetInt(ir::AttrName::kActGroups, "");
  return groups.ok() ? *groups : 0;
}

std::optional<Site> Match(const ir::Graph& g, ir::NodeId a) {
  const ir::Node& attn = g.node(a);
  if (attn.quant || attn.inputs.size() < 3) return std::nullopt;
  Site site;
  site.attention = a;
  const ir::Shape& q_shape = g.value(attn.inputs[0]).shape;
  if (q_shape.size() != 3 || !q_shape[2].is_static()) return std::nullopt;
  site.hidden = q_shape[2].size();
  for (int i = 0; i < 3; ++i) {
    const ir::ValueId out = attn.inputs[static_cast<size_t>(i)];
    const ir::NodeId p = g.value(out).producer;
    if (p == ir::kNoNode || g.node(p).op != ir::OpType::kQLinear || g.node(p).quant) return std::nullopt;
    for (int j = 0; j < i; ++j) {
      if (site.proj[j] == p) return std::nullopt;  // QAttention(q, q, q): one projection, nothing to merge
    }
    if (g.IsGraphOutput(out) || g.Consumers(out) != std::vector<ir::NodeId>{a}) return std::nullopt;
    site.proj[i] = p;
  }
  const ir::Node& q = g.node(site.proj[0]);
  for (int i = 0; i < 3; ++i) {
    const ir::Node& p = g.node(site.proj[i]);
    if (p.inputs[0] != q.inputs[0]) return std::nullopt;
    for (ir::AttrName key : {ir::AttrName::kWeightFormat, ir::AttrName::kInFeatures, ir::AttrName::kActGranularity,
                             ir::AttrName::kActClip, ir::AttrName::kActAmax, ir::AttrName::kEpilogue}) {
      const ir::AttrValue* mine = p.attributes.Find(key);
      const ir::AttrValue* first = q.attributes.Find(key);
      if (mine == nullptr || first == nullptr || !SameBits(*mine, *first)) return std::nullopt;
    }
    // act_groups is optional (absent = 1).
    if (ActGroupsOf(p) != ActGroupsOf(q)) {
      return std::nullopt;
    }
    auto epilogue = p.attributes.GetInt(ir::AttrName::kEpilogue, "");
    auto n = p.attributes.GetInt(ir::AttrName::kOutFeatures, "");
    if (!epilogue.ok() || *epilogue != static_cast<int64_t>(ir::QEpilogue::kNone)) return std::nullopt;
    if (!n.ok() || *n != site.hidden) return std::nullopt;
    for (size_t k = 1; k < p.inputs.size(); ++k) {
      if (p.inputs[k] != ir::kNoValue && !g.value(p.inputs[k]).constant) return std::nullopt;
    }
  }
  auto format_value = q.attributes.GetInt(ir::AttrName::kWeightFormat, "");
  if (!format_value.ok()) return std::nullopt;
  auto format = ir::QWeightFormatFromInt(*format_value, "");
  if (!format.ok()) return std::nullopt;
  const int64_t group = RowGroup(*format);
  if (group <= 0 || site.hidden % group != 0) return std::nullopt;
  return site;
}

// One QLinear's bias, or H zeros (+0.0f, what the kernels add for a missing bias).
Expected<std::vector<float>> BiasOf(const ir::Graph& g, const ir::Node& p, int64_t hidden) {
  if (p.inputs.size() < 4 || p.inputs[3] == ir::kNoValue) return std::vector<float>(static_cast<size_t>(hidden), 0.0f);
  return g.value(p.inputs[3]).constant->ToVector<float>();
}

// The merged QLinear's constants and attributes; nothing is added to the graph yet.
struct Merged {
  ir::Tensor weight, scale;
  std::optional<ir::Tensor> bias;
  ir::Attributes attributes;
};

Expected<Merged> BuildMerged(const ir::Graph& g, const Site& site) {
  const ir::Node& q = g.node(site.proj[0]);
  const std::string owner = g.DescribeNode(site.proj[0]);
  QC_ASSIGN_OR_RETURN(int64_t format_value, q.attributes.GetInt(ir::AttrName::kWeightFormat, owner));
  QC_ASSIGN_OR_RETURN(ir::QWeightFormat format, ir::QWeightFormatFromInt(format_value, owner));
  QC_ASSIGN_OR_RETURN(int64_t k, q.attributes.GetInt(ir::AttrName::kInFeatures, owner));
  const int64_t groups = ActGroupsOf(q);
  const int64_t h = site.hidden;
  QC_ASSIGN_OR_RETURN(int64_t merged_bytes, ir::QWeightPackedBytes(format, 3 * h, k, groups, owner));
  QC_ASSIGN_OR_RETURN(int64_t slice_bytes, ir::QWeightPackedBytes(format, h, k / groups, owner));
  std::vector<uint8_t> bytes;
  std::vector<float> scales, bias;
  bool any_bias = false;
  // With act_groups, each projection is `groups` column slices; the merged slice g is q's, k's and v's slice g.
  for (int64_t s = 0; s < groups; ++s) {
    for (ir::NodeId id : site.proj) {
      const ir::Tensor& w = *g.value(g.node(id).inputs[1]).constant;
      if (static_cast<int64_t>(w.byte_size()) != slice_bytes * groups) {
        return Internal(owner + ": projection weight is " + std::to_string(w.byte_size()) + " bytes, expected " +
                        std::to_string(slice_bytes * groups));
      }
      const uint8_t* slice = w.raw_data() + s * slice_bytes;
      bytes.insert(bytes.end(), slice, slice + slice_bytes);
    }
  }
  for (ir::NodeId id : site.proj) {
    const ir::Node& p = g.node(id);
    QC_ASSIGN_OR_RETURN(std::vector<float> s, g.value(p.inputs[2]).constant->ToVector<float>());
    if (s.size() == 1) s.assign(static_cast<size_t>(h), s[0]);
    scales.insert(scales.end(), s.begin(), s.end());
    QC_ASSIGN_OR_RETURN(std::vector<float> b, BiasOf(g, p, h));
    bias.insert(bias.end(), b.begin(), b.end());
    any_bias = any_bias || (p.inputs.size() > 3 && p.inputs[3] != ir::kNoValue);
  }
  // Whole row groups side by side are the [3H, K] packing (asserted against the packers in tests/passes).
  if (static_cast<int64_t>(bytes.size()) != merged_bytes || static_cast<int64_t>(scales.size()) != 3 * h) {
    return Internal(owner + ": merged q/k/v weights are " + std::to_string(bytes.size()) + " bytes, expected " +
                    std::to_string(merged_bytes));
  }
  QC_ASSIGN_OR_RETURN(ir::Tensor weight, ir::Tensor::FromBytes(ir::DType::kU8, {merged_bytes}, std::move(bytes)));
  QC_ASSIGN_OR_RETURN(ir::Tensor scale, ir::Tensor::FromVector<float>({3 * h}, std::move(scales)));
  Merged m{std::move(weight), std::move(scale), std::nullopt, q.attributes};
  if (any_bias) {
    QC_ASSIGN_OR_RETURN(m.bias, ir::Tensor::FromVector<float>({3 * h}, std::move(bias)));
  }
  m.attributes.Set(ir::AttrName::kOutFeatures, 3 * h);
  return m;
}

// Rule: QAttention(QLinear_q(x), QLinear_k(x), QLinear_v(x), mask) -> QAttentionQkv(QLinear_qkv(x), mask).
Status Rewrite(ir::Graph& g, const Site& site, Merged merged) {
  ir::Rewriter rw(g);
  // Copies: inserting nodes may move the node array.
  const ir::Node q = g.node(site.proj[0]), k = g.node(site.proj[1]), v = g.node(site.proj[2]);
  const ir::Node attn = g.node(site.attention);
  const std::string node_name = MergedName(q.name, k.name, v.name);
  const std::string w_base =
      MergedName(g.value(q.inputs[1]).name, g.value(k.inputs[1]).name, g.value(v.inputs[1]).name);
  QC_ASSIGN_OR_RETURN(ir::ValueId w, rw.AddConstant(UniqueValueName(g, w_base + ".qweight"), std::move(merged.weight)));
  QC_ASSIGN_OR_RETURN(ir::ValueId s, rw.AddConstant(UniqueValueName(g, w_base + ".qscale"), std::move(merged.scale)));
  std::vector<ir::ValueId> inputs = {q.inputs[0], w, s};
  if (merged.bias) {
    QC_ASSIGN_OR_RETURN(ir::ValueId b, rw.AddConstant(UniqueValueName(g, w_base + ".qbias"), std::move(*merged.bias)));
    inputs.push_back(b);
  }
  QC_ASSIGN_OR_RETURN(ir::ValueId qkv, rw.InsertOp(ir::OpType::kQLinear, node_name, inputs, merged.attributes));
  std::vector<ir::ValueId> attn_inputs = {qkv};
  if (attn.inputs.size() > 3) attn_inputs.push_back(attn.inputs[3]);
  const ir::ValueId old_out = attn.outputs[0];
  QC_ASSIGN_OR_RETURN(ir::ValueId out,
                      rw.InsertOp(ir::OpType::kQAttentionQkv, attn.name, attn_inputs, attn.attributes));
  QC_RETURN_IF_ERROR(rw.ReplaceAllUsesWith(old_out, out));
  QC_RETURN_IF_ERROR(rw.EraseNode(site.attention));
  for (ir::NodeId p : site.proj) QC_RETURN_IF_ERROR(rw.EraseNode(p));
  // The attention output keeps its name (graph outputs already took it in ReplaceAllUsesWith).
  if (g.value(out).name.empty() && !g.value(old_out).name.empty()) {
    g.mutable_value(out).name = std::move(g.mutable_value(old_out).name);
    g.mutable_value(old_out).name.clear();
  }
  return Status::Ok();
}

class MergeQkvPass final : public Pass {
 public:
  std::string_view name() const override { return "merge_qkv"; }
  Expected<bool> Run(ir::Graph& graph, PassContext&) override {
    QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
    bool changed = false;
    for (ir::NodeId a : order) {
      if (graph.node(a).erased || graph.node(a).op != ir::OpType::kQAttention) continue;
      const std::optional<Site> site = Match(graph, a);
      if (!site) continue;
      QC_ASSIGN_OR_RETURN(Merged merged, BuildMerged(graph, *site));
      QC_RETURN_IF_ERROR(Rewrite(graph, *site, std::move(merged)));
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeMergeQkvPass() {
  return std::make_unique<MergeQkvPass>();
}

}  // namespace qc::passes
