// ops/embedding.h: building the encoder input: embedding lookups, position embeddings, ViT's prepended token.
//
// Overview
//   BERT's input is word_embeddings[input_ids] + position_embeddings[0..S) + token_type_embeddings[token_type_ids]
//   (then LayerNorm): EmbeddingGather for the first, AddPositionEmbedding, EmbeddingGatherAdd for the third. ViT's
//   is [cls; patch_embeddings] + position_embeddings: PrependToken, then AddPositionEmbedding. Tables are row-major
//   [rows, dim] and are read in place (mmapped weights). Ids come from outside the model, so every id is checked;
//   an out-of-range id is a kOutOfRange Status naming the id and its position, and nothing is read out of bounds.
//
// Usage
//   QC_RETURN_IF_ERROR(qc::EmbeddingGather(ids, batch * seq, word_table, vocab, hidden, x));
//   QC_RETURN_IF_ERROR(qc::AddPositionEmbedding(x, batch, seq, hidden, pos_table, max_positions, 0, x));
//   QC_RETURN_IF_ERROR(qc::EmbeddingGatherAdd(type_ids, batch * seq, type_table, 2, hidden, x));
#pragma once

#include <cstddef>
#include <cstdint>

#include "qcompress/status.h"

namespace qc {

/// out[i, :] = table[ids[i], :] for i < count, from a [rows, dim] table into a [count, dim] out.
/// kOutOfRange if some id is negative or >= rows (out is then partly written).
Status EmbeddingGather(const int64_t* ids, size_t count, const float* table, size_t rows, size_t dim, float* out);

/// out[i, :] += table[ids[i], :]: the same lookup, added to what out holds. Ids are checked before anything is
/// added, so on error out is unchanged.
Status EmbeddingGatherAdd(const int64_t* ids, size_t count, const float* table, size_t rows, size_t dim, float* out);

/// y[b, s, :] = x[b, s, :] + table[offset + s, :] for a [batch, seq, dim] x and a [rows, dim] table (position ids
/// offset, offset + 1, ...). kOutOfRange if offset + seq > rows, e.g. a sequence longer than the model's 512
/// positions. y may equal x.
Status AddPositionEmbedding(const float* x, size_t batch, size_t seq, size_t dim, const float* table, size_t rows,
                            size_t offset, float* y);

/// out[b, 0, :] = token; out[b, 1 + n, :] = x[b, n, :]: [batch, count, dim] -> [batch, count + 1, dim]. out must not
/// overlap x.
void PrependToken(const float* x, size_t batch, size_t count, size_t dim, const float* token, float* out);

}  // namespace qc
