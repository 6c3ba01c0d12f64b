// passes/fuse_gelu_epilogue.h: folds a Gelu that follows a QLinear into the QLinear's epilogue.
//
// Rule: Gelu{approximate}(QLinear{epilogue none}(...)) where the QLinear output feeds only that Gelu and is not a
// graph output -> QLinear{epilogue gelu_erf | gelu_tanh}. Exact: the runtime's epilogue calls the same scalar GELU
// function as the float Gelu op (docs/quantization.md "Quantized ops"). This is the "fold quantizers into
// epilogues" step of the pipeline: the FFN's activation runs on the GEMM's output while it is still in cache.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeFuseGeluEpiloguePass();

}  // namespace qc::passes
