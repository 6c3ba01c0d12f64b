// format/qm_reader.h: the verifying .qm loader and the read-only view of a loaded file.
//
// Overview
//   QmFile::Open maps the file read-only (core/mapped_file.h; weights are never copied) and, before any other code
//   may look at it, verifies it completely:
//     1. size >= 64, magic "QCMF", byte-order mark, format major (a newer major is kVersionTooNew and names both
//        versions), the preamble's XXH3-64, preamble size, min_runtime_version against core/version.h
//        ("model requires qcompress runtime >= X.Y.Z; this is A.B.C");
//     2. the section table with overflow-safe arithmetic: graph and blob inside the file, in order, aligned, the file
//        exactly as long as the preamble says, zero padding between them;
//     3. the whole-file XXH3-64 (bytes after the preamble); on a mismatch the error says which part is corrupt;
//     4. the FlatBuffers Verifier (depth and table limits) on the graph section, then every semantic rule:
//        enum values known, names and sizes within limits, constants' byte ranges inside the blob, aligned and of
//        dtype x shape bytes, op inputs/outputs in range and in topological order, each value produced once,
//        metadata sorted and standard keys typed, QuantParams references valid;
//     5. (QmReadOptions::verify_tensor_checksums, on by default) the blob section's and every constant's XXH3-64.
//   Every failure is a qc::Status naming the file and the section, value, op, key or offset at fault; hostile input
//   never crashes the loader. After Open succeeds, the accessors below need no further checks.
//
//   Views (QmValue, QmOp, QmDatum, QmStringList) point into the mapping: they stay valid while the QmFile that made
//   them (or the QmFile it was moved into) is alive.
//   A loaded QmFile is immutable, so any number of threads may read it at once.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::qm::QmFile file, qc::qm::QmFile::Open("bert.qm"));
//   for (uint32_t i = 0; i < file.num_ops(); ++i) {
//     qc::qm::QmOp op = file.op(i);
//     if (op.type() == qc::qm::OpType::LayerNorm) { QC_ASSIGN_OR_RETURN(double eps,
//     op.GetFloat(qc::qm::AttrKey::epsilon)); }
//   }
//   QC_ASSIGN_OR_RETURN(uint32_t w, file.FindValue("encoder.layer.0.attention.self.query.weight"));
//   const uint8_t* bytes = file.value(w).data();          // in the mapping, 64-byte aligned
//   QC_ASSIGN_OR_RETURN(qc::qm::QmStringList vocab, file.GetMetadataStringList("tokenizer.vocab"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mapped_file.h"
#include "format/qm_layout.h"
#include "format/qm_types.h"
#include "qcompress/status.h"

namespace qc::qm {

struct QmReadOptions {
  /// Also verify the blob section's XXH3-64 and each constant's XXH3-64 (two more passes over the blob). They repeat
  /// what the whole-file digest, which is always verified, already covers; they catch a writer whose tensors
  /// changed while it wrote. Off saves those passes; nothing else is skipped.
  bool verify_tensor_checksums = true;
};

/// A read-only array view (C++17 has no std::span).
template <typename T>
struct ConstSpan {
  const T* data = nullptr;
  size_t size = 0;
  const T& operator[](size_t i) const { return data[i]; }
  const T* begin() const { return data; }
  const T* end() const { return data + size; }
  bool empty() const { return size == 0; }
};

/// A list of strings in the graph section.
class QmStringList {
 public:
  QmStringList() = default;
  size_t size() const;
  std::string_view operator[](size_t i) const;

 private:
  friend class QmDatum;
  explicit QmStringList(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) : v_(v) {}
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v_ = nullptr;
};

/// A typed value: an operator attribute or a metadata value. The As* accessors fail with kInvalidArgument
/// ("is a string, not an int") when the kind differs; the caller adds which key it was.
class QmDatum {
 public:
  DatumKind kind() const { return static_cast<DatumKind>(tag_); }
  Expected<int64_t> AsInt() const;
  Expected<double> AsFloat() const;  ///< also accepts an int datum
  Expected<std::string_view> AsString() const;
  Expected<ConstSpan<int64_t>> AsIntList() const;
  Expected<ConstSpan<double>> AsFloatList() const;
  Expected<QmStringList> AsStringList() const;
  Expected<ConstSpan<uint8_t>> AsBytes() const;

