// Page recycling for activation buffers (core/large_blocks.h). Idle pages are kept as "pieces" (page-aligned ranges,
// each inside one kernel mapping). A request takes an idle piece of exactly its size (no system call: the steady
// state of repeated inferences); failing that, a fresh range, into which a large request (>= 2 MiB) first moves idle
// pieces with mremap(MREMAP_FIXED), relinking their pages without copying or faulting. So freed memory of any size
// serves the next large request and resident memory stays near the live set even when sizes differ from layer to
// layer (a [tokens, ffn] buffer becomes four [tokens, hidden] ones and back). A block remembers its pieces, because
// one mremap cannot span two mappings.
#include "core/large_blocks.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace qc {
namespace {

struct Piece {
  uint8_t* p;
  size_t bytes;  // page multiple
};

// Beyond these, pieces are unmapped rather than kept (bounds the bookkeeping and the mapping count).
constexpr size_t kMaxIdlePieces = 64;
constexpr size_t kMaxPiecesPerBlock = 16;
// Requests from this size on are assembled from idle pieces when no idle block has their exact size.
constexpr size_t kRecycleMinBytes = size_t{2} << 20;

class PagePool {
 public:
  void* Take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = idle_.size(); i-- > 0;) {  // exact size: no system call at all
      if (idle_[i].bytes == bytes) {
        const Piece piece = idle_[i];
        idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
        blocks_[piece.p] = {piece};
        return piece.p;
      }
    }
    void* fresh = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) throw std::bad_alloc();
    auto* base = static_cast<uint8_t*>(fresh);
    if (bytes < kRecycleMinBytes) {  // small: faulting a few pages beats relinking (and keeps exact sizes intact)
      blocks_[base] = {Piece{base, bytes}};
      return base;
    }
    std::vector<Piece> pieces;
    size_t filled = 0;
    // Move the most recently freed pieces in first; what is not covered keeps its fresh (untouched) pages.
    while (filled < bytes && !idle_.empty() && pieces.size() + 1 < kMaxPiecesPerBlock) {
      Piece& src = idle_.back();
      const size_t use = std::min(src.bytes, bytes - filled);
      void* moved = mremap(src.p, use, use, MREMAP_MAYMOVE | MREMAP_FIXED, base + filled);
      if (moved == MAP_FAILED) break;  // keep the fresh pages for the rest
      pieces.push_back({base + filled, use});
      filled += use;
      if (use == src.bytes) {
        idle_.pop_back();
      } else {  // the source mapping was split: its tail stays idle
        src.p += use;
        src.bytes -= use;
      }
    }
    if (filled < bytes) pieces.push_back({base + filled, bytes - filled});
    blocks_[base] = std::move(pieces);
    return base;
  }

  void Give(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(static_cast<uint8_t*>(p));
    if (it == blocks_.end()) {  // not ours: cannot happen with matched Allocate/Free
      munmap(p, bytes);
      return;
    }
    for (const Piece& piece : it->second) idle_.push_back(piece);
    blocks_.erase(it);
    while (idle_.size() > kMaxIdlePieces) {  // the oldest pieces go back to the kernel
      munmap(idle_.front().p, idle_.front().bytes);
      idle_.erase(idle_.begin());
    }
  }

 private:
  std::mutex mutex_;
  std::vector<Piece> idle_;                                  // oldest first
  std::unordered_map<uint8_t*, std::vector<Piece>> blocks_;  // live blocks by address
};

PagePool& Pool() {
  static PagePool* pool = new PagePool;  // never destroyed: buffers may be freed during static destruction
  return *pool;
}

size_t PageRounded(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

void* AllocateLargeBlock(size_t bytes) {
  return Pool().Take(PageRounded(bytes));
}

void FreeLargeBlock(void* p, size_t bytes) {
  if (p != nullptr) Pool().Give(p, PageRounded(bytes));
}

}  // namespace qc
