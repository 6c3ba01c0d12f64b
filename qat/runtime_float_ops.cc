#include "qat/runtime_float_ops.h"

#include <array>

#include "ops/elementwise.h"
#include "ops/layer_norm.h"

namespace qc::qat {

namespace {

bool RuntimeCanRun(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat;
}

struct RuntimeGeluFunction : public torch::autograd::Function<RuntimeGeluFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, bool tanh) {
    ctx->save_for_backward({x});
    ctx->saved_data["tanh"] = tanh;
    const torch::Tensor xc = x.contiguous();
    torch::Tensor y = torch::empty_like(xc);
    (tanh ? &GeluTanh : &GeluErf)(xc.data_ptr<float>(), static_cast<size_t>(xc.numel()), y.data_ptr<float>());
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const torch::Tensor x = ctx->get_saved_variables()[0];
    const bool tanh = ctx->saved_data["tanh"].toBool();
    return {at::gelu_backward(grads[0], x, tanh ? "tanh" : "none"), torch::Tensor()};
  }
};

struct RuntimeLayerNormFunction : public torch::autograd::Function<RuntimeLayerNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& gamma, const torch::Tensor& beta, double eps) {
    ctx->save_for_backward({x, gamma, beta});
    ctx->saved_data["eps"] = eps;
    const torch::Tensor xc = x.contiguous(), gc = gamma.contiguous(), bc = beta.contiguous();
    torch::Tensor y = torch::empty_like(xc);
    const auto cols = static_cast<size_t>(x.size(-1));
    const size_t rows = cols == 0 ? 0 : static_cast<size_t>(x.numel()) / cols;
    LayerNorm(xc.data_ptr<float>(), rows, cols, gc.data_ptr<float>(), bc.data_ptr<float>(), static_cast<float>(eps),
              y.data_ptr<float>());
    return y;
  }

  // PyTorch's own LayerNorm backward, fed the statistics PyTorch computes for x.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& gamma = saved[1];
    const torch::Tensor& beta = saved[2];
    const double eps = ctx->saved_data["eps"].toDouble();
    const std::array<int64_t, 1> shape = {x.size(-1)};
    const auto stats = at::native_layer_norm(x, shape, gamma, beta, eps);
    const auto g = at::native_layer_norm_backward(grads[0].contiguous(), x, shape, std::get<1>(stats),
                                                  std::get<2>(stats), gamma, beta, {true, true, true});
    return {std::get<0>(g), std::get<1>(g), std::get<2>(g), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor RuntimeGelu(const torch::Tensor& x, bool tanh) {
  if (!RuntimeCanRun(x)) return at::gelu(x, tanh ? "tanh" : "none");
  return RuntimeGeluFunction::apply(x, tanh);
}

torch::Tensor RuntimeLayerNorm(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta,
                               double eps) {
  const bool shapes_ok = x.dim() >= 1 && gamma.defined() && beta.defined() && gamma.dim() == 1 && beta.dim() == 1 &&
                         gamma.size(0) == x.size(-1) && beta.size(0) == x.size(-1);
  if (!shapes_ok || !RuntimeCanRun(x) || !RuntimeCanRun(gamma) || !RuntimeCanRun(beta)) {
    return at::layer_norm(x, {x.size(-1)}, gamma, beta, eps);
  }
  return RuntimeLayerNormFunction::apply(x, gamma, beta, eps);
}

}  // namespace qc::qat
