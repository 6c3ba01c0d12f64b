// importers/hf/safetensors.h: a hostile-file-safe, zero-copy reader for `.safetensors` checkpoints.
//
// Overview
//   The file is mapped read-only (mmap) and the mapping is owned by a shared handle (`owner()`); every tensor is a
//   view into it, so opening a 1 GB checkpoint copies nothing. Copies of the handle (ir::Tensor views, Float32Data
//   views) keep the mapping alive after the SafetensorsFile itself is gone.
//
//   Layout (huggingface/safetensors): u64 little-endian header length N · N bytes of UTF-8 JSON · the byte region.
//   The JSON maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte
//   region) plus an optional "__metadata__" object of string -> string.
//
//   What Open() accepts (everything else is a CorruptData / Unsupported status naming the file and the tensor):
//   - 8 <= file size; N <= kMaxHeaderBytes (100 MiB) and N <= file size - 8;
//   - the header starts with '{' and is one JSON object; JSON whitespace may follow it (writers pad with spaces, the
//     reference reader accepts any JSON whitespace); anything else after it is rejected; nesting deeper than the
//     format needs is rejected; keys are unique at every level (the format forbids duplicates; plain JSON parsers
//     would silently keep one of them);
//   - "__metadata__", if present, is an object whose values are all strings;
//   - per tensor: dtype one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL (others, e.g. F8_E4M3, U16, are Unsupported);
//     shape a list of non-negative integers; data_offsets two integers with begin <= end <= region size; dtype size
//     times the element count (overflow-checked) equals end - begin; unknown extra keys in a tensor entry are ignored
//     (as the reference reader does);
//   - the ranges tile the byte region exactly, as the format requires ("entirely indexed, no holes"): sorted by
//     offset, each tensor starts where the previous one ended and the last one ends at the end of the file, so
//     overlapping ranges, gaps and trailing bytes are all rejected. Zero-size tensors (a 0 in the shape) occupy an
//     empty range.
//   Tensor data is never inspected (NaN/Inf are allowed, BOOL bytes are not checked). Alignment is not guaranteed by
//   the format: `data` may be misaligned for its dtype; ToFloat32() copies when it has to.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::hf::SafetensorsFile file, qc::hf::SafetensorsFile::Open("bert/model.safetensors"));
//   QC_ASSIGN_OR_RETURN(const qc::hf::SafetensorsTensor* t, file.Get("bert.embeddings.word_embeddings.weight"));
//   QC_ASSIGN_OR_RETURN(qc::hf::Float32Data values, file.ToFloat32(*t));    // view or converted copy
//   float first = values.data()[0];
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf {

/// Element types a safetensors file can declare that this reader supports.
enum class StDType : uint8_t { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

/// The format's spelling: "F32", "BF16", "BOOL", ...
std::string_view StDTypeName(StDType dtype);
/// Bytes per element (BOOL: 1).
size_t StDTypeSize(StDType dtype);
/// Parses the format's spelling; Unsupported (quoting it) for valid-but-unsupported or unknown names.
Expected<StDType> ParseStDType(std::string_view name);

/// Header lengths above this are rejected before any allocation (real headers are kilobytes).
inline constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

/// One tensor of an opened file. `data` points into the mapping and is valid while the file's owner() lives.
struct SafetensorsTensor {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<int64_t> shape;
  int64_t element_count = 0;
  uint64_t begin = 0;  ///< data_offsets[0], relative to the byte region
  uint64_t end = 0;    ///< data_offsets[1]
  const uint8_t* data = nullptr;
  size_t byte_size() const { return static_cast<size_t>(end - begin); }
  /// "F32[384, 384]".
  std::string TypeString() const;
};

/// float32 elements of a tensor: a view into the mapping when the tensor is F32 and 4-byte aligned, otherwise an
/// owned, converted copy. Moving or copying keeps `data()` valid (the view holds the mapping's owner).
class Float32Data {
 public:
  Float32Data() = default;
  static Float32Data View(const float* data, size_t size, std::shared_ptr<const void> owner);
  static Float32Data Owned(std::vector<float> values);

  const float* data() const { return is_view_ ? view_ : owned_.data(); }
  size_t size() const { return size_; }
  bool is_view() const { return is_view_; }
  /// The owner keeping a view's bytes alive (null for owned data).
  const std::shared_ptr<const void>& owner() const { return owner_; }
  /// Moves owned data out, or copies a view.
  std::vector<float> TakeVector() &&;

 private:
  bool is_view_ = false;
  const float* view_ = nullptr;
  size_t size_ = 0;
  std::vector<float> owned_;
  std::shared_ptr<const void> owner_;
};

class SafetensorsFile {
 public:
  /// Maps and validates `path` (see the header comment for the rules).
  static Expected<SafetensorsFile> Open(const std::string& path);
  /// Validates an in-memory image of a file; `owner` keeps `bytes` alive. `path` is only used in messages.
  static Expected<SafetensorsFile> FromBuffer(const uint8_t* bytes, size_t size, std::shared_ptr<const void> owner,
                                              std::string path);

  const std::string& path() const { return path_; }
  /// "__metadata__" entries (e.g. {"format": "pt"}); empty when absent.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// All tensors, sorted by name.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  /// Keeps the mapping alive; hand it to views (ir::Tensor::View) of tensor data.
  const std::shared_ptr<const void>& owner() const { return owner_; }
  /// Offset of the byte region from the start of the file (8 + header length).
  uint64_t data_region_offset() const { return region_offset_; }

  /// nullptr when there is no such tensor.
  const SafetensorsTensor* Find(std::string_view name) const;
  /// NotFound "<path>: no tensor '<name>'" when absent.
  Expected<const SafetensorsTensor*> Get(std::string_view name) const;

  /// The tensor's elements as float32: F32 (a view when aligned, else a copy), F16 / BF16 / F64 (converted copy).
  /// Integer and BOOL tensors are Unsupported (named).
  Expected<Float32Data> ToFloat32(const SafetensorsTensor& tensor) const;

 private:
  std::string path_;
  std::shared_ptr<const void> owner_;
  uint64_t region_offset_ = 0;
  std::map<std::string, std::string> metadata_;
  std::vector<SafetensorsTensor> tensors_;
};

/// IEEE half and bfloat16 bit patterns to float (exact; NaN payloads and infinities preserved).
float HalfToFloat(uint16_t bits);
float BFloat16ToFloat(uint16_t bits);

}  // namespace qc::hf
