// Loading a .qm file: preamble, section table, whole-file checksum, FlatBuffers Verifier, then qm_check.cc.
#include "format/qm_reader.h"

#include <xxhash.h>

#include <cstring>
#include <utility>

#include "core/version.h"
#include "format/qm_check.h"

namespace qc::qm {
namespace {

using internal::Hex64;
using internal::Xxh3;

RuntimeVersion ThisRuntime() {
  return {kRuntimeVersionMajor, kRuntimeVersionMinor, kRuntimeVersionPatch};
}

std::string Range(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// Checks the preamble up to and including its checksum, then the remaining fields. `p` is filled on success.
Status CheckPreamble(const std::string& path, const uint8_t* base, uint64_t size, Preamble* out) {
  if (size < kPreambleSize) {
    return CorruptData(path + ": file is " + std::to_string(size) + " bytes, shorter than the " +
                       std::to_string(kPreambleSize) + "-byte .qm preamble (truncated or not a .qm file)");
  }
  if (std::memcmp(base, kMagic, sizeof(kMagic)) != 0) {
    return CorruptData(path + ": not a .qm file: bytes 0..3 are not the magic \"QCMF\"");
  }
  const Preamble p = DecodePreamble(base);
  if (p.byte_order != kByteOrderMark) {
    return CorruptData(path + ": byte-order mark at offset 4 is 0x" + Hex64(p.byte_order).substr(14) +
                       " instead of 0xfeff: the file is big-endian or corrupt; .qm files are little-endian");
  }
  const uint64_t computed = Xxh3(base, kPreambleChecksumOffset);
  if (p.format_major != kFormatMajor) {
    // Bytes [0, 10) mean the same in every major version. Tell a corrupt major field of a 1.x file (its checksum
    // matches once the field is set back to 1) from a genuinely different major version.
    uint8_t patched[kPreambleChecksumOffset];
    std::memcpy(patched, base, sizeof(patched));
    StoreLE16(patched + kFormatMajorOffset, kFormatMajor);
    if (Xxh3(patched, sizeof(patched)) == p.preamble_xxh3) {
      return CorruptData(path + ": preamble checksum mismatch: the format_major field at offset 8 is corrupt");
    }
    if (p.format_major > kFormatMajor) {
      return VersionTooNew(path + ": file format version " + std::to_string(p.format_major) + "." +
                           std::to_string(p.format_minor) + " is newer than this runtime (" + kRuntimeVersionString +
                           ") reads (format " + std::to_string(kFormatMajor) +
                           ".x); install a newer qcompress runtime");
    }
    return Unsupported(path + ": file format version " + std::to_string(p.format_major) + "." +
                       std::to_string(p.format_minor) + " is older than any this runtime reads (format " +
                       std::to_string(kFormatMajor) + ".x); re-export the model");
  }
  if (computed != p.preamble_xxh3) {
    return CorruptData(path + ": preamble checksum mismatch (stored " + Hex64(p.preamble_xxh3) + ", computed " +
                       Hex64(computed) + "): bytes [0, 56) are corrupt");
  }
  if (p.preamble_size != kPreambleSize) {
    return CorruptData(path + ": preamble_size is " + std::to_string(p.preamble_size) + ", format 1.x requires " +
                       std::to_string(kPreambleSize));
  }
  const RuntimeVersion needed = RuntimeVersion::Unpack(p.min_runtime_version);
  if (ThisRuntime() < needed) {
    return VersionTooNew(path + ": model requires qcompress runtime >= " + needed.ToString() + "; this is " +
                         kRuntimeVersionString);
  }
  if (needed < kFormatFloorRuntime) {
    return CorruptData(path + ": min_runtime_version " + needed.ToString() + " is below " +
                       kFormatFloorRuntime.ToString() + ", the first runtime that reads format 1.0");
  }
  *out = p;
  return Status::Ok();
}

// Section table: graph and blob inside the file, ordered, aligned; every sum is checked for overflow.
Status CheckSections(const std::string& path, const Preamble& p, uint64_t size) {
  if (p.file_length != size) {
    return CorruptData(path + ": file is " + std::to_string(size) + " bytes but its preamble says " +
                       std::to_string(p.file_length) + (size < p.file_length ? " (truncated)" : " (trailing bytes)"));
  }
  if (p.graph_offset < kPreambleSize || p.graph_offset % kGraphAlignment != 0) {
    return CorruptData(path + ": graph section offset " + std::to_string(p.graph_offset) +
                       " must be >= 64 and a multiple of 8");
  }
  if (p.graph_length < 8 || p.graph_length > kMaxGraphBytes) {
    return CorruptData(path + ": graph section length " + std::to_string(p.graph_length) +
                       " is outside [8, 2^30] bytes");
  }
  const uint64_t graph_end = uint64_t{p.graph_offset} + p.graph_length;  // both u32: no overflow
  if (p.blob_offset % kBlobSectionAlignment != 0) {
    return CorruptData(path + ": blob section offset " + std::to_string(p.blob_offset) + " is not a multiple of 4096");
  }
  if (p.blob_offset < graph_end) {
    return CorruptData(path + ": blob section offset " + std::to_string(p.blob_offset) +
                       " overlaps the graph section " + Range(p.graph_offset, graph_end));
  }
  if (p.blob_offset > size || p.blob_length > size - p.blob_offset) {
    return CorruptData(path + ": blob section (offset " + std::to_string(p.blob_offset) + ", length " +
                       std::to_string(p.blob_length) + ") extends past the end of the " + std::to_string(size) +
                       "-byte file");
  }
  if (p.blob_offset + p.blob_length != size) {
    return CorruptData(path + ": " + std::to_string(size - p.blob_offset - p.blob_length) +
                       " bytes follow the blob section; the blob must end the file");
  }
  return Status::Ok();
}

bool VerifyGraph(const uint8_t* graph, uint32_t length) {
  flatbuffers::Verifier verifier(graph, length, kVerifierMaxDepth, kVerifierMaxTables);
  return fb::VerifyModelBuffer(verifier);
}

// The whole-file digest failed: find out which part is corrupt so the message can say so.
std::string LocateCorruption(const uint8_t* base, const Preamble& p) {
  const uint64_t graph_end = uint64_t{p.graph_offset} + p.graph_length;
  for (uint64_t i = kPreambleSize; i < p.graph_offset; ++i) {
    if (base[i] != 0) return "padding before the graph section is not zero (offset " + std::to_string(i) + ")";
  }
  for (uint64_t i = graph_end; i < p.blob_offset; ++i) {
    if (base[i] != 0) return "padding before the blob section is not zero (offset " + std::to_string(i) + ")";
  }
  const uint8_t* graph = base + p.graph_offset;
  const std::string graph_range = "the graph section " + Range(p.graph_offset, graph_end);
  if (!flatbuffers::BufferHasIdentifier(graph, fb::ModelIdentifier()) || !VerifyGraph(graph, p.graph_length)) {
    return graph_range + " is corrupt (it fails FlatBuffers verification)";
  }
  const fb::Model* model = fb::GetModel(graph);
  const uint8_t* blob = base + p.blob_offset;
  if (Xxh3(blob, p.blob_length) == model->blob_xxh3()) return graph_range + " is corrupt (the blob matches its digest)";
  if (model->values() != nullptr) {
    for (uint32_t i = 0; i < model->values()->size(); ++i) {
      const fb::TensorData* d = model->values()->Get(i)->data();
      if (d == nullptr || d->offset() > p.blob_length || d->length() > p.blob_length - d->offset()) continue;
      if (Xxh3(blob + d->offset(), d->length()) != d->xxh3()) {
        const flatbuffers::String* name = model->values()->Get(i)->name();
        return "the bytes of constant '" + std::string(name->string_view()) + "' (value " + std::to_string(i) +
               ") at file offset " + std::to_string(p.blob_offset + d->offset()) + " are corrupt";
      }
    }
  }
  return "the blob section " + Range(p.blob_offset, p.blob_offset + p.blob_length) + " or the graph section is corrupt";
}

}  // namespace

Expected<QmFile> QmFile::Open(const std::string& path, const QmReadOptions& options) {
  QC_ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::Open(path));
  return FromMapping(std::move(mapping), options);
}

Expected<QmFile> QmFile::FromMapping(MappedFile mapping, const QmReadOptions& options) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  return Unsupported(mapping.path() + ": .qm files store little-endian tensors; this host is not little-endian");
#endif
  const std::string& path = mapping.path();
  const uint8_t* base = mapping.data();
  const uint64_t size = mapping.size();
  Preamble p{};
  QC_RETURN_IF_ERROR(CheckPreamble(path, base, size, &p));
  QC_RETURN_IF_ERROR(CheckSections(path, p, size));

