// format/qm_layout.h: the fixed parts of a .qm file that need no FlatBuffers: the 64-byte preamble, alignment rules,
// version packing and the size limits both the writer and the reader enforce.
//
// Overview
//   A .qm file is   [preamble: 64 B][graph section: FlatBuffer "QM01"][zero padding][blob section: tensor bytes]
//   (docs/qm-format.md has the byte-by-byte specification). This header is the single definition of the preamble
//   layout and of the constants, shared by the runtime's reader (runtime/format/qm_reader.cc) and the exporter's writer
//   (exporters/qm/qm_writer.cc). It is header-only and depends on the C++17 standard library alone; hashing is left
//   to the caller (XXH3-64, seed 0, from xxhash.h), so this header adds no link dependency.
//
// Usage
//   uint8_t bytes[qc::qm::kPreambleSize];
//   qc::qm::Preamble p = qc::qm::MakePreamble();          // magic, byte order, sizes, format version filled in
//   p.graph_length = ...; p.blob_offset = qc::qm::BlobOffsetAfterGraph(p.graph_offset, p.graph_length); ...
//   p.file_xxh3 = XXH3_64bits(file + 64, file_length - 64);
//   qc::qm::EncodePreamble(p, bytes);                     // little-endian, fields only
//   qc::qm::StoreLE64(bytes + qc::qm::kPreambleChecksumOffset,
//                     XXH3_64bits(bytes, qc::qm::kPreambleChecksumOffset));
//   qc::qm::Preamble back = qc::qm::DecodePreamble(bytes);  // no validation: the reader checks every field
//
// Sibling headers in runtime/format/ include each other by bare name ("qm_layout.h") so they can be included both as
// "format/qm_layout.h" (runtime) and "runtime/format/qm_layout.h" (exporters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qc::qm {

// ---- Format identity and versions -----------------------------------------------------------------------------

/// Bytes 0..3 of every .qm file.
inline constexpr char kMagic[4] = {'Q', 'C', 'M', 'F'};
/// Bytes 4..5: the u16 0xFEFF written little-endian (FF FE). A big-endian writer would produce FE FF.
inline constexpr uint16_t kByteOrderMark = 0xFEFF;
/// FlatBuffers file_identifier of the graph section (bytes 4..7 of the FlatBuffer), from qm.fbs.
inline constexpr char kGraphIdentifier[5] = "QM01";

/// Format version this code writes and reads. Readers accept any minor of their major; a newer major is refused.
inline constexpr uint16_t kFormatMajor = 1;
/// Minor history (docs/qm-format.md §10): 1.1 the quantized ops, 1.2 QAttentionQkv, 1.3 QLinear act_groups.
inline constexpr uint16_t kFormatMinor = 3;

/// A runtime version major.minor.patch, packed into a u32 as (major << 16) | (minor << 8) | patch.
struct RuntimeVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t patch = 0;

  /// False when a component does not fit its bits (major < 65536, minor and patch < 256).
  constexpr bool Packable() const { return major <= 0xFFFF && minor <= 0xFF && patch <= 0xFF; }
  constexpr uint32_t Packed() const { return (major << 16) | (minor << 8) | patch; }
  static constexpr RuntimeVersion Unpack(uint32_t packed) {
    return RuntimeVersion{packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF};
  }
  std::string ToString() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  }
  friend constexpr bool operator<(const RuntimeVersion& a, const RuntimeVersion& b) { return a.Packed() < b.Packed(); }
  friend constexpr bool operator==(const RuntimeVersion& a, const RuntimeVersion& b) {
    return a.Packed() == b.Packed();
  }
};

/// The oldest runtime that reads format 1.0: the lowest min_runtime_version a writer may record.
inline constexpr RuntimeVersion kFormatFloorRuntime{0, 1, 0};

// ---- Preamble -------------------------------------------------------------------------------------------------

