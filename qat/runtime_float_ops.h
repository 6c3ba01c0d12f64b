// qat/runtime_float_ops.h: GELU and LayerNorm whose forward is the runtime's own arithmetic, for the LibTorch model.
//
// Overview
//   The exported .qm runs GELU with the runtime's rational erf (error budget 2e-6 + 1e-5·|y|, docs/quantization.md)
//   and LayerNorm with its double-accumulating row kernel. PyTorch's at::gelu / at::layer_norm round differently, and
//   in a quantized model a last-bit difference before an int8 quantizer can move a code across a rounding boundary
//   and change everything after it. So the trained model's forward calls the runtime kernels (bit-identical on every
//   ISA) and only the backward uses PyTorch's exact derivatives: the model that was trained is the model that runs.
//   Tensors that are not contiguous-able CPU float32 (e.g. CUDA), or a LayerNorm over more than the last axis, fall
//   back to the PyTorch op.
//
// Usage
//   torch::Tensor h = qc::qat::RuntimeGelu(x, /*tanh=*/false);
//   torch::Tensor y = qc::qat::RuntimeLayerNorm(x, gamma, beta, 1e-12);   // over the last axis
#pragma once

// clang-format off
#include <torch/torch.h>
// clang-format on

namespace qc::qat {

torch::Tensor RuntimeGelu(const torch::Tensor& x, bool tanh);

/// LayerNorm over the last axis; gamma and beta are [x.size(-1)].
torch::Tensor RuntimeLayerNorm(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta,
                               double eps);

}  // namespace qc::qat