  const uint64_t file_hash = Xxh3(base + kPreambleSize, size - kPreambleSize);
  if (file_hash != p.file_xxh3) {
    return CorruptData(path + ": file checksum mismatch over bytes " + Range(kPreambleSize, size) + " (stored " +
                       Hex64(p.file_xxh3) + ", computed " + Hex64(file_hash) + "): " + LocateCorruption(base, p));
  }
  // Writers fill padding with zeros; the digest matched, so non-zero padding means a non-conforming writer.
  const uint64_t graph_end = uint64_t{p.graph_offset} + p.graph_length;
  for (uint64_t i = kPreambleSize; i < p.blob_offset; ++i) {
    if (i >= p.graph_offset && i < graph_end) continue;
    if (base[i] != 0) return CorruptData(path + ": padding byte at offset " + std::to_string(i) + " is not zero");
  }

  const uint8_t* graph = base + p.graph_offset;
  if (!flatbuffers::BufferHasIdentifier(graph, fb::ModelIdentifier())) {
    return CorruptData(path + ": graph section at offset " + std::to_string(p.graph_offset) +
                       " lacks the FlatBuffers file identifier \"" + kGraphIdentifier + "\"");
  }
  if (!VerifyGraph(graph, p.graph_length)) {
    return CorruptData(path + ": graph section " + Range(p.graph_offset, graph_end) +
                       " fails FlatBuffers verification (malformed offsets, tables or vectors, or nesting deeper "
                       "than " +
                       std::to_string(kVerifierMaxDepth) + ")");
  }

  QmFile file;
  file.preamble_ = p;
  file.model_ = fb::GetModel(graph);
  internal::CheckContext ctx;
  ctx.path = path;
  ctx.preamble = &file.preamble_;
  ctx.blob = base + p.blob_offset;
  ctx.blob_size = p.blob_length;
  ctx.verify_tensor_checksums = options.verify_tensor_checksums;
  QC_RETURN_IF_ERROR(internal::CheckModel(*file.model_, ctx, &file.values_by_name_));
  file.map_ = std::move(mapping);  // the mapping's address does not change: model_ stays valid
  return file;
}

namespace internal {

uint64_t Xxh3(const void* data, uint64_t size) {
  return size == 0 ? XXH3_64bits(nullptr, 0) : XXH3_64bits(data, static_cast<size_t>(size));
}

std::string Hex64(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s = "0x0000000000000000";
  for (int i = 17; i >= 2; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 0xF];
  return s;
}

}  // namespace internal
}  // namespace qc::qm
