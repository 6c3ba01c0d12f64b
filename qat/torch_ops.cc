// The IR op set in ATen (docs/ir.md semantics), with the hook, tap and intervention points of qat/torch_model.h.
#include <string>

#include "qat/fake_quant.h"
#include "qat/runtime_float_ops.h"
#include "qat/torch_program.h"

namespace qc::qat {
namespace {

using ir::OpType;

class StepRunner {
 public:
  StepRunner(const TorchModel::Impl& impl, const Step& step, ForwardState& state)
      : impl_(impl), step_(step), state_(state) {}

  Status Run() {
    for (size_t i = 0; i < step_.inputs.size(); ++i) {
      if (step_.inputs[i] != ir::kNoValue && !state_.env[step_.inputs[i]].defined()) {
        return Internal(step_.what + ": input " + std::to_string(i) + " was released or never computed");
      }
    }
    QC_ASSIGN_OR_RETURN(torch::Tensor out, Compute());
    state_.env[step_.output] = std::move(out);
    return Status::Ok();
  }

 private:
  bool Has(size_t i) const { return i < step_.inputs.size() && step_.inputs[i] != ir::kNoValue; }
  const torch::Tensor& In(size_t i) const { return state_.env[step_.inputs[i]]; }
  c10::optional<torch::Tensor> Optional(size_t i) const {
    return Has(i) ? c10::optional<torch::Tensor>(In(i)) : c10::nullopt;
  }

  Status CheckRank(const torch::Tensor& t, int64_t rank, const char* what) const {
    if (t.dim() == rank) return Status::Ok();
    return InvalidArgument(step_.what + ": " + what + " has shape " + SizesText(t) + ", expected rank " +
                           std::to_string(rank));
  }

  // Input 1 through the site's weight transform, if any.
  Expected<torch::Tensor> Weight() const { return Transformed(In(1)); }

  // The weight site's transform applied to w (the whole weight, or the rows of it an Embedding reads).
  Expected<torch::Tensor> Transformed(const torch::Tensor& w) const {
    if (step_.weight_site < 0) return w;
    const TensorTransform& fn = impl_.weight_transforms[static_cast<size_t>(step_.weight_site)];
    if (!fn) return w;
    torch::Tensor t = fn(w);
    if (!t.defined() || t.sizes() != w.sizes()) {
      return InvalidArgument(step_.what + ": the weight transform of site " + std::to_string(step_.weight_site) +
                             " returned " + (t.defined() ? SizesText(t) : "an undefined tensor") + " for weight " +
                             SizesText(w));
    }
    return t;
  }

  Expected<torch::Tensor> Activation(int site, torch::Tensor x) const {
    if (site < 0) return x;
    const TensorTransform& fn = impl_.activation_transforms[static_cast<size_t>(site)];
    if (!fn) return x;
    torch::Tensor t = fn(x);
    if (!t.defined() || t.sizes() != x.sizes()) {
      return InvalidArgument(step_.what + ": the activation transform of site " + std::to_string(site) + " (" +
                             std::string(ActivationPointName(impl_.activation_sites[static_cast<size_t>(site)].point)) +
                             ") returned " + (t.defined() ? SizesText(t) : "an undefined tensor") + " for " +
                             SizesText(x));
    }
    return t;
  }

  // A substitute must have exactly the shape of what it replaces.
  Status CheckSubstitute(const torch::Tensor& substitute, const torch::Tensor& own, const char* what) const {
    if (substitute.sizes() == own.sizes()) return Status::Ok();
    return InvalidArgument(step_.what + ": layer " + std::to_string(step_.layer) + " intervention '" + what +
                           "' has shape " + SizesText(substitute) + ", expected " + SizesText(own));
  }

  Expected<torch::Tensor> Compute() {
    switch (step_.op) {
      case OpType::kEmbedding:
        return Embedding();
      case OpType::kAddPositionEmbedding:
        return AddPositionEmbedding();
      case OpType::kAdd:
        return at::add(In(0), In(1));
      case OpType::kSub:
        return at::sub(In(0), In(1));
      case OpType::kMul:
        return at::mul(In(0), In(1));
      case OpType::kLayerNorm:
        return LayerNorm();
      case OpType::kLinear:
        return Linear();
      case OpType::kGelu:
        return RuntimeGelu(In(0), step_.gelu_tanh);  // the runtime's arithmetic: the trained model is the exported one
      case OpType::kTanh:
        return at::tanh(In(0));
      case OpType::kRelu:
        return at::relu(In(0));
      case OpType::kSoftmax:
        return at::softmax(In(0), step_.axis);
      case OpType::kAttention:
        return Attention();
      case OpType::kSelectToken:
        return SelectToken();
      case OpType::kMeanPool:
        return MeanPool();
      case OpType::kL2Normalize:
        return In(0) / at::linalg_vector_norm(In(0), 2, at::IntArrayRef{step_.axis}, true).clamp_min(step_.epsilon);
      case OpType::kPatchEmbed:
        return PatchEmbed();
      case OpType::kPrependToken:
        return PrependToken();
      case OpType::kQLinear:
      case OpType::kQEmbedding:
      case OpType::kQAttention:
      case OpType::kQAttentionQkv:
        break;  // rejected by Build
    }
    return Internal(step_.what + ": op not handled by qat/");
  }

