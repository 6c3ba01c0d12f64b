// core/large_blocks.h: blocks are writable, distinct while live, reused by exact size, and assembled from freed
// pieces of other sizes (mremap) with their pages intact and usable; FloatBuffer goes through it.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/large_blocks.h"
#include "exec/executor.h"

namespace {

void Fill(void* p, size_t bytes, uint8_t v) {
  std::memset(p, v, bytes);
}

bool All(const void* p, size_t bytes, uint8_t v) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < bytes; ++i) {
    if (b[i] != v) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("large blocks: distinct, writable, reused by size") {
  const size_t a_bytes = 3u << 20, b_bytes = (3u << 20) + 100;  // the second rounds up to another page count
  void* a = qc::AllocateLargeBlock(a_bytes);
  void* b = qc::AllocateLargeBlock(b_bytes);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(a != b);
  Fill(a, a_bytes, 1);
  Fill(b, b_bytes, 2);
  CHECK(All(a, a_bytes, 1));
  CHECK(All(b, b_bytes, 2));
  qc::FreeLargeBlock(a, a_bytes);
  void* again = qc::AllocateLargeBlock(a_bytes);
  CHECK(again == a);  // the idle block of exactly this size comes back
  qc::FreeLargeBlock(again, a_bytes);
  qc::FreeLargeBlock(b, b_bytes);
}

TEST_CASE("large blocks: a bigger request is assembled from freed pieces and is fully usable") {
  std::vector<void*> small;
  const size_t piece = 1u << 20;
  for (int i = 0; i < 6; ++i) {
    small.push_back(qc::AllocateLargeBlock(piece));
    Fill(small.back(), piece, static_cast<uint8_t>(10 + i));
  }
  for (void* p : small) qc::FreeLargeBlock(p, piece);
  const size_t big_bytes = 5u << 20;  // >= 2 MiB and no idle block of this size: relinked from the pieces
  void* big = qc::AllocateLargeBlock(big_bytes);
  Fill(big, big_bytes, 7);
  CHECK(All(big, big_bytes, 7));
  // A second live block does not overlap the first.
  void* other = qc::AllocateLargeBlock(big_bytes);
  Fill(other, big_bytes, 8);
  CHECK(All(big, big_bytes, 7));
  CHECK(All(other, big_bytes, 8));
  qc::FreeLargeBlock(big, big_bytes);
  qc::FreeLargeBlock(other, big_bytes);
  // The pages freed by both are reusable again at other sizes.
  std::vector<void*> again;
  for (int i = 0; i < 10; ++i) {
    again.push_back(qc::AllocateLargeBlock(piece));
    Fill(again.back(), piece, static_cast<uint8_t>(i));
  }
  for (int i = 0; i < 10; ++i) CHECK(All(again[static_cast<size_t>(i)], piece, static_cast<uint8_t>(i)));
  for (void* p : again) qc::FreeLargeBlock(p, piece);
}

TEST_CASE("FloatBuffer: resize keeps what it held and takes large blocks") {
  qc::exec::FloatBuffer f;
  f.resize(10);
  for (size_t i = 0; i < 10; ++i) f[i] = static_cast<float>(i);
  f.resize(1u << 20);  // 4 MiB: a large block; the first ten values move with it
  for (size_t i = 0; i < 10; ++i) CHECK(f[i] == static_cast<float>(i));
  f.assign(5, 2.5f);
  CHECK(f.size() == 5);
  CHECK(f[4] == 2.5f);
}
