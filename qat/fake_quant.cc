// Fake quantizers with the runtime's arithmetic (qat/fake_quant.h). Scales are computed in plain C++ float on the
// (small) amax tensors so they are the runtime's values bit for bit; the elementwise parts are single IEEE float ops
// in torch (mul, round = RNE, clamp), identical to the runtime's scalar reference.
#include "qat/fake_quant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <string>
#include <vector>

#include "configs/qsoftmax_config.h"
#include "ir/quant.h"
#include "quant/act_quant.h"
#include "quant/twn.h"

namespace qc::qat {
namespace {

bool HasClip(float clip) { return clip > 0.0f && std::isfinite(clip); }

// Forward value `value` (no grad), gradient of `x` times `mask` (undefined mask = identity).
torch::Tensor Straight(const torch::Tensor& x, const torch::Tensor& value, const torch::Tensor& mask) {
  torch::Tensor pass = x - x.detach();
  if (mask.defined()) pass = pass * mask;
  return value.detach() + pass;
}

// softmax of QAttention's scores exactly as the runtime computes it (docs/quantization.md §7.4 steps 2-3), by the
// runtime's own dispatched row kernel (configs/qsoftmax_config.h; every ISA returns the scalar oracle's bits): the
// kernel rebuilds score_j = fl(fl(float(S_j) · fl(dq·dk_j)) · scale) + add_j from the same operands the caller's ATen
// ops used, then QcExp and the 16-lane sum. dv = 1 makes its p_j·dv_j the probability itself. ATen's exp and tree
// sums differ in the last bit, and a last-bit change of p can move a P' code.
//   s_int [..., Sq, Sk] exact integer sums (float), dq [..., Sq, 1], dk [..., Sk, 1], fill broadcastable or undefined.
torch::Tensor RuntimeSoftmax(const torch::Tensor& s_int, const torch::Tensor& dq, const torch::Tensor& dk, float scale,
                             const torch::Tensor& fill) {
  torch::NoGradGuard no_grad;
  const int64_t sq = s_int.size(-2), sk = s_int.size(-1);
  const int64_t rows = sk > 0 ? s_int.numel() / sk : 0;
  TORCH_CHECK(dq.numel() == rows && dk.numel() * sq == s_int.numel(), "QAttention softmax: operand shapes ",
              s_int.sizes(), " ", dq.sizes(), " ", dk.sizes());
  const torch::Tensor s = s_int.to(torch::kInt).contiguous();
  const torch::Tensor dq_c = dq.contiguous(), dk_c = dk.contiguous();
  const torch::Tensor add = fill.defined() ? fill.expand_as(s_int).contiguous() : torch::Tensor();
  torch::Tensor out = torch::empty(s_int.sizes(), s_int.options().dtype(torch::kFloat));
  const std::vector<float> ones(static_cast<size_t>(sk), 1.0f);
  const QSoftmaxRowFn kernel = GetQSoftmaxKernel().fn;
  const int32_t* s_ptr = s.data_ptr<int32_t>();
  const float* dq_ptr = dq_c.data_ptr<float>();
  const float* dk_ptr = dk_c.data_ptr<float>();
  const float* add_ptr = add.defined() ? add.data_ptr<float>() : nullptr;
  float* o = out.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    QSoftmaxRowArgs a;
    a.s = s_ptr + r * sk;
    a.dq = dq_ptr[r];
    a.dk = dk_ptr + (r / sq) * sk;
    a.scale = scale;
    a.add = add_ptr != nullptr ? add_ptr + r * sk : nullptr;
    a.dv = ones.data();
    a.n = static_cast<size_t>(sk);
    a.p = o + r * sk;
    kernel(a);
  }
  return out;
}

// int8 codes by the runtime's own quantizer (quant/act_quant.h QuantizeActivations: vectorised row kernels), which
// implements exactly the formulas of QuantizeSymmetric below, in two passes over x instead of a chain of ATen
// elementwise ops.
QuantizedRows QuantizeInt8Rows(const torch::Tensor& x_in, bool per_row, float clip) {
  const torch::Tensor x = x_in.contiguous();
  const auto k = static_cast<size_t>(x.size(-1)), rows = static_cast<size_t>(x.numel()) / k;
  torch::Tensor q = torch::empty(x.sizes(), x.options().dtype(torch::kChar));  // uninitialised: the kernel writes all
  std::vector<float> scale(rows), dequant(rows);
  std::vector<int32_t> row_sum(rows);
  ActQuantParams params;
  params.granularity = per_row ? qc::ActGranularity::kPerToken : qc::ActGranularity::kPerTensor;
  params.clip = HasClip(clip) ? clip : kActNoClip;
  const Status st = QuantizeActivations(x.data_ptr<float>(), rows, k, k, params,
                                        {q.data_ptr<int8_t>(), k, k, scale.data(), dequant.data(), row_sum.data()});
  TORCH_CHECK(st.ok(), "fake quantization: ", st.message());
  const torch::Tensor codes = q.to(torch::kFloat);  // exact: int8 values are floats
  std::vector<int64_t> dshape = x.sizes().vec();
  if (per_row) {
    dshape.back() = 1;
    return {codes, torch::tensor(dequant).reshape(dshape)};
  }
  std::fill(dshape.begin(), dshape.end(), 1);
  return {codes, torch::tensor(std::vector<float>{dequant[0]}).reshape(dshape)};
}

// x̂ = codes·d forward; straight-through backward, zero outside the clip (|x| >= clip), one fused op instead of
// Straight's x − x.detach(), mask and add chain.
struct StraightThrough : public torch::autograd::Function<StraightThrough> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& codes, const torch::Tensor& dequant, double clip) {
    ctx->saved_data["clip"] = clip;
    if (clip > 0.0 && std::isfinite(clip)) ctx->save_for_backward({x});
    return codes * dequant;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const double clip = ctx->saved_data["clip"].toDouble();
    torch::Tensor g = grads[0];
    if (clip > 0.0 && std::isfinite(clip)) {
      const torch::Tensor x = ctx->get_saved_variables()[0];
      g = g * (x.abs() < clip).to(g.scalar_type());
    }
    return {g, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// Straight(x, codes·d, InsideClip(x, clip)) through StraightThrough.
torch::Tensor FakeQuantized(const torch::Tensor& x, const QuantizedRows& q, float clip) {
  return StraightThrough::apply(x, q.codes, q.dequant, HasClip(clip) ? static_cast<double>(clip) : 0.0);
}

// Forward: `value` (the runtime's exact output). Backward: the gradients of linear(x_hat, w_hat, b), i.e. the
// straight-through surrogate, without spending a forward matmul on a surrogate output nobody reads.
struct LinearWithValue : public torch::autograd::Function<LinearWithValue> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_hat,
                               const torch::Tensor& w_hat, const torch::Tensor& b, const torch::Tensor& value) {
    ctx->save_for_backward({x_hat, w_hat});
    ctx->saved_data["bias"] = b.defined();
    return value.clone();  // a fresh tensor: autograd must not see an input returned as the output
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x_hat = saved[0];
    const torch::Tensor& w_hat = saved[1];
    const torch::Tensor g = grads[0].contiguous();
    const int64_t n = g.size(-1);
    const torch::Tensor g2 = g.reshape({-1, n});
    const torch::Tensor grad_x = at::matmul(g, w_hat);                              // [..., K]
    const torch::Tensor grad_w = g2.t().mm(x_hat.reshape({-1, x_hat.size(-1)}));  // [N, K]
    const torch::Tensor grad_b = ctx->saved_data["bias"].toBool() ? g2.sum(0) : torch::Tensor();
    return {grad_x, grad_w, grad_b, torch::Tensor()};
  }
};

}  // namespace

