// core/large_blocks.h: page-backed blocks for activation buffers, recycled by exact size.
//
// Overview
//   An inference allocates the same few activation sizes over and over (per layer: [tokens, hidden] and
//   [tokens, ffn] floats) and frees each after its last reader. Through malloc, the freed blocks stay in the heap
//   fragmented, or go back to the kernel and fault in again on the next layer. These blocks are mmap'ed anonymous
//   pages whose pages are recycled after use: a request of the same (page-rounded) size takes a freed block back
//   with no system call; any other request gets a fresh range into which freed pages are moved with mremap (no
//   copy, no page fault). So resident memory follows the live set, and pages fault in only when the live set grows.
//   Thread-safe; used by exec/executor.h's FloatBuffer for blocks of at least kLargeBlockBytes.
//
// Usage
//   void* p = qc::AllocateLargeBlock(bytes);   // throws std::bad_alloc when the kernel refuses
//   qc::FreeLargeBlock(p, bytes);              // same byte count
#pragma once

#include <cstddef>

namespace qc {

/// Smaller requests go to malloc.
inline constexpr size_t kLargeBlockBytes = size_t{256} << 10;
void* AllocateLargeBlock(size_t bytes);
void FreeLargeBlock(void* p, size_t bytes);

}  // namespace qc