  Expected<torch::Tensor> Embedding() {
    const torch::Tensor& ids = In(0);
    if (ids.scalar_type() != torch::kLong && ids.scalar_type() != torch::kInt) {
      return InvalidArgument(step_.what + ": ids must be i64 or i32");
    }
    const torch::Tensor& table = In(1);
    const int64_t rows = table.size(0);
    if (ids.numel() > 0) {
      const int64_t lo = ids.min().item<int64_t>();
      const int64_t hi = ids.max().item<int64_t>();
      if (lo < 0 || hi >= rows) {
        return OutOfRange(step_.what + ": id " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " +
                          std::to_string(rows) + ")");
      }
    }
    const torch::Tensor ids64 = ids.to(torch::kLong);
    const bool row_wise =
        step_.weight_site >= 0 &&
        impl_.weight_transform_scopes[static_cast<size_t>(step_.weight_site)] == WeightTransformScope::kRows;
    if (row_wise) {
      // A row-wise transform of only the rows read (sorted unique ids; gradients reach the table through
      // index_select): the same values as transforming the whole table, at a batch's cost instead of the table's.
      const auto [used, position] = at::_unique(ids64.reshape({-1}), /*sorted=*/true, /*return_inverse=*/true);
      QC_ASSIGN_OR_RETURN(torch::Tensor used_rows, Transformed(table.index_select(0, used)));
      return at::embedding(used_rows, position.reshape(ids64.sizes()));
    }
    QC_ASSIGN_OR_RETURN(torch::Tensor quantized_table, Weight());
    return at::embedding(quantized_table, ids64);
  }

  Expected<torch::Tensor> AddPositionEmbedding() {
    const torch::Tensor& x = In(0);
    const torch::Tensor& table = In(1);
    QC_RETURN_IF_ERROR(CheckRank(x, 3, "x"));
    const int64_t s = x.size(1);
    if (step_.offset + s > table.size(0)) {
      return OutOfRange(step_.what + ": positions " + std::to_string(step_.offset) + ".." +
                        std::to_string(step_.offset + s - 1) + " exceed the " + std::to_string(table.size(0)) +
                        "-row position table (sequence " + std::to_string(s) + " is too long)");
    }
    return x + table.narrow(0, step_.offset, s);
  }

  Expected<torch::Tensor> LayerNorm() {
    const torch::Tensor& x = In(0);
    const int64_t axis = step_.axis < 0 ? step_.axis + x.dim() : step_.axis;
    if (axis < 0 || axis >= x.dim()) {
      return InvalidArgument(step_.what + ": axis " + std::to_string(step_.axis) + " is out of range for " +
                             SizesText(x));
    }
    if (axis == x.dim() - 1) return RuntimeLayerNorm(x, In(1), In(2), step_.epsilon);  // as the runtime rounds
    return at::layer_norm(x, x.sizes().slice(static_cast<size_t>(axis)), In(1), In(2), step_.epsilon);
  }

  Expected<torch::Tensor> Linear() {
    torch::Tensor x = In(0);
    if (const LayerIntervention* iv = state_.Intervention(step_.layer)) {
      if ((step_.role == StepRole::kQueryKeyLinear && iv->detach_qk_input) ||
          (step_.role == StepRole::kValueLinear && iv->detach_v_input)) {
        x = x.detach();
      }
    }
    torch::Tensor out;
    const LinearFunction* fn =
        step_.weight_site >= 0 ? &impl_.linear_functions[static_cast<size_t>(step_.weight_site)] : nullptr;
    if (fn != nullptr && *fn) {
      out = (*fn)(x, In(1), Optional(2));
    } else {
      QC_ASSIGN_OR_RETURN(x, Activation(step_.input_site, std::move(x)));
      QC_ASSIGN_OR_RETURN(torch::Tensor w, Weight());
      out = at::linear(x, w, Optional(2));
    }
    if (step_.role != StepRole::kAttentionDense) return out;
    if (state_.Wants(kTapAttentionDense)) state_.taps->layers[static_cast<size_t>(step_.layer)].attention_dense = out;
    const LayerIntervention* iv = state_.Intervention(step_.layer);
    if (iv != nullptr && iv->attention_dense.defined()) {
      QC_RETURN_IF_ERROR(CheckSubstitute(iv->attention_dense, out, "attention_dense"));
      return iv->attention_dense;
    }
    return out;
  }

