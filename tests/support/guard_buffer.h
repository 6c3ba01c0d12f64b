// tests/support/guard_buffer.h: test buffers that end exactly at an unmapped page, so over-reads crash.
//
// Overview
//   GuardBuffer<T>(count) maps fresh pages and places its `count` elements so that the last one ends exactly where a
//   PROT_NONE page begins; a kernel that reads or writes even one element past the end (for example a full vector
//   load on a tail) gets SIGSEGV instead of silently using junk. The page before the mapping's data pages is
//   PROT_NONE too, catching gross under-runs. The data is therefore aligned only to alignof(T), which also makes
//   the kernels prove they do not rely on vector alignment. Modeled on MLAS's MatrixGuardBuffer.
//
// Usage
//   qc::test::GuardBuffer<float> x(m * k);       // contents zeroed
//   Fill(x.data(), x.size());
//   kernel(x.data(), ...);                        // reading x.data()[m * k] faults
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace qc::test {

template <typename T>
class GuardBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "GuardBuffer holds plain data");

 public:
  explicit GuardBuffer(size_t count) : count_(count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (count * sizeof(T) + page - 1) / page;
    map_bytes_ = (data_pages + 2) * page;  // guard, data pages, guard
    void* base = mmap(nullptr, map_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
      std::perror("GuardBuffer: mmap");
      std::abort();  // a test helper: nothing sensible to continue with
    }
    base_ = static_cast<unsigned char*>(base);
    if (data_pages > 0 && mprotect(base_ + page, data_pages * page, PROT_READ | PROT_WRITE) != 0) {
      std::perror("GuardBuffer: mprotect");
      std::abort();
    }
    // End of the data = start of the trailing guard page.
    data_ = reinterpret_cast<T*>(base_ + (data_pages + 1) * page - count * sizeof(T));
  }

  GuardBuffer(const GuardBuffer&) = delete;
  GuardBuffer& operator=(const GuardBuffer&) = delete;
  ~GuardBuffer() { munmap(base_, map_bytes_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  unsigned char* base_ = nullptr;
  size_t map_bytes_ = 0;
  size_t count_ = 0;
  T* data_ = nullptr;
};

}  // namespace qc::test
