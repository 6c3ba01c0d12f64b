#include "qat/encoder_layers.h"

#include <string>

namespace qc::qat {
namespace {

using ir::Graph;
using ir::kNoNode;
using ir::kNoValue;
using ir::NodeId;
using ir::OpType;
using ir::ValueId;

// Walks one layer from its Attention node; every failure names the layer and what was expected.
class LayerMatcher {
 public:
  LayerMatcher(const Graph& graph, int index, NodeId attention) : g_(graph), index_(index) {
    layer_.index = index;
    layer_.attention = attention;
  }

  Expected<EncoderLayer> Match() {
    QC_RETURN_IF_ERROR(MatchAttentionInputs());
    QC_RETURN_IF_ERROR(MatchAttentionOutput());
    QC_RETURN_IF_ERROR(MatchFfn());
    return layer_;
  }

 private:
  Status Fail(const std::string& what) const {
    return Unsupported("encoder layer " + std::to_string(index_) + " (" + g_.DescribeNode(layer_.attention) +
                       "): " + what + "; qat/ recognises BERT-style post-LN and ViT-style pre-LN encoder layers " +
                       "(docs/qat.md, 'Layer recognition')");
  }

  // The producer of `value` if it is a live node of type `op`, else kNoNode.
  NodeId ProducerOf(ValueId value, OpType op) const {
    if (value == kNoValue) return kNoNode;
    const NodeId n = g_.value(value).producer;
    return (n != kNoNode && g_.IsLive(n) && g_.node(n).op == op) ? n : kNoNode;
  }

  // The only consumer of `value` if there is exactly one and the value is not a graph output, else kNoNode.
  NodeId SoleConsumer(ValueId value) const {
    const std::vector<NodeId> consumers = g_.Consumers(value);
    if (consumers.size() != 1 || g_.IsGraphOutput(value)) return kNoNode;
    return consumers[0];
  }

  std::string Describe(ValueId value) const {
    const NodeId n = g_.value(value).producer;
    return g_.DescribeValue(value) + (n == kNoNode ? "" : " from " + g_.DescribeNode(n));
  }

  Status MatchAttentionInputs() {
    const ir::Node& attn = g_.node(layer_.attention);
    static const char* const kNames[3] = {"q", "k", "v"};
    NodeId* const slots[3] = {&layer_.query, &layer_.key, &layer_.value};
    for (int i = 0; i < 3; ++i) {
      *slots[i] = ProducerOf(attn.inputs[i], OpType::kLinear);
      if (*slots[i] == kNoNode) {
        return Fail(std::string("input '") + kNames[i] + "' (" + Describe(attn.inputs[i]) +
                    ") is not the output of a Linear node");
      }
    }
    if (layer_.query == layer_.key || layer_.query == layer_.value || layer_.key == layer_.value) {
      return Fail("q, k and v must come from three different Linear nodes");
    }
    attention_input_ = g_.node(layer_.query).inputs[0];
    if (g_.node(layer_.key).inputs[0] != attention_input_ || g_.node(layer_.value).inputs[0] != attention_input_) {
      return Fail("the q, k and v Linears read different values (only self-attention is supported)");
    }
    return Status::Ok();
  }

  Status MatchAttentionOutput() {
    const ValueId context = g_.node(layer_.attention).outputs[0];
    layer_.attention_dense = SoleConsumer(context);
    if (layer_.attention_dense == kNoNode || g_.node(layer_.attention_dense).op != OpType::kLinear ||
        g_.node(layer_.attention_dense).inputs[0] != context) {
      return Fail("the Attention output must have exactly one consumer, the attention-output Linear");
    }
    const ValueId dense_out = g_.node(layer_.attention_dense).outputs[0];
    layer_.attention_residual = SoleConsumer(dense_out);
    if (layer_.attention_residual == kNoNode || g_.node(layer_.attention_residual).op != OpType::kAdd) {
      return Fail("the attention-output Linear " + g_.DescribeNode(layer_.attention_dense) +
                  " must feed exactly one node, the residual Add");
    }
    const ir::Node& add = g_.node(layer_.attention_residual);
    layer_.input = add.inputs[0] == dense_out ? add.inputs[1] : add.inputs[0];
    if (layer_.input == dense_out) return Fail("the attention residual adds the dense output to itself");

    if (attention_input_ == layer_.input) {
      layer_.pre_ln = false;
    } else if (const NodeId ln = ProducerOf(attention_input_, OpType::kLayerNorm);
               ln != kNoNode && g_.node(ln).inputs[0] == layer_.input) {
      layer_.pre_ln = true;
      layer_.attention_norm = ln;
    } else {
      return Fail("the q/k/v input " + Describe(attention_input_) + " is neither the residual input " +
                  Describe(layer_.input) + " (post-LN) nor a LayerNorm of it (pre-LN)");
    }

    const ValueId residual_out = add.outputs[0];
    if (layer_.pre_ln) {
      layer_.attention_output = residual_out;
      return Status::Ok();
    }
    layer_.attention_output_norm = SoleConsumer(residual_out);
    if (layer_.attention_output_norm == kNoNode || g_.node(layer_.attention_output_norm).op != OpType::kLayerNorm) {
      return Fail("post-LN layer: the attention residual " + g_.DescribeNode(layer_.attention_residual) +
                  " must feed exactly one node, a LayerNorm");
    }
    layer_.attention_output = g_.node(layer_.attention_output_norm).outputs[0];
    return Status::Ok();
  }

