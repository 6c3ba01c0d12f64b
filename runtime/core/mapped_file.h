// core/mapped_file.h: a read-only memory mapping of a whole file (or of a private copy of some bytes).
//
// Overview
//   MappedFile::Open maps a regular file with mmap(PROT_READ, MAP_PRIVATE): weights are used in place, never copied,
//   and pages are read lazily by the kernel. The mapping starts on a page boundary, so a byte at file offset o
//   is aligned in memory exactly as o is (up to the page size). The object owns the mapping; it is movable, not
//   copyable, and unmaps on destruction. An empty file gives an empty mapping (data() == nullptr, size() == 0).
//   MappedFile::CopyOf puts bytes into a fresh read-only anonymous mapping with the same alignment guarantee; tests
//   and fuzzers use it to feed the loader from memory.
//
//   Caveat of every mmap loader: if another process truncates the file while it is mapped, touching the lost pages
//   raises SIGBUS. Write models atomically (temp file + rename) and they are never truncated in place.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::MappedFile file, qc::MappedFile::Open("bert.qm"));
//   const uint8_t* bytes = file.data();   // valid until `file` is destroyed or moved from
//   size_t n = file.size();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "qcompress/status.h"

namespace qc {

class MappedFile {
 public:
  /// Maps `path` read-only. Errors (kIoError / kNotFound / kInvalidArgument) name the path and the OS reason.
  static Expected<MappedFile> Open(const std::string& path);
  /// A read-only, page-aligned private copy of `size` bytes; `name` is what error messages call it.
  static Expected<MappedFile> CopyOf(const void* data, size_t size, std::string name);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  /// The path given to Open, or the name given to CopyOf.
  const std::string& path() const { return path_; }
  /// True when `p` points into the mapping.
  bool Contains(const void* p) const;

 private:
  void Reset();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace qc