QuantizedRows QuantizeSymmetric(const torch::Tensor& x, bool per_row, float clip, int qmax) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(x.scalar_type() == torch::kFloat, "fake quantization expects float32, got ", x.scalar_type());
  if (qmax == kActQMax && x.dim() >= 1 && x.numel() > 0) return QuantizeInt8Rows(x, per_row, clip);
  torch::Tensor xc = HasClip(clip) ? x.clamp(-clip, clip) : x;
  torch::Tensor amax = per_row ? xc.abs().amax({-1}, /*keepdim=*/true) : xc.abs().max();
  TORCH_CHECK(!at::isnan(amax).any().item<bool>(), "fake quantization: NaN activation or weight");
  amax = amax.contiguous();
  torch::Tensor scale = torch::empty_like(amax), dequant = torch::empty_like(amax);
  const float* a = amax.data_ptr<float>();
  float* s = scale.data_ptr<float>();
  float* d = dequant.data_ptr<float>();
  const float fq = static_cast<float>(qmax);
  for (int64_t i = 0; i < amax.numel(); ++i) {
    // docs/quantization.md §3 and runtime ActScaleFromAbsMax: s = fl(q/amax), d = fl(amax/q), zero rule.
    TORCH_CHECK(std::isfinite(a[i]), "fake quantization: infinite value without a clip");
    const float si = a[i] > 0.0f ? fq / a[i] : 0.0f;
    const bool zero = !(a[i] > 0.0f) || !std::isfinite(si);
    s[i] = zero ? 0.0f : si;
    d[i] = zero ? 0.0f : a[i] / fq;
  }
  if (!per_row) {
    std::vector<int64_t> ones(static_cast<size_t>(x.dim()), 1);
    scale = scale.reshape(ones);
    dequant = dequant.reshape(ones);
  }
  torch::Tensor codes = at::round(xc * scale).clamp(-qmax, qmax);
  return {codes, dequant};
}

