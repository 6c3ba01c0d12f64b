// ops/token_mask.h: a per-token keep mask as models receive it, int64 (tokenizer output) or float.
//
// Overview
//   Hugging Face passes attention_mask as int64 (1 = real token, 0 = padding) or float; ops read both through
//   TokenMask::Value(), which returns the entry as float (1 when there is no mask). Ops apply the same formulas as
//   Hugging Face, so values other than 0 and 1 behave there as they do in PyTorch.
//
// Usage
//   qc::TokenMask mask = qc::TokenMask::Int64(attention_mask);   // [batch, seq], row-major
//   float keep = mask.Value(b * seq + s);                        // 1.0f or 0.0f
#pragma once

#include <cstddef>
#include <cstdint>

namespace qc {

struct TokenMask {
  const int64_t* i64 = nullptr;  ///< set at most one of i64 and f32; neither = every token kept
  const float* f32 = nullptr;

  static TokenMask None() { return {}; }
  static TokenMask Int64(const int64_t* values) { return {values, nullptr}; }
  static TokenMask Float(const float* values) { return {nullptr, values}; }

  bool empty() const { return i64 == nullptr && f32 == nullptr; }
  /// Entry `i` (flat index into [batch, seq]) as float; 1 when there is no mask.
  float Value(size_t i) const {
    if (i64 != nullptr) return static_cast<float>(i64[i]);
    if (f32 != nullptr) return f32[i];
    return 1.0f;
  }
};

}  // namespace qc
