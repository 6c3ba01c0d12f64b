// qat/torch_model.h: a trainable LibTorch model built from any IR graph, with per-layer taps, hooks for fake
// quantization and Teacher Intervention, and write-back of trained weights into the graph.
//
// Overview
//   TorchModel::Build(graph) compiles the graph into a list of steps (one per live node, topological order) that the
//   forward pass interprets with ATen ops, following docs/ir.md exactly; batch and sequence stay dynamic. Every f32
//   constant read at a weight position (Linear weight/bias, Embedding table, LayerNorm gamma/beta, PatchEmbed
//   weight/bias, PrependToken token, AddPositionEmbedding table) becomes a trainable parameter (requires_grad) of
//   module(), registered under its IR value name sanitised for torch ('.' and other characters -> '_'; see
//   parameter_info() for the map). Other constants (index arithmetic, constant rows added by Add) are buffers.
//
//   Encoder layers are recognised structurally (qat/encoder_layers.h). A forward pass can record taps (Taps, only the
//   kinds asked for) and apply hooks:
//   - weight transforms per weight site (Linear / Embedding / PatchEmbed weight): forward uses fn(weight), e.g. a TWN
//     fake quantizer with a straight-through gradient;
//   - activation transforms per activation site: every Linear input, and per Attention node Q, K, V (in the
//     [B, heads, S, d] layout) and the attention probabilities [B, heads, Sq, Sk] (docs/method.md §2);
//   - per-layer interventions (Teacher Intervention, method.md §4.2): replace the probabilities, the context or the
//     attention-output dense output by given tensors, and stop the gradient at the Q/K and/or V Linear inputs.
//   WriteBackWeights() copies the trained parameters back into the graph's constants for the exporter.
//
//   This header includes LibTorch: only code inside qat/ (and its tests) may include it. Errors are Status values;
//   LibTorch exceptions are caught (qat/torch_guard.h) and name the node being executed. docs/qat.md has the design.
//
// Usage
//   QC_ASSIGN_OR_RETURN(std::unique_ptr<qc::qat::TorchModel> model, qc::qat::TorchModel::Build(graph));
//   model->SetWeightTransforms([](const qc::qat::WeightSite& s) -> qc::qat::TensorTransform {
//     if (s.op != qc::ir::OpType::kLinear || s.produces_graph_output) return nullptr;   // keep the classifier FP32
//     return [](const torch::Tensor& w) { return MyTwnQuantizer(w); };
//   });
//   qc::qat::ForwardOptions options;
//   options.taps = qc::qat::kTapHidden | qc::qat::kTapScores;
//   QC_ASSIGN_OR_RETURN(qc::qat::ForwardResult r, model->Forward({{"input_ids", ids}, {"attention_mask", mask},
//                                                                 {"token_type_ids", types}}, options));
//   torch::Tensor logits = r.outputs[0];           // r.taps.layers[1].scores: [B, heads, S, S]
//   ... loss.backward(); optimizer.step() on model->parameters() ...
//   QC_RETURN_IF_ERROR(qc::qat::WriteBackWeights(*model, graph));
#pragma once

// clang-format off
#include <torch/torch.h>
// clang-format on

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "qat/encoder_layers.h"
#include "qcompress/status.h"

namespace qc::qat {

/// A tensor-to-tensor function applied inside the forward pass (a fake quantizer, a test transform). Must return a
/// tensor of the same shape; it may keep state (scales) and carry its own autograd logic.
using TensorTransform = std::function<torch::Tensor(const torch::Tensor&)>;

/// What a weight transform may be applied to. kRows: it maps each row on its own (per-row TWN or int quantization),
/// so transform(w)[r] == transform(w[rows])[i] for w[rows][i] == w[r]; an Embedding then transforms only the rows a
/// batch reads (a 30k-row table is read a few hundred rows at a time), with identical values and gradients.
enum class WeightTransformScope : uint8_t { kWholeTensor, kRows };

/// Replaces a Linear's whole computation y = f(x, W, b) (x after any intervention detach, W the raw parameter, b the
/// bias or nullopt): the QLinear simulation of qat/fake_quant.h. Must return [..., N].
using LinearFunction =
    std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& w, const c10::optional<torch::Tensor>& b)>;

/// A weight the forward pass reads: input 1 of a Linear, Embedding or PatchEmbed node, when it is a constant.
struct WeightSite {
  ir::NodeId node = ir::kNoNode;
  std::string node_name;  ///< the IR node name (may be empty)
  ir::OpType op = ir::OpType::kLinear;
  std::string weight;  ///< IR value name of the weight constant
  std::string input;   ///< IR value name of the node's data input ("input_ids" for the word embedding; may be empty)
  ir::ValueId input_value = ir::kNoValue;  ///< the data input's id (names may be empty)
  int layer = -1;      ///< encoder layer of a Linear, -1 outside layers and for other ops
  LinearRole role = LinearRole::kOther;
  bool produces_graph_output = false;  ///< e.g. the classifier Linear that method.md keeps in FP32
};