/// The decoded preamble. The in-memory struct mirrors the on-disk order, but files are always read and written
/// through EncodePreamble/DecodePreamble (explicit little-endian), never by copying the struct.
struct Preamble {
  char magic[4];                 ///<  0: "QCMF"
  uint16_t byte_order;           ///<  4: kByteOrderMark
  uint16_t preamble_size;        ///<  6: 64
  uint16_t format_major;         ///<  8
  uint16_t format_minor;         ///< 10
  uint32_t min_runtime_version;  ///< 12: RuntimeVersion::Packed()
  uint32_t graph_offset;         ///< 16: start of the FlatBuffer; 64 in files written by this code
  uint32_t graph_length;         ///< 20: FlatBuffer bytes (< 2^31)
  uint64_t blob_offset;          ///< 24: multiple of kBlobSectionAlignment, >= graph end
  uint64_t blob_length;          ///< 32: blob bytes; blob_offset + blob_length == file_length
  uint64_t file_length;          ///< 40: total file bytes
  uint64_t file_xxh3;            ///< 48: XXH3-64 of bytes [preamble_size, file_length)
  uint64_t preamble_xxh3;        ///< 56: XXH3-64 of bytes [0, 56)
};
static_assert(sizeof(Preamble) == 64, "the .qm preamble is exactly 64 bytes");
static_assert(offsetof(Preamble, min_runtime_version) == 12 && offsetof(Preamble, graph_offset) == 16 &&
                  offsetof(Preamble, blob_offset) == 24 && offsetof(Preamble, file_xxh3) == 48 &&
                  offsetof(Preamble, preamble_xxh3) == 56,
              "Preamble fields sit at their documented offsets");

inline constexpr size_t kPreambleSize = 64;
/// The preamble checksum covers bytes [0, kPreambleChecksumOffset) and is stored at that offset.
inline constexpr size_t kPreambleChecksumOffset = 56;
/// Byte offset of format_major: bytes [0, 10) keep their meaning in every future major version.
inline constexpr size_t kFormatMajorOffset = 8;

// ---- Alignment ------------------------------------------------------------------------------------------------

/// The blob section starts at a file offset that is a multiple of this (so tensor alignment relative to the blob
/// start is also alignment in the file and, the mapping being page-aligned, in memory).
inline constexpr uint64_t kBlobSectionAlignment = 4096;
/// Alignment of a tensor smaller than kLargeTensorBytes, and of a large one.
inline constexpr uint32_t kTensorAlignment = 64;
inline constexpr uint32_t kLargeTensorAlignment = 4096;
inline constexpr uint64_t kLargeTensorBytes = 64 * 1024;
/// The graph section starts at a multiple of this (FlatBuffers' largest scalar).
inline constexpr uint32_t kGraphAlignment = 8;
/// The alignment the writer uses for a tensor of `bytes` bytes.
constexpr uint32_t TensorAlignmentFor(uint64_t bytes) {
  return bytes >= kLargeTensorBytes ? kLargeTensorAlignment : kTensorAlignment;
}
/// Rounds `value` up to a multiple of `alignment` (a power of two); false on overflow.
constexpr bool AlignUp(uint64_t value, uint64_t alignment, uint64_t* out) {
  const uint64_t mask = alignment - 1;
  if (value > UINT64_MAX - mask) return false;
  *out = (value + mask) & ~mask;
  return true;
}
/// Where the writer places the blob: the first multiple of kBlobSectionAlignment at or after the graph's end.
constexpr uint64_t BlobOffsetAfterGraph(uint32_t graph_offset, uint32_t graph_length) {
  const uint64_t end = uint64_t{graph_offset} + graph_length;  // < 2^33: cannot overflow
  return (end + kBlobSectionAlignment - 1) & ~(kBlobSectionAlignment - 1);
}

// ---- Limits (the writer refuses to exceed them, the reader rejects files that do) ---------------------------

