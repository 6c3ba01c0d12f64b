// format/qm_check.h (internal to the reader): semantic verification of a .qm graph section that has already passed
// the FlatBuffers Verifier, and hashing helpers.
//
// Overview
//   CheckModel enforces every rule of docs/qm-format.md that the Verifier cannot see: known enum values, name and
//   size limits, constants' byte ranges (inside the blob, aligned, dtype x shape bytes), op inputs/outputs in range
//   and in topological order with a single producer per value, graph inputs/outputs, dimension symbols, metadata
//   order and standard keys, QuantParams references, required features, and (optionally) the blob and per-constant
//   XXH3-64. On success it fills `values_by_name` (value indices sorted by name). Messages start with "<path>: ".
//
// Usage
//   QC_RETURN_IF_ERROR(qc::qm::internal::CheckModel(*model, ctx, &values_by_name));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/qm_layout.h"
#include "format/qm_types.h"
#include "qcompress/status.h"

namespace qc::qm::internal {

struct CheckContext {
  std::string path;  ///< for messages
  const Preamble* preamble = nullptr;
  const uint8_t* blob = nullptr;  ///< blob section start in the mapping
  uint64_t blob_size = 0;
  bool verify_tensor_checksums = true;
};

Status CheckModel(const fb::Model& model, const CheckContext& ctx, std::vector<uint32_t>* values_by_name);

/// XXH3-64 (seed 0) of `size` bytes.
uint64_t Xxh3(const void* data, uint64_t size);

/// "0x0123456789abcdef".
std::string Hex64(uint64_t v);

}  // namespace qc::qm::internal
