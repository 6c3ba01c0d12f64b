#include "ops/embedding.h"

#include <cstring>
#include <string>

namespace qc {
namespace {

Status CheckIds(const int64_t* ids, size_t count, size_t rows) {
  for (size_t i = 0; i < count; ++i) {
    // Compare as unsigned so a negative id is out of range too (it wraps to a huge value).
    if (static_cast<uint64_t>(ids[i]) >= rows) {
      return OutOfRange("embedding lookup: id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                        " is outside the table's " + std::to_string(rows) + " rows");
    }
  }
  return Status::Ok();
}

}  // namespace

Status EmbeddingGather(const int64_t* ids, size_t count, const float* table, size_t rows, size_t dim, float* out) {
  QC_RETURN_IF_ERROR(CheckIds(ids, count, rows));
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(out + i * dim, table + static_cast<size_t>(ids[i]) * dim, dim * sizeof(float));
  }
  return Status::Ok();
}

Status EmbeddingGatherAdd(const int64_t* ids, size_t count, const float* table, size_t rows, size_t dim, float* out) {
  QC_RETURN_IF_ERROR(CheckIds(ids, count, rows));
  for (size_t i = 0; i < count; ++i) {
    const float* row = table + static_cast<size_t>(ids[i]) * dim;
    float* o = out + i * dim;
    for (size_t c = 0; c < dim; ++c) o[c] += row[c];
  }
  return Status::Ok();
}

Status AddPositionEmbedding(const float* x, size_t batch, size_t seq, size_t dim, const float* table, size_t rows,
                            size_t offset, float* y) {
  if (offset > rows || seq > rows - offset) {
    return OutOfRange("position embedding: positions " + std::to_string(offset) + ".." + std::to_string(offset + seq) +
                      " exceed the table's " + std::to_string(rows) + " rows");
  }
  for (size_t b = 0; b < batch; ++b) {
    for (size_t s = 0; s < seq; ++s) {
      const float* xr = x + (b * seq + s) * dim;
      const float* pr = table + (offset + s) * dim;
      float* yr = y + (b * seq + s) * dim;
      for (size_t c = 0; c < dim; ++c) yr[c] = xr[c] + pr[c];
    }
  }
  return Status::Ok();
}

void PrependToken(const float* x, size_t batch, size_t count, size_t dim, const float* token, float* out) {
  for (size_t b = 0; b < batch; ++b) {
    float* ob = out + b * (count + 1) * dim;
    std::memcpy(ob, token, dim * sizeof(float));
    std::memcpy(ob + dim, x + b * count * dim, count * dim * sizeof(float));
  }
}

}  // namespace qc