inline constexpr uint64_t kMaxGraphBytes = uint64_t{1} << 30;  ///< graph section (FlatBuffers allows < 2^31)
inline constexpr uint32_t kMaxValues = 1u << 20;
inline constexpr uint32_t kMaxOps = 1u << 20;
inline constexpr uint32_t kMaxRank = 8;
inline constexpr uint32_t kMaxOpInputs = 64;
inline constexpr uint32_t kMaxOpOutputs = 16;
inline constexpr uint32_t kMaxAttrs = 32;
inline constexpr uint32_t kMaxGraphIo = 1024;  ///< graph inputs, and graph outputs
inline constexpr uint32_t kMaxDimSymbols = 1024;
inline constexpr uint32_t kMaxRequiredFeatures = 1024;
inline constexpr uint32_t kMaxMetadataEntries = 4096;
inline constexpr uint32_t kMaxNameBytes = 1024;                  ///< value, op, symbol, feature, metadata key
inline constexpr uint64_t kMaxTextBytes = uint64_t{64} << 20;    ///< a string datum, report, command line
inline constexpr uint64_t kMaxListElements = uint64_t{1} << 24;  ///< elements of a list datum
inline constexpr uint64_t kMaxBytesDatum = uint64_t{256} << 20;  ///< a bytes datum
inline constexpr int64_t kMaxDimSize = int64_t{1} << 48;         ///< a fixed dimension
/// FlatBuffers Verifier limits for the graph section.
inline constexpr uint32_t kVerifierMaxDepth = 64;
inline constexpr uint32_t kVerifierMaxTables = 1u << 24;

// ---- Little-endian encoding -----------------------------------------------------------------------------------

inline void StoreLE16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void StoreLE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t LoadLE16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t LoadLE32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// A preamble with the constant fields set (magic, byte order, preamble size, format version, graph offset 64,
/// min_runtime_version = the format floor) and every other field zero.
inline Preamble MakePreamble() {
  Preamble p{};
  for (int i = 0; i < 4; ++i) p.magic[i] = kMagic[i];
  p.byte_order = kByteOrderMark;
  p.preamble_size = static_cast<uint16_t>(kPreambleSize);
  p.format_major = kFormatMajor;
  p.format_minor = kFormatMinor;
  p.min_runtime_version = kFormatFloorRuntime.Packed();
  p.graph_offset = static_cast<uint32_t>(kPreambleSize);
  return p;
}

/// Writes all 64 bytes, preamble_xxh3 included as given (compute it over the first 56 encoded bytes, then store).
inline void EncodePreamble(const Preamble& p, uint8_t* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(p.magic[i]);
  StoreLE16(out + 4, p.byte_order);
  StoreLE16(out + 6, p.preamble_size);
  StoreLE16(out + 8, p.format_major);
  StoreLE16(out + 10, p.format_minor);
  StoreLE32(out + 12, p.min_runtime_version);
  StoreLE32(out + 16, p.graph_offset);
  StoreLE32(out + 20, p.graph_length);
  StoreLE64(out + 24, p.blob_offset);
  StoreLE64(out + 32, p.blob_length);
  StoreLE64(out + 40, p.file_length);
  StoreLE64(out + 48, p.file_xxh3);
  StoreLE64(out + 56, p.preamble_xxh3);
}

/// Reads 64 bytes into fields without checking anything.
inline Preamble DecodePreamble(const uint8_t* in) {
  Preamble p{};
  for (int i = 0; i < 4; ++i) p.magic[i] = static_cast<char>(in[i]);
  p.byte_order = LoadLE16(in + 4);
  p.preamble_size = LoadLE16(in + 6);
  p.format_major = LoadLE16(in + 8);
  p.format_minor = LoadLE16(in + 10);
  p.min_runtime_version = LoadLE32(in + 12);
  p.graph_offset = LoadLE32(in + 16);
  p.graph_length = LoadLE32(in + 20);
  p.blob_offset = LoadLE64(in + 24);
  p.blob_length = LoadLE64(in + 32);
  p.file_length = LoadLE64(in + 40);
  p.file_xxh3 = LoadLE64(in + 48);
  p.preamble_xxh3 = LoadLE64(in + 56);
  return p;
}

}  // namespace qc::qm