  // (1 - m)·mask_fill as [B, 1, 1, Sk], or undefined without a mask.
  Expected<torch::Tensor> MaskFill(int64_t b, int64_t sk) const {
    if (!Has(3)) return torch::Tensor();
    const torch::Tensor& mask = In(3);
    if (mask.dim() != 2 || mask.size(0) != b || mask.size(1) != sk) {
      return InvalidArgument(step_.what + ": attention_mask has shape " + SizesText(mask) + ", expected [" +
                             std::to_string(b) + ", " + std::to_string(sk) + "]");
    }
    return (at::rsub(mask.to(torch::kFloat), 1.0) * step_.mask_fill).reshape({b, 1, 1, sk});
  }

  // The QAttention simulation (qat/fake_quant.h): same taps and interventions as the float path below.
  Expected<torch::Tensor> QuantizedAttention(const torch::Tensor& qh, const torch::Tensor& kh, const torch::Tensor& vh,
                                             int64_t b, int64_t sq, int64_t hidden) {
    QC_ASSIGN_OR_RETURN(torch::Tensor fill, MaskFill(b, kh.size(2)));
    const size_t layer = static_cast<size_t>(step_.layer);
    const LayerIntervention* iv = state_.Intervention(step_.layer);
    Status substitute_status = Status::Ok();
    auto substitute = [&](const torch::Tensor& probs) -> torch::Tensor {
      if (iv == nullptr || !iv->probs.defined()) return probs;
      substitute_status = CheckSubstitute(iv->probs, probs, "probs");
      return substitute_status.ok() ? iv->probs : probs;
    };
    QuantAttentionResult r = QuantizedAttentionCore(qh, kh, vh, fill, step_.scale, impl_.attention_clip, substitute);
    QC_RETURN_IF_ERROR(substitute_status);
    if (state_.Wants(kTapScores)) state_.taps->layers[layer].scores = r.scores;
    if (state_.Wants(kTapProbs)) state_.taps->layers[layer].probs = r.probs;
    torch::Tensor context = r.context.transpose(1, 2).reshape({b, sq, hidden});
    if (state_.Wants(kTapContext)) state_.taps->layers[layer].context = context;
    if (iv != nullptr && iv->context.defined()) {
      QC_RETURN_IF_ERROR(CheckSubstitute(iv->context, context, "context"));
      return iv->context;
    }
    return context;
  }

  // docs/ir.md Attention: per head softmax(scale·q·kᵀ + (1 - m)·mask_fill)·v, heads merged back.
  Expected<torch::Tensor> Attention() {
    const torch::Tensor& q = In(0);
    const torch::Tensor& k = In(1);
    const torch::Tensor& v = In(2);
    QC_RETURN_IF_ERROR(CheckRank(q, 3, "q"));
    QC_RETURN_IF_ERROR(CheckRank(k, 3, "k"));
    QC_RETURN_IF_ERROR(CheckRank(v, 3, "v"));
    const int64_t b = q.size(0), sq = q.size(1), hidden = q.size(2), sk = k.size(1);
    const int64_t heads = step_.num_heads, d = hidden / heads;
    auto split = [&](const torch::Tensor& t, int64_t s) { return t.reshape({b, s, heads, d}).transpose(1, 2); };
    if (impl_.attention_quant) return QuantizedAttention(split(q, sq), split(k, sk), split(v, sk), b, sq, hidden);
    QC_ASSIGN_OR_RETURN(torch::Tensor qh, Activation(step_.attention_sites[0], split(q, sq)));
    QC_ASSIGN_OR_RETURN(torch::Tensor kh, Activation(step_.attention_sites[1], split(k, sk)));
    QC_ASSIGN_OR_RETURN(torch::Tensor vh, Activation(step_.attention_sites[2], split(v, sk)));
    torch::Tensor scores = at::matmul(qh, kh.transpose(-1, -2)) * step_.scale;
    QC_ASSIGN_OR_RETURN(torch::Tensor fill, MaskFill(b, sk));
    if (fill.defined()) scores = scores + fill;
    torch::Tensor probs = at::softmax(scores, -1);
    const size_t layer = static_cast<size_t>(step_.layer);
    if (state_.Wants(kTapScores)) state_.taps->layers[layer].scores = scores;
    if (state_.Wants(kTapProbs)) state_.taps->layers[layer].probs = probs;
    const LayerIntervention* iv = state_.Intervention(step_.layer);
    if (iv != nullptr && iv->probs.defined()) {
      QC_RETURN_IF_ERROR(CheckSubstitute(iv->probs, probs, "probs"));
      probs = iv->probs;
    }
    QC_ASSIGN_OR_RETURN(probs, Activation(step_.attention_sites[3], std::move(probs)));
    torch::Tensor context = at::matmul(probs, vh).transpose(1, 2).reshape({b, sq, hidden});
    if (state_.Wants(kTapContext)) state_.taps->layers[layer].context = context;
    if (iv != nullptr && iv->context.defined()) {
      QC_RETURN_IF_ERROR(CheckSubstitute(iv->context, context, "context"));
      return iv->context;
    }
    return context;
  }