/// Where an activation transform is applied (docs/method.md §2, "Where activations are quantized").
enum class ActivationPoint : uint8_t {
  kLinearInput,     ///< x of a Linear, after a Teacher-Intervention detach
  kQuery,           ///< q split into heads: [B, heads, Sq, d], before q·kᵀ
  kKey,             ///< k: [B, heads, Sk, d]
  kValue,           ///< v: [B, heads, Sk, d], before P·V
  kAttentionProbs,  ///< P: [B, heads, Sq, Sk], after an intervention substitutes it, before P·V
};
/// "linear_input", "query", "key", "value", "attention_probs".
std::string_view ActivationPointName(ActivationPoint point);

struct ActivationSite {
  ActivationPoint point = ActivationPoint::kLinearInput;
  ir::NodeId node = ir::kNoNode;  ///< the Linear (kLinearInput) or Attention node
  std::string node_name;
  int layer = -1;
  LinearRole role = LinearRole::kOther;  ///< for kLinearInput
  bool produces_graph_output = false;    ///< for kLinearInput
};

/// Which taps a forward pass records (bit flags; combine with |).
enum TapKind : uint32_t {
  kTapNone = 0,
  kTapHidden = 1u << 0,           ///< embedding_output and every layer's input/output
  kTapScores = 1u << 1,           ///< pre-softmax scores: scale·q·kᵀ + (1 - mask)·mask_fill, [B, heads, Sq, Sk]
  kTapProbs = 1u << 2,            ///< softmax(scores), [B, heads, Sq, Sk]
  kTapContext = 1u << 3,          ///< the Attention node output (P·V, heads merged), [B, Sq, H]
  kTapAttentionDense = 1u << 4,   ///< the attention-output Linear's output (before the residual), [B, Sq, H]
  kTapAttentionOutput = 1u << 5,  ///< post-LN: LayerNorm(dense + input); pre-LN: dense + input, [B, Sq, H]
  kTapAll = (1u << 6) - 1,
};

/// The student's own signals of one layer (an intervention changes what flows downstream, not these records).
/// Tensors are undefined unless their kind was requested.
struct LayerTaps {
  torch::Tensor input;             ///< hidden state entering the layer (kTapHidden)
  torch::Tensor scores;            ///< kTapScores
  torch::Tensor probs;             ///< kTapProbs
  torch::Tensor context;           ///< kTapContext
  torch::Tensor attention_dense;   ///< kTapAttentionDense
  torch::Tensor attention_output;  ///< kTapAttentionOutput
  torch::Tensor output;            ///< hidden state leaving the layer (kTapHidden)
};

struct Taps {
  torch::Tensor embedding_output;  ///< = layers[0].input: the hidden state H_0 (kTapHidden)
  std::vector<LayerTaps> layers;
  /// H_0..H_L (embedding output, then each layer's output): method.md §3.1's L+1 hidden states.
  std::vector<torch::Tensor> HiddenStates() const;
};

/// Teacher Intervention for one layer (method.md §4.2). Substitutes are used as given (compute them under
/// torch::NoGradGuard, e.g. from a teacher forward's taps, to get the stop-gradient the method prescribes) and must
/// have exactly the shape of the signal they replace.
struct LayerIntervention {
  torch::Tensor probs;            ///< replaces softmax(scores) [B, heads, Sq, Sk] (TI-M / MI)
  torch::Tensor context;          ///< replaces the Attention output [B, Sq, H] (CI)
  torch::Tensor attention_dense;  ///< replaces the attention-output Linear's output [B, Sq, H] (TI-O / OI)
  bool detach_qk_input = false;   ///< stop-gradient at the input of the Q and K Linears
  bool detach_v_input = false;    ///< stop-gradient at the input of the V Linear
};

struct ForwardOptions {
  uint32_t taps = kTapNone;  ///< TapKind flags
  /// Empty (no intervention) or one entry per encoder layer.
  std::vector<LayerIntervention> interventions;
};

struct ForwardResult {
  std::vector<std::string> names;      ///< graph output names, in graph order
  std::vector<torch::Tensor> outputs;  ///< same order
  Taps taps;                           ///< filled only as ForwardOptions::taps asks
  /// The output named `name`, or an undefined tensor.
  torch::Tensor Output(std::string_view name) const;
};

