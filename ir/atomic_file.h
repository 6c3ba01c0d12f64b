// ir/atomic_file.h: write a file so that readers see either the old file or the complete new one.
//
// Overview
//   AtomicFile::Create makes a temp file "<dir>/.<name>.tmp-XXXXXX" next to the target (same filesystem, so the
//   final rename is atomic). Append() buffers writes; WriteAt() patches bytes already written (e.g. a header whose
//   checksum is known last). Commit() flushes, fsyncs the file, sets mode 0644, renames it over the target and
//   fsyncs the directory. If Commit() is not reached or fails, the destructor closes and unlinks the temp file, and
//   the target is never touched. Errors name the path and the OS reason.
//
//   It lives in ir/ because every module that writes files (exporters/ for .qm, qat/ for checkpoints, tools/ for
//   reports) builds on ir/; runtime/ only reads.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::AtomicFile out, qc::AtomicFile::Create("out/model.qm"));
//   QC_RETURN_IF_ERROR(out.Append(bytes, n));
//   QC_RETURN_IF_ERROR(out.WriteAt(0, header, sizeof(header)));
//   QC_RETURN_IF_ERROR(out.Commit());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qcompress/status.h"

namespace qc {

class AtomicFile {
 public:
  static Expected<AtomicFile> Create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends `size` bytes at the end.
  Status Append(const void* data, size_t size);
  /// Appends `size` zero bytes.
  Status AppendZeros(size_t size);
  /// Overwrites bytes [offset, offset + size), which must already have been appended.
  Status WriteAt(uint64_t offset, const void* data, size_t size);
  /// Makes the file visible at the target path (see the overview). The object is spent afterwards.
  Status Commit();

  const std::string& temp_path() const { return temp_path_; }
  uint64_t size() const { return written_ + buffer_.size(); }

 private:
  AtomicFile(std::string path, std::string temp_path, int fd);
  Status Flush();
  Status WriteAll(const void* data, size_t size);
  void Abandon();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t written_ = 0;  // bytes already handed to the OS
  std::vector<uint8_t> buffer_;
};

}  // namespace qc