  Expected<torch::Tensor> SelectToken() {
    const torch::Tensor& x = In(0);
    QC_RETURN_IF_ERROR(CheckRank(x, 3, "x"));
    if (step_.index >= x.size(1)) {
      return OutOfRange(step_.what + ": token index " + std::to_string(step_.index) + " is outside a sequence of " +
                        std::to_string(x.size(1)));
    }
    return x.select(1, step_.index);
  }

  Expected<torch::Tensor> MeanPool() {
    const torch::Tensor& x = In(0);
    QC_RETURN_IF_ERROR(CheckRank(x, 3, "x"));
    if (!Has(1)) return x.sum(1) / static_cast<double>(x.size(1));
    const torch::Tensor m = In(1).to(torch::kFloat);
    if (m.dim() != 2 || m.size(0) != x.size(0) || m.size(1) != x.size(1)) {
      return InvalidArgument(step_.what + ": mask has shape " + SizesText(m) + ", expected [" +
                             std::to_string(x.size(0)) + ", " + std::to_string(x.size(1)) + "]");
    }
    return (x * m.unsqueeze(-1)).sum(1) / m.sum(1, /*keepdim=*/true).clamp_min(1e-9);
  }

  Expected<torch::Tensor> PatchEmbed() {
    const torch::Tensor& pixels = In(0);
    QC_RETURN_IF_ERROR(CheckRank(pixels, 4, "pixels"));
    const int64_t p = step_.patch;
    if (pixels.size(2) % p != 0 || pixels.size(3) % p != 0) {
      return InvalidArgument(step_.what + ": image " + std::to_string(pixels.size(2)) + "x" +
                             std::to_string(pixels.size(3)) + " is not a multiple of the patch size " +
                             std::to_string(p));
    }
    QC_ASSIGN_OR_RETURN(torch::Tensor w, Weight());
    return at::conv2d(pixels, w, Optional(2), {p, p}).flatten(2).transpose(1, 2);
  }

  Expected<torch::Tensor> PrependToken() {
    const torch::Tensor& x = In(0);
    const torch::Tensor& token = In(1);
    QC_RETURN_IF_ERROR(CheckRank(x, 3, "x"));
    return at::cat({token.expand({x.size(0), 1, token.size(2)}), x}, 1);
  }

  const TorchModel::Impl& impl_;
  const Step& step_;
  ForwardState& state_;
};

}  // namespace

Status RunStep(const TorchModel::Impl& impl, const Step& step, ForwardState& state) {
  return StepRunner(impl, step, state).Run();
}

Expected<torch::ScalarType> TorchDType(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return torch::kFloat;
    case ir::DType::kF16:
      return torch::kHalf;
    case ir::DType::kBF16:
      return torch::kBFloat16;
    case ir::DType::kI64:
      return torch::kLong;
    case ir::DType::kI32:
      return torch::kInt;
    case ir::DType::kI16:
      return torch::kShort;
    case ir::DType::kI8:
      return torch::kChar;
    case ir::DType::kU8:
      return torch::kByte;
    case ir::DType::kBool:
      return torch::kBool;
    case ir::DType::kT2:
    case ir::DType::kI4:
      break;
  }
  return Unsupported("dtype " + std::string(ir::DTypeName(dtype)) + " has no LibTorch equivalent");
}

}  // namespace qc::qat