namespace {

// The per-step cache of TwnCacheScope. Computing under the lock: the shards ask for the same weights in the same
// order, so the second waits for the first's result instead of repeating the work.
struct TwnCache {
  std::mutex mutex;
  int scopes = 0;
  std::map<std::tuple<const void*, std::vector<int64_t>, bool, float>, QuantizedRows> entries;
};

TwnCache& Cache() {
  static TwnCache* cache = new TwnCache;  // never destroyed: scopes may close during static destruction
  return *cache;
}

QuantizedRows TwnCodesUncached(const torch::Tensor& w, bool per_row, float clip);

// TWN codes w ∈ {-1, 0, 1} (as floats, [rows, cols]) and α ([rows, 1] or [1, 1]) from the runtime's TernarizeTwn,
// once per TwnCacheScope.
QuantizedRows TwnCodes(const torch::Tensor& w, bool per_row, float clip) {
  TwnCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.scopes == 0) return TwnCodesUncached(w, per_row, clip);
  auto key = std::make_tuple(static_cast<const void*>(w.data_ptr()), w.sizes().vec(), per_row, clip);
  auto it = cache.entries.find(key);
  if (it == cache.entries.end()) it = cache.entries.emplace(std::move(key), TwnCodesUncached(w, per_row, clip)).first;
  return it->second;
}

QuantizedRows TwnCodesUncached(const torch::Tensor& w, bool per_row, float clip) {
  TORCH_CHECK(w.scalar_type() == torch::kFloat, "TWN expects a float32 weight");
  TORCH_CHECK(!per_row || w.dim() == 2, "row-wise TWN expects a 2-D weight, got ", w.sizes());
  torch::NoGradGuard no_grad;
  const torch::Tensor wc = w.detach().contiguous();
  const size_t rows = per_row ? static_cast<size_t>(w.size(0)) : 1;
  const size_t cols = static_cast<size_t>(wc.numel()) / std::max<size_t>(rows, 1);
  TwnParams params;
  params.granularity = per_row ? TwnGranularity::kPerRow : TwnGranularity::kPerTensor;
  params.clip = HasClip(clip) ? clip : std::numeric_limits<float>::infinity();
  std::vector<uint8_t> codes(static_cast<size_t>(wc.numel()));
  std::vector<float> alpha(TwnScaleCount(rows, params.granularity));
  const Status st = TernarizeTwn(wc.data_ptr<float>(), rows, cols, cols, params, codes.data(), cols, alpha.data());
  TORCH_CHECK(st.ok(), st.ToString());
  torch::Tensor c = torch::empty_like(wc);
  float* out = c.data_ptr<float>();
  for (size_t i = 0; i < codes.size(); ++i) out[i] = static_cast<float>(static_cast<int>(codes[i]) - 1);
  std::vector<int64_t> ones(static_cast<size_t>(w.dim()), 1);
  if (per_row) ones[0] = w.size(0);
  return {c, torch::tensor(alpha).reshape(ones)};
}

}  // namespace