  // Finds the FFN residual: an Add reading attention_output and the output of a Linear.
  Status MatchFfn() {
    const ValueId s = layer_.attention_output;
    for (NodeId consumer : g_.Consumers(s)) {
      const ir::Node& add = g_.node(consumer);
      if (add.op != OpType::kAdd) continue;
      const ValueId other = add.inputs[0] == s ? add.inputs[1] : add.inputs[0];
      const NodeId out = ProducerOf(other, OpType::kLinear);
      if (out == kNoNode) continue;
      layer_.ffn_residual = consumer;
      layer_.ffn_out = out;
      break;
    }
    if (layer_.ffn_residual == kNoNode) {
      return Fail("no FFN residual found: no Add reads the attention sub-layer output " + Describe(s) +
                  " together with the output of a Linear");
    }
    const ValueId act_out = g_.node(layer_.ffn_out).inputs[0];
    const NodeId act = g_.value(act_out).producer;
    if (act == kNoNode ||
        (g_.node(act).op != OpType::kGelu && g_.node(act).op != OpType::kRelu && g_.node(act).op != OpType::kTanh)) {
      return Fail("the FFN output Linear " + g_.DescribeNode(layer_.ffn_out) + " must read a Gelu, Relu or Tanh, not " +
                  Describe(act_out));
    }
    layer_.ffn_activation = act;
    layer_.ffn_in = ProducerOf(g_.node(act).inputs[0], OpType::kLinear);
    if (layer_.ffn_in == kNoNode) {
      return Fail("the FFN activation " + g_.DescribeNode(act) + " must read the output of a Linear");
    }
    const ValueId ffn_input = g_.node(layer_.ffn_in).inputs[0];
    if (layer_.pre_ln) {
      layer_.ffn_norm = ProducerOf(ffn_input, OpType::kLayerNorm);
      if (layer_.ffn_norm == kNoNode || g_.node(layer_.ffn_norm).inputs[0] != s) {
        return Fail("pre-LN layer: the FFN input Linear " + g_.DescribeNode(layer_.ffn_in) +
                    " must read a LayerNorm of the attention sub-layer output");
      }
    } else if (ffn_input != s) {
      return Fail("post-LN layer: the FFN input Linear " + g_.DescribeNode(layer_.ffn_in) +
                  " must read the attention sub-layer output " + Describe(s));
    }
    const ValueId residual_out = g_.node(layer_.ffn_residual).outputs[0];
    if (layer_.pre_ln) {
      layer_.output = residual_out;
      return Status::Ok();
    }
    layer_.output_norm = SoleConsumer(residual_out);
    if (layer_.output_norm == kNoNode || g_.node(layer_.output_norm).op != OpType::kLayerNorm) {
      return Fail("post-LN layer: the FFN residual " + g_.DescribeNode(layer_.ffn_residual) +
                  " must feed exactly one node, a LayerNorm");
    }
    layer_.output = g_.node(layer_.output_norm).outputs[0];
    return Status::Ok();
  }

  const Graph& g_;
  int index_;
  EncoderLayer layer_;
  ValueId attention_input_ = kNoValue;
};

}  // namespace

std::string_view LinearRoleName(LinearRole role) {
  switch (role) {
    case LinearRole::kQuery:
      return "query";
    case LinearRole::kKey:
      return "key";
    case LinearRole::kValue:
      return "value";
    case LinearRole::kAttentionOutput:
      return "attention_output";
    case LinearRole::kFfnIn:
      return "ffn_in";
    case LinearRole::kFfnOut:
      return "ffn_out";
    case LinearRole::kOther:
      return "other";
  }
  return "invalid";
}

LinearRole EncoderStructure::RoleOf(ir::NodeId linear, int* layer) const {
  for (const EncoderLayer& l : layers) {
    const std::pair<ir::NodeId, LinearRole> parts[] = {
        {l.query, LinearRole::kQuery},  {l.key, LinearRole::kKey},
        {l.value, LinearRole::kValue},  {l.attention_dense, LinearRole::kAttentionOutput},
        {l.ffn_in, LinearRole::kFfnIn}, {l.ffn_out, LinearRole::kFfnOut}};
    for (const auto& [node, role] : parts) {
      if (node == linear) {
        if (layer != nullptr) *layer = l.index;
        return role;
      }
    }
  }
  if (layer != nullptr) *layer = -1;
  return LinearRole::kOther;
}

int EncoderStructure::LayerOfAttention(ir::NodeId attention) const {
  for (const EncoderLayer& l : layers) {
    if (l.attention == attention) return l.index;
  }
  return -1;
}

Expected<EncoderStructure> FindEncoderLayers(const ir::Graph& graph) {
  QC_ASSIGN_OR_RETURN(std::vector<NodeId> order, graph.TopologicalOrder());
  EncoderStructure structure;
  for (NodeId n : order) {
    if (graph.node(n).op != OpType::kAttention) continue;
    const int index = static_cast<int>(structure.layers.size());
    QC_ASSIGN_OR_RETURN(EncoderLayer layer, LayerMatcher(graph, index, n).Match());
    if (index > 0 && structure.layers.back().output != layer.input) {
      return Unsupported("encoder layer " + std::to_string(index) + " (" + graph.DescribeNode(n) + ") reads " +
                         graph.DescribeValue(layer.input) + ", not the output of layer " + std::to_string(index - 1) +
                         " (" + graph.DescribeValue(structure.layers.back().output) +
                         "): the layers must form one chain (docs/qat.md, 'Layer recognition')");
    }
    structure.layers.push_back(layer);
  }
  return structure;
}

}  // namespace qc::qat