struct TorchModelOptions {
  /// When the encoder layers cannot be recognised: true fails Build(); false builds anyway, and forward passes that
  /// ask for taps or interventions fail with the recognition error.
  bool require_encoder_layers = true;
};

/// One trainable parameter: its IR constant and its name in module().
struct ParameterInfo {
  std::string ir_name;
  std::string torch_name;
  std::vector<int64_t> dims;
};

class TorchModel {
 public:
  /// Compiles `graph` (which must verify). The model copies what it needs; the graph may change afterwards.
  static Expected<std::unique_ptr<TorchModel>> Build(const ir::Graph& graph, const TorchModelOptions& options = {});
  ~TorchModel();
  TorchModel(const TorchModel&) = delete;
  TorchModel& operator=(const TorchModel&) = delete;

  /// Runs the graph. `inputs` maps every graph input name to a CPU tensor of its dtype (i64 -> torch::kLong, f32 ->
  /// torch::kFloat, ...) and rank; fixed dims must match and equal symbols must bind equal sizes. Run-time errors
  /// (id out of range, sequence longer than the position table, ...) name the node.
  Expected<ForwardResult> Forward(const std::map<std::string, torch::Tensor>& inputs,
                                  const ForwardOptions& options = {}) const;

  /// The module holding parameters and buffers (for optimizers and state dicts). The IR has no dropout or batch
  /// statistics, so train()/eval() change nothing in the forward pass.
  torch::nn::Module& module();
  const torch::nn::Module& module() const;
  /// The trainable parameters, in graph value order (same order as parameter_info()).
  std::vector<torch::Tensor> parameters() const;
  const std::vector<ParameterInfo>& parameter_info() const;
  /// The parameter for an IR constant name; shares storage with the model (edit under torch::NoGradGuard).
  Expected<torch::Tensor> Parameter(std::string_view ir_name) const;
  /// Trainable tensors owned by installed quantizers (learned activation clips), not graph constants: they are not in
  /// parameters() or written back; trainers optimize and checkpoint them with the weights, AnnotateQuantization
  /// reads them. A name may be added once; ClearTransforms() removes them all.
  Status AddQuantizerParameter(const std::string& name, torch::Tensor value);
  const std::vector<std::pair<std::string, torch::Tensor>>& quantizer_parameters() const;
  /// The quantizer parameter called `name`, or an undefined tensor.
  torch::Tensor QuantizerParameter(std::string_view name) const;

  /// The graph input names, in graph order (what Forward expects).
  std::vector<std::string> input_names() const;
  /// The recognised encoder layers (empty when the graph has none or recognition failed; see options).
  const EncoderStructure& structure() const;
  int num_layers() const;

  const std::vector<WeightSite>& weight_sites() const;
  const std::vector<ActivationSite>& activation_sites() const;
  /// Installs (or with nullptr removes) the transform of one site; an error for an out-of-range index.
  Status SetWeightTransform(size_t site, TensorTransform transform,
                            WeightTransformScope scope = WeightTransformScope::kWholeTensor);
  Status SetActivationTransform(size_t site, TensorTransform transform);
  /// Asks `factory` for every site's transform (nullptr = none); returns how many sites got one.
  size_t SetWeightTransforms(const std::function<TensorTransform(const WeightSite&)>& factory);
  size_t SetActivationTransforms(const std::function<TensorTransform(const ActivationSite&)>& factory);
  /// Installs (or with nullptr removes) the function computing a Linear weight site's output; it takes precedence
  /// over that site's weight transform and the Linear's input activation transform. An error for other sites.
  Status SetLinearFunction(size_t site, LinearFunction fn);
  /// Removes every weight and activation transform (and the attention quantization, linear functions and quantizer
  /// parameters).
  void ClearTransforms();
  /// QAttention simulation (qat/fake_quant.h, notes/qops.md): when enabled every Attention runs the quantized op's
  /// arithmetic (int8 Q/K/V per (token, head) with `clip`, 0 = none; P' = p·dv per row) with STE gradients, and the
  /// query/key/value/probs activation transforms are not applied. Taps and interventions work as in float.
  void SetAttentionQuantization(bool enabled, float clip);
  bool attention_quantized() const;

  struct Impl;  ///< internal: defined in qat/torch_program.h for qat/'s own sources

 private:
  explicit TorchModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Copies every trained parameter of `model` into the constant of the same name in `graph` (new owned f32 tensors via
/// ir::Rewriter::SetConstant), so the exporter writes the trained model. Values are matched by name, so `graph` may
/// be the graph the model was built from or a compacted/re-imported copy; every parameter must exist there as an f32
/// constant of the same dims. The graph is unchanged on error.
Status WriteBackWeights(const TorchModel& model, ir::Graph& graph);

}  // namespace qc::qat
