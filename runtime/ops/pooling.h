// ops/pooling.h: from token states to one vector per sequence: [CLS] selection, masked mean, L2 normalisation.
//
// Overview
//   BERT classifiers and ViT take the first token's state (SelectToken, index 0); sentence-embedding models take the
//   mean over real tokens and often L2-normalise it. MaskedMeanPool uses sentence-transformers' formula,
//   Σ_s m[s]·x[s] / max(Σ_s m[s], 1e-9), accumulated in double: a sequence whose mask is all zero pools to a zero
//   vector (not NaN). L2Normalize matches torch.nn.functional.normalize(p=2): x / max(‖x‖₂, eps).
//
// Usage
//   QC_RETURN_IF_ERROR(qc::SelectToken(states, batch, seq, hidden, 0, pooled));          // [CLS]
//   qc::MaskedMeanPool(states, batch, seq, hidden, qc::TokenMask::Int64(mask), pooled);
//   qc::L2Normalize(pooled, batch, hidden, 1e-12f, pooled);
#pragma once

#include <cstddef>

#include "ops/token_mask.h"
#include "qcompress/status.h"

namespace qc {

/// out[b, :] = x[b, index, :] for a [batch, seq, dim] x. kOutOfRange if index >= seq.
Status SelectToken(const float* x, size_t batch, size_t seq, size_t dim, size_t index, float* out);

/// out[b, :] = Σ_s m[b,s]·x[b,s,:] / max(Σ_s m[b,s], 1e-9) over a [batch, seq, dim] x; mask [batch, seq] (an empty
/// mask keeps every token). out must not overlap x.
void MaskedMeanPool(const float* x, size_t batch, size_t seq, size_t dim, const TokenMask& mask, float* out);

/// y[r, :] = x[r, :] / max(‖x[r, :]‖₂, eps) for a [rows, cols] x (norm accumulated in double). y may equal x.
void L2Normalize(const float* x, size_t rows, size_t cols, float eps, float* y);

}  // namespace qc