 private:
  friend class QmOp;
  friend class QmFile;
  QmDatum(uint8_t tag, const void* table) : tag_(tag), table_(table) {}
  Status KindError(DatumKind wanted) const;
  uint8_t tag_ = 0;
  const void* table_ = nullptr;
};

/// One dimension: a fixed size or a named symbolic size ("batch", "sequence").
struct QmDim {
  bool symbolic = false;
  int64_t size = 0;         ///< when !symbolic
  std::string_view symbol;  ///< when symbolic
};

/// Quantization parameters of a tensor (reserved in format 1.0: stored and reference-checked, not interpreted).
struct QmQuantParams {
  uint8_t bits = 0;
  QuantGranularity granularity = QuantGranularity::Invalid;
  int32_t axis = 0;
  uint32_t group_size = 0;
  int32_t scale_value = -1;       ///< value index of the scale tensor, -1 = none
  int32_t zero_point_value = -1;  ///< value index of the zero-point tensor, -1 = none
};

/// A value: graph input, constant or op result.
class QmValue {
 public:
  uint32_t index() const { return index_; }
  std::string_view name() const;
  DType dtype() const;
  size_t rank() const;
  QmDim dim(size_t i) const;
  /// True when no dimension is symbolic (constants always).
  bool has_fixed_shape() const;
  bool is_constant() const;
  /// Constant bytes inside the mapping, aligned to alignment(); nullptr for non-constants.
  const uint8_t* data() const;
  uint64_t byte_size() const;    ///< 0 for non-constants
  uint64_t blob_offset() const;  ///< relative to the blob section start
  uint32_t alignment() const;
  uint64_t data_xxh3() const;
  std::optional<QmQuantParams> quant() const;

 private:
  friend class QmFile;
  QmValue(const fb::Model* model, const fb::Value* value, const uint8_t* blob, uint32_t index)
      : model_(model), v_(value), blob_(blob), index_(index) {}
  const fb::Model* model_;
  const fb::Value* v_;
  const uint8_t* blob_;
  uint32_t index_;
};

/// An operator. Input and output entries are value indices; an input of -1 is an optional input not given.
class QmOp {
 public:
  uint32_t index() const { return index_; }
  OpType type() const;
  uint16_t version() const;
  std::string_view name() const;
  size_t num_inputs() const;
  int32_t input(size_t i) const;
  size_t num_outputs() const;
  int32_t output(size_t i) const;
  size_t num_attrs() const;
  AttrKey attr_key(size_t i) const;
  QmDatum attr_value(size_t i) const;
  std::optional<QmDatum> FindAttr(AttrKey key) const;
  /// Typed lookups: kNotFound when absent, kCorruptData when of another kind; messages name the op and the key.
  Expected<int64_t> GetInt(AttrKey key) const;
  Expected<double> GetFloat(AttrKey key) const;
  Expected<std::string_view> GetString(AttrKey key) const;
  Expected<ConstSpan<int64_t>> GetIntList(AttrKey key) const;
  Expected<ConstSpan<double>> GetFloatList(AttrKey key) const;
  /// "op 12 'bert.encoder.layer.0.attention' (Attention v1)", for messages.
  std::string Describe() const;

 private:
  friend class QmFile;
  QmOp(const fb::Op* op, uint32_t index) : op_(op), index_(index) {}
  Expected<QmDatum> Lookup(AttrKey key) const;
  const fb::Op* op_;
  uint32_t index_;
};

/// Where the model came from; empty strings for fields the writer did not set.
struct QmProvenance {
  std::string_view producer_name;
  std::string_view producer_version;
  std::string_view command_line;
  std::string_view source_model_name;
  std::string_view source_model_hash;
  std::string_view calibration_data_hash;
  std::optional<uint64_t> seed;
};

/// A verified, memory-mapped .qm file. Movable, not copyable. Moving keeps the mapping (views stay valid) and
/// leaves the source empty.
class QmFile {
 public:
  /// Maps and verifies `path` (see the overview for every check).
  static Expected<QmFile> Open(const std::string& path, const QmReadOptions& options = {});
  /// Verifies bytes that are already mapped (e.g. MappedFile::CopyOf for in-memory input); takes ownership.
  static Expected<QmFile> FromMapping(MappedFile mapping, const QmReadOptions& options = {});

