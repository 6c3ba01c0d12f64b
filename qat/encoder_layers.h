// qat/encoder_layers.h: finds the Transformer encoder layers of an IR graph by walking it from its Attention nodes.
//
// Overview
//   Distillation (docs/method.md §3-§4) needs per-layer signals: the hidden state entering and leaving each layer,
//   the attention scores, probabilities and context, the attention-output dense output and the attention sub-layer
//   output. The IR has no "layer" concept, so FindEncoderLayers() recognises layers structurally. This header is
//   torch-free (pure IR analysis), so passes and tools may use it too.
//
//   The rule, per live Attention node in topological order (layer i is the i-th Attention node):
//     1. q, k and v are each produced by a distinct Linear node, and the three Linears read the same value `a`
//        (self-attention).
//     2. The Attention output has exactly one consumer, a Linear (the attention-output dense), and is not a graph
//        output. The dense output has exactly one consumer, an Add (the attention residual) whose other operand is `x`
//        (the layer input).
//     3. Placement: post-LN (BERT) when a == x; pre-LN (ViT) when `a` is the output of a LayerNorm reading x.
//     4. Attention sub-layer output `s`: post-LN, the residual Add's only consumer is a LayerNorm and s is its output;
//        pre-LN, s is the residual Add's output.
//     5. FFN: an Add consumer of s (the FFN residual) whose other operand comes from a Linear (FFN out) reading an
//        activation (Gelu, Relu or Tanh) reading a Linear (FFN in) that reads s (post-LN) or LayerNorm(s) (pre-LN).
//     6. Layer output: post-LN, the FFN residual's only consumer is a LayerNorm and the output is its output; pre-LN,
//        the FFN residual's output. Layer i+1's input must be layer i's output (the layers form one chain).
//   Any violation is an error naming the layer, the node and what was expected, so a graph whose structure this
//   module does not understand fails clearly instead of producing wrong taps. A graph without Attention nodes has
//   zero layers (not an error).
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::qat::EncoderStructure s, qc::qat::FindEncoderLayers(graph));
//   for (const qc::qat::EncoderLayer& layer : s.layers)
//     std::cout << graph.DescribeNode(layer.attention) << " " << (layer.pre_ln ? "pre-LN" : "post-LN") << "\n";
//   qc::qat::LinearRole role = s.RoleOf(linear_node);          // kQuery ... kFfnOut, or kOther (pooler, classifier)
#pragma once

#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::qat {

/// What a Linear node does inside an encoder layer; kOther outside any layer (pooler, classifier, ...).
enum class LinearRole : uint8_t { kQuery, kKey, kValue, kAttentionOutput, kFfnIn, kFfnOut, kOther };

/// "query", "key", "value", "attention_output", "ffn_in", "ffn_out", "other".
std::string_view LinearRoleName(LinearRole role);

/// One encoder layer: node ids of its parts and the value ids of the hidden states around it.
struct EncoderLayer {
  int index = 0;
  bool pre_ln = false;                             ///< ViT-style: LayerNorm before attention and FFN, none after
  ir::ValueId input = ir::kNoValue;                ///< hidden state entering the layer (the residual operand)
  ir::NodeId attention_norm = ir::kNoNode;         ///< pre-LN only: LayerNorm(input) feeding q/k/v
  ir::NodeId query = ir::kNoNode;                  ///< Linear producing Attention input q
  ir::NodeId key = ir::kNoNode;                    ///< Linear producing k
  ir::NodeId value = ir::kNoNode;                  ///< Linear producing v
  ir::NodeId attention = ir::kNoNode;              ///< the Attention node; its output is the context
  ir::NodeId attention_dense = ir::kNoNode;        ///< the attention-output Linear
  ir::NodeId attention_residual = ir::kNoNode;     ///< Add(dense output, input)
  ir::NodeId attention_output_norm = ir::kNoNode;  ///< post-LN only: LayerNorm after the attention residual
  ir::ValueId attention_output = ir::kNoValue;     ///< post-LN: that LayerNorm's output; pre-LN: the residual sum
  ir::NodeId ffn_norm = ir::kNoNode;               ///< pre-LN only: LayerNorm(attention_output) feeding the FFN
  ir::NodeId ffn_in = ir::kNoNode;                 ///< first FFN Linear
  ir::NodeId ffn_activation = ir::kNoNode;         ///< Gelu / Relu / Tanh
  ir::NodeId ffn_out = ir::kNoNode;                ///< second FFN Linear
  ir::NodeId ffn_residual = ir::kNoNode;           ///< Add(FFN output, attention_output)
  ir::NodeId output_norm = ir::kNoNode;            ///< post-LN only: LayerNorm after the FFN residual
  ir::ValueId output = ir::kNoValue;               ///< hidden state leaving the layer
};

struct EncoderStructure {
  std::vector<EncoderLayer> layers;

  /// The role of a Linear node and, through `layer`, its layer index (-1 outside any layer).
  LinearRole RoleOf(ir::NodeId linear, int* layer = nullptr) const;
  /// The layer whose Attention node is `attention`, or -1.
  int LayerOfAttention(ir::NodeId attention) const;
};

/// Recognises the encoder layers (see the rule in the header comment). Errors name the layer and node.
Expected<EncoderStructure> FindEncoderLayers(const ir::Graph& graph);

}  // namespace qc::qat