torch::Tensor QLinearSim(const torch::Tensor& x, const torch::Tensor& w, const c10::optional<torch::Tensor>& b,
                         ir::WeightBits bits, bool per_row, float twn_clip, ActGranularity granularity, float act_clip,
                         int64_t act_groups) {
  TORCH_CHECK(w.dim() == 2, "QLinear simulation expects a 2-D weight");
  const bool ternary = bits == ir::WeightBits::kTernary;
  TORCH_CHECK(ternary || bits == ir::WeightBits::kInt8 || bits == ir::WeightBits::kInt4,
              "QLinear simulation: unsupported weight bits");
  const QuantizedRows wq = ternary ? TwnCodes(w, per_row, twn_clip)
                                   : QuantizeSymmetric(w.detach(), per_row, 0.0f,
                                                       bits == ir::WeightBits::kInt8 ? 127 : 7);
  const QuantizedRows xq =
      QuantizeGroupedInt8(x.detach(), granularity == ActGranularity::kPerToken, act_clip, act_groups);
  torch::Tensor value;
  {
    torch::NoGradGuard no_grad;
    const int64_t n = w.size(0);
    const torch::Tensor sw = wq.dequant.reshape({per_row ? n : 1});  // [N] or [1]
    // Σ_k q·w of integer codes: exact in float32 while every partial sum stays below 2^24 (127·|w|max·K), which
    // holds for ternary and int4 weights at any realistic K; int8 beyond K = 1040 needs double.
    const double wmax = ternary ? 1.0 : (bits == ir::WeightBits::kInt4 ? 7.0 : 127.0);
    const int64_t width = w.size(1) / act_groups;
    const bool float_exact = 127.0 * wmax * static_cast<double>(width) < 16777216.0;
    for (int64_t g = 0; g < act_groups; ++g) {
      // Group g's columns: exact integer sums, then the epilogue (bias in group 0 only), summed in float in order.
      const torch::Tensor xc = act_groups == 1 ? xq.codes : xq.codes.narrow(-1, g * width, width);
      const torch::Tensor wc = act_groups == 1 ? wq.codes : wq.codes.narrow(1, g * width, width);
      const torch::Tensor d = act_groups == 1 ? xq.dequant : xq.dequant.narrow(-1, g * width, 1);
      const torch::Tensor y_int = float_exact ? at::matmul(xc, wc.t())
                                              : at::matmul(xc.to(torch::kDouble), wc.to(torch::kDouble).t())
                                                    .to(torch::kFloat);  // exact integers, then float(Y) as the runtime
      const torch::Tensor scale = d * sw;                                // fl(sw_j · d_i), float
      torch::Tensor y = y_int.to(torch::kDouble) * scale.to(torch::kDouble);  // exact product
      if (g == 0 && b.has_value() && b->defined()) y = y + b->detach().to(torch::kDouble);
      value = g == 0 ? y.to(torch::kFloat) : value + y.to(torch::kFloat);
    }
  }
  const torch::Tensor x_hat = FakeQuantized(x, xq, act_clip);
  const torch::Tensor w_hat = FakeQuantized(w, wq, ternary ? twn_clip : 0.0f);
  return LinearWithValue::apply(x_hat, w_hat, b.has_value() ? *b : torch::Tensor(), value);
}

TwnCacheScope::TwnCacheScope() {
  TwnCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  ++cache.scopes;
}

TwnCacheScope::~TwnCacheScope() {
  TwnCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (--cache.scopes == 0) cache.entries.clear();
}

torch::Tensor FakeQuantTwn(const torch::Tensor& w, bool per_row, float clip) {
  // codes · α gives exactly TwnDequantize's ±α / 0 for codes in {-1, 0, 1} and α >= 0.
  const QuantizedRows q = TwnCodes(w, per_row, clip);
  return FakeQuantized(w, q, clip);
}

torch::Tensor FakeQuantTwnRows(const torch::Tensor& rows, float clip) {
  const QuantizedRows q = TwnCodesUncached(rows, true, clip);
  return FakeQuantized(rows, q, clip);
}

torch::Tensor FakeQuantIntWeight(const torch::Tensor& w, int bits, bool per_row) {
  TORCH_CHECK(bits == 8 || bits == 4, "integer weight quantization supports 8 or 4 bits, got ", bits);
  const QuantizedRows q = QuantizeSymmetric(w.detach(), per_row, 0.0f, bits == 8 ? 127 : 7);
  return FakeQuantized(w, q, 0.0f);
}

QuantizedRows QuantizeGroupedInt8(const torch::Tensor& x, bool per_row, float clip, int64_t groups) {
  if (groups == 1) return QuantizeSymmetric(x, per_row, clip, kActQMax);
  torch::NoGradGuard no_grad;
  TORCH_CHECK(groups > 1 && x.dim() >= 1 && x.size(-1) % groups == 0, "activation groups: last dimension ", x.size(-1),
              " is not a multiple of ", groups);
  const int64_t width = x.size(-1) / groups;
  const torch::Tensor rows = x.reshape({-1, groups, width});  // [T, G, width]
  torch::Tensor codes, dequant;
  if (per_row) {
    // One scale per (token, group): the rows of [T·G, width].
    const QuantizedRows q = QuantizeSymmetric(rows.reshape({-1, width}), true, clip, kActQMax);
    codes = q.codes.reshape(rows.sizes());
    dequant = q.dequant.reshape({-1, groups, 1});
  } else {
    // One scale per group over all tokens: the rows of [G, T·width].
    const QuantizedRows q = QuantizeSymmetric(rows.transpose(0, 1).reshape({groups, -1}), true, clip, kActQMax);
    codes = q.codes.reshape({groups, -1, width}).transpose(0, 1);
    dequant = q.dequant.reshape({1, groups, 1});
  }
  return {codes.reshape(x.sizes()).contiguous(), dequant.expand(rows.sizes()).reshape(x.sizes()).contiguous()};
}