  /// An empty file (nothing loaded: every count is 0, every lookup kNotFound), to be assigned from Open().
  QmFile() = default;
  /// False for a default-constructed or moved-from QmFile.
  bool loaded() const { return model_ != nullptr; }

  QmFile(QmFile&& other) noexcept
      : map_(std::move(other.map_)),
        preamble_(other.preamble_),
        model_(std::exchange(other.model_, nullptr)),
        values_by_name_(std::move(other.values_by_name_)) {}
  QmFile& operator=(QmFile&& other) noexcept {
    if (this != &other) {
      map_ = std::move(other.map_);
      preamble_ = other.preamble_;
      model_ = std::exchange(other.model_, nullptr);
      values_by_name_ = std::move(other.values_by_name_);
    }
    return *this;
  }
  QmFile(const QmFile&) = delete;
  QmFile& operator=(const QmFile&) = delete;

  const std::string& path() const { return map_.path(); }
  const MappedFile& mapping() const { return map_; }
  const Preamble& preamble() const { return preamble_; }
  uint16_t format_major() const { return preamble_.format_major; }
  uint16_t format_minor() const { return preamble_.format_minor; }
  RuntimeVersion min_runtime_version() const { return RuntimeVersion::Unpack(preamble_.min_runtime_version); }

  size_t num_required_features() const;
  std::string_view required_feature(size_t i) const;
  /// kUnsupported naming the first required feature not in `supported` and the model's min_runtime_version.
  Status CheckRequiredFeatures(const std::vector<std::string_view>& supported) const;

  size_t num_dim_symbols() const;
  std::string_view dim_symbol(size_t i) const;

  uint32_t num_values() const;
  QmValue value(uint32_t i) const;
  /// kNotFound when no value has this name.
  Expected<uint32_t> FindValue(std::string_view name) const;
  uint32_t num_ops() const;
  QmOp op(uint32_t i) const;
  ConstSpan<uint32_t> inputs() const;   ///< graph inputs, value indices
  ConstSpan<uint32_t> outputs() const;  ///< graph outputs, value indices

  /// Metadata entries, sorted by key.
  size_t num_metadata() const;
  std::string_view metadata_key(size_t i) const;
  QmDatum metadata_value(size_t i) const;
  bool HasMetadata(std::string_view key) const { return FindMetadata(key).ok(); }
  /// kNotFound when absent; the typed getters add kInvalidArgument when the kind differs.
  Expected<QmDatum> FindMetadata(std::string_view key) const;
  Expected<int64_t> GetMetadataInt(std::string_view key) const;
  Expected<double> GetMetadataFloat(std::string_view key) const;
  Expected<std::string_view> GetMetadataString(std::string_view key) const;
  Expected<ConstSpan<int64_t>> GetMetadataIntList(std::string_view key) const;
  Expected<ConstSpan<double>> GetMetadataFloatList(std::string_view key) const;
  Expected<QmStringList> GetMetadataStringList(std::string_view key) const;
  Expected<ConstSpan<uint8_t>> GetMetadataBytes(std::string_view key) const;

  QmProvenance provenance() const;
  std::string_view report_json() const;

  const uint8_t* blob_data() const { return loaded() ? map_.data() + preamble_.blob_offset : nullptr; }
  uint64_t blob_size() const { return loaded() ? preamble_.blob_length : 0; }

 private:
  MappedFile map_;
  Preamble preamble_{};
  const fb::Model* model_ = nullptr;
  std::vector<uint32_t> values_by_name_;  // value indices sorted by name, for FindValue
};

}  // namespace qc::qm
