// ir/content_hash.h: a small, portable 64-bit content hash (FNV-1a) for golden tests and change detection.
//
// Overview
//   ir/ depends on the standard library only, so it cannot use xxHash (the .qm file's checksum). FNV-1a is enough to
//   make printed goldens notice changed weights; it is not a checksum for files and not collision-resistant.
//   The result depends only on the bytes, so it is the same on every platform and run.
//
// Usage
//   uint64_t h = qc::ir::Fnv1a64(bytes.data(), bytes.size());
//   h = qc::ir::Fnv1a64(more.data(), more.size(), h);          // continue over a second buffer
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qc::ir {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnv1a64Prime = 0x100000001b3ULL;

/// FNV-1a over `size` bytes, starting from `seed` (the standard offset basis by default).
inline uint64_t Fnv1a64(const void* data, size_t size, uint64_t seed = kFnv1a64Offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = seed;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= kFnv1a64Prime;
  }
  return hash;
}

/// "0x" followed by 16 lower-case hex digits.
inline std::string HashToHex(uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) text += kDigits[(hash >> shift) & 0xF];
  return text;
}

}  // namespace qc::ir