torch::Tensor FakeQuantActivation(const torch::Tensor& x, ActGranularity granularity, float clip, int64_t groups) {
  const QuantizedRows q = QuantizeGroupedInt8(x.detach(), granularity == ActGranularity::kPerToken, clip, groups);
  return FakeQuantized(x, q, clip);
}

torch::Tensor LearnedActClamp(const torch::Tensor& x, const torch::Tensor& alpha) {
  // clamp with tensor bounds: autograd sends g to x inside [−α', α'] and, reduced over the broadcast, g (x > α')
  // minus g (x < −α') to α', which is the PACT gradient of a symmetric clip.
  const torch::Tensor bound = alpha.clamp_min(kMinLearnedActClip);
  return at::clamp(x, -bound, bound);
}

float EffectiveLearnedClip(const torch::Tensor& alpha) {
  torch::NoGradGuard no_grad;
  return alpha.detach().clamp_min(kMinLearnedActClip).item<float>();
}

QuantAttentionResult QuantizedAttentionCore(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                            const torch::Tensor& fill, double scale, float clip,
                                            const std::function<torch::Tensor(const torch::Tensor&)>& substitute_probs) {
  // Codes are integer-valued floats; |S_int| <= 127²·d and |O_int| <= 127²·Sk stay below 2^24 for d, Sk <= 1040,
  // so the float matmuls of codes are the exact int32 products of the op.
  TORCH_CHECK(q.size(-1) <= 1040 && k.size(-2) <= 1040, "QAttention simulation: head size and key length must be <= 1040");
  const QuantizedRows qq = QuantizeSymmetric(q.detach(), true, clip, 127);
  const QuantizedRows kq = QuantizeSymmetric(k.detach(), true, clip, 127);
  const QuantizedRows vq = QuantizeSymmetric(v.detach(), true, clip, 127);
  const torch::Tensor q_hat = FakeQuantized(q, qq, clip);
  const torch::Tensor k_hat = FakeQuantized(k, kq, clip);
  const torch::Tensor v_hat = FakeQuantized(v, vq, clip);
  QuantAttentionResult r;
  torch::Tensor s_int;
  {
    // score = fl(fl(S_int · fl(dq_i·dk_j)) · scale) (+ mask term), the gradient that of q̂·k̂ᵀ·scale.
    torch::NoGradGuard no_grad;
    s_int = at::matmul(qq.codes, kq.codes.transpose(-1, -2));
    const torch::Tensor dqdk = qq.dequant * kq.dequant.transpose(-1, -2);
    r.scores = (s_int * dqdk) * static_cast<float>(scale);
  }
  const torch::Tensor surrogate = at::matmul(q_hat, k_hat.transpose(-1, -2)) * static_cast<float>(scale);
  r.scores = Straight(surrogate, r.scores, torch::Tensor());
  if (fill.defined()) r.scores = r.scores + fill;
  r.probs = Straight(at::softmax(r.scores, -1),
                     RuntimeSoftmax(s_int, qq.dequant, kq.dequant, static_cast<float>(scale), fill), torch::Tensor());
  const torch::Tensor p = substitute_probs ? substitute_probs(r.probs) : r.probs;
  torch::Tensor value;
  {
    // P' = p_j·dv_j quantized per row (no clip); out = fl(O_int · dp_i).
    torch::NoGradGuard no_grad;
    const torch::Tensor p_scaled = p.detach() * vq.dequant.transpose(-1, -2);
    const QuantizedRows pq = QuantizeSymmetric(p_scaled, true, 0.0f, 127);
    value = at::matmul(pq.codes, vq.codes) * pq.dequant;
  }
  r.context = Straight(at::matmul(p, v_hat), value, torch::Tensor());
  return r;
}

}  // namespace qc::qat
