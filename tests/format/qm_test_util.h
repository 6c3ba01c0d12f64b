// tests/format/qm_test_util.h: helpers for the .qm format tests.
//
// Overview
//   * TempDir: a fresh directory under $TMPDIR, removed with its contents on destruction.
//   * SampleModel: a small BERT-like QmModelSpec exercising every field (symbolic dims, packed dtypes, a >= 64 KiB
//     constant, optional inputs, all datum kinds, standard metadata, provenance, quant params); it owns the tensor
//     bytes the spec borrows.
//   * Byte surgery: ReadBytes/WriteBytes, Reseal (recompute the whole-file and preamble checksums so that a
//     deliberate corruption reaches the later checks), OpenBytes (load from memory).
//   * Must: the value of an Expected, or a doctest failure naming the error.
//   * RawModel / AssembleRaw: build a graph section with the generated FlatBuffers API *without* validation, so
//     tests can produce files that are well-formed FlatBuffers but break a .qm rule.
//
// Usage
//   qc::test::TempDir dir;
//   qc::test::SampleModel sample;
//   REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
//   std::vector<uint8_t> bytes = qc::test::ReadBytes(dir.File("m.qm"));
//   bytes[100] ^= 1; qc::test::Reseal(&bytes);
//   auto file = qc::test::OpenBytes(bytes);
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "exporters/qm/qm_spec.h"
#include "format/qm_reader.h"

namespace qc::test {

template <typename T>
T Must(Expected<T> e) {
  if (!e.ok()) FAIL("unexpected error: " << e.status().ToString());
  return std::move(e).value();
}

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> List() const;

 private:
  std::string path_;
};

struct SampleModel {
  SampleModel();
  std::vector<float> word_embeddings;      // [16, 8]
  std::vector<float> position_embeddings;  // [32, 8]
  std::vector<float> gamma, beta;          // [8]
  std::vector<uint8_t> ternary;            // T2 [8, 8] -> 16 bytes
  std::vector<float> ternary_scale;        // [8]
  std::vector<uint8_t> int4;               // I4 [3, 5] -> 8 bytes
  std::vector<float> big;                  // [128, 128] = 64 KiB
  qm::QmModelSpec spec;
};

std::vector<uint8_t> ReadBytes(const std::string& path);
void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes);

/// Recomputes file_xxh3 over bytes [64, size) and then the preamble checksum. Needs size >= 64.
void Reseal(std::vector<uint8_t>* bytes);
/// Recomputes only the preamble checksum.
void ResealPreamble(std::vector<uint8_t>* bytes);
/// Loads bytes through MappedFile::CopyOf + QmFile::FromMapping.
Expected<qm::QmFile> OpenBytes(const std::vector<uint8_t>& bytes, const qm::QmReadOptions& options = {});

/// Unvalidated model description mirroring qm.fbs with raw enum numbers.
struct RawDatum {
  uint8_t tag = 1;  // fb::Datum
  bool null_table = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
};
/// A Datum holding one integer (tag 1) or one float (tag 2).
inline RawDatum RawInt(int64_t v) {
  RawDatum d;
  d.tag = 1;
  d.i = v;
  return d;
}
inline RawDatum RawFloat(double v) {
  RawDatum d;
  d.tag = 2;
  d.f = v;
  return d;
}
struct RawValue {
  std::string name;
  uint8_t dtype = 1;  // F32
  std::vector<int64_t> shape;
  bool has_data = false;
  uint64_t offset = 0, length = 0;
  uint32_t alignment = 64;
  bool hash_from_blob = true;  // else xxh3 below is stored as given
  uint64_t xxh3 = 0;
  bool has_quant = false;
  uint8_t quant_bits = 2;
  uint8_t quant_granularity = 1;
  int32_t quant_scale = -1;
};
struct RawAttr {
  uint16_t key = 1;
  RawDatum value;
};
struct RawOp {
  uint16_t type = 3;  // Add
  uint16_t version = 1;
  std::string name;
  std::vector<int32_t> inputs, outputs;
  std::vector<RawAttr> attrs;
};
struct RawMeta {
  std::string key;
  RawDatum value;
};
struct RawModel {
  uint32_t min_runtime_version = qm::kFormatFloorRuntime.Packed();  // graph section's copy
  uint32_t preamble_min_runtime_version = qm::kFormatFloorRuntime.Packed();
  std::vector<std::string> features, symbols;
  std::vector<RawValue> values;
  std::vector<RawOp> ops;
  std::vector<uint32_t> inputs, outputs;
  std::vector<RawMeta> metadata;
  std::vector<uint8_t> blob;
  bool blob_length_matches = true;  // else the graph's blob_length is off by one
  bool blob_hash_correct = true;
};

/// x: F32 [batch] input; w: F32 [4] constant (16 bytes at blob offset 0); y = Add(x, w) output.
RawModel MinimalRaw();
/// x F32 [batch, k] -> QLinear t2 (k -> 6, w U8 at blob 0, w_scale F32 [1] = 1.0 after it; attributes in AttrKey
/// order, act_groups last when `act_groups` > 1, with its feature and runtime) -> y, built without validation.
RawModel QLinearRaw(int64_t k, int64_t act_groups);
/// A complete sealed file for `m`.
std::vector<uint8_t> AssembleRaw(const RawModel& m);

}  // namespace qc::test
