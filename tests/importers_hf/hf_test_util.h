// tests/importers_hf/hf_test_util.h: temp directories, hand-made safetensors files and synthetic HF model
// directories for the Hugging Face importer tests.
//
//   qc::hf::test::TempDir dir;                                        // removed at scope exit
//   StWriter w;
//   w.Add("w", "F32", {2, 2}, FloatBytes({1, 2, 3, 4}));
//   dir.Write("model.safetensors", w.Bytes());                          // header + data, offsets computed
//   dir.Write("bad.safetensors", RawSafetensors(R"({"w": {...}})", data));  // any header text, for hostile files
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf::test {

/// Unwraps an Expected, failing the current doctest test case with the status message if it holds an error.
template <typename T>
T Must(Expected<T> e);
void MustOk(const Status& status);

/// A fresh directory under the system temp dir, deleted (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  /// Writes `bytes` to path()/relative (creating parent folders); returns the full path.
  std::string Write(const std::string& relative, const std::string& bytes) const;

 private:
  std::filesystem::path path_;
};

std::string FloatBytes(const std::vector<float>& values);
std::string U16Bytes(const std::vector<uint16_t>& values);

/// u64 LE length + header text + data, with no validation at all.
std::string RawSafetensors(const std::string& header, const std::string& data);

/// Builds a well-formed safetensors image from entries added in order (data laid out contiguously).
class StWriter {
 public:
  void Add(std::string name, std::string dtype, std::vector<int64_t> shape, std::string data);
  void AddF32(std::string name, std::vector<int64_t> shape, const std::vector<float>& values);
  void SetMetadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
  /// Pads the header with spaces so the data region starts at a multiple of `alignment` (0: no padding).
  std::string Bytes(size_t alignment = 8) const;
  bool Has(const std::string& name) const;

 private:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string data;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

/// The bfloat16 bit pattern of `value`, truncated (round toward zero).
uint16_t TruncateToBFloat16(float value);

/// Deterministic pseudo-random floats in [-scale, scale).
std::vector<float> RandomFloats(size_t count, uint32_t seed, float scale = 0.1f);

/// Options for a synthetic tiny model directory.
struct SyntheticModel {
  std::string model_type = "bert";  // or "vit"
  std::string architecture = "BertForSequenceClassification";
  std::string prefix = "bert.";  // tensor name prefix ("" as sentence-transformers saves BertModel)
  int64_t hidden = 8, layers = 2, heads = 2, intermediate = 16, vocab = 12, positions = 10, type_vocab = 2;
  int64_t labels = 3;
  int64_t image = 8, patch = 4, channels = 3;  // ViT
  std::string hidden_act = "gelu";
  bool pooler = true;
  bool qkv_bias = true;
  std::vector<std::string> drop;                        ///< tensor names (after prefixing) to leave out
  std::map<std::string, std::vector<int64_t>> reshape;  ///< tensor name -> shape to write instead (values resized)
  std::vector<std::string> extra;                       ///< extra F32 [2] tensors to add
  std::map<std::string, std::string> rename;            ///< tensor name -> name to write it under
  struct Raw {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  std::vector<Raw> raw;       ///< extra tensors written as given (e.g. an I64 position_ids buffer)
  std::string dtype = "F32";  ///< "F32" or "BF16" (values truncated to bfloat16)
};

/// Writes config.json + model.safetensors (+ vocab.txt for BERT) for `model` into `dir`; returns the tensor names.
std::vector<std::string> WriteSyntheticModel(const TempDir& dir, const SyntheticModel& model,
                                             const std::string& subdir = "");

/// The BERT specials followed by plain tokens, `count` entries in all.
std::string SyntheticVocabTxt(int64_t count);

}  // namespace qc::hf::test

#include <doctest/doctest.h>

namespace qc::hf::test {

template <typename T>
T Must(Expected<T> e) {
  if (!e.ok()) FAIL(e.status().ToString());
  return std::move(e).value();
}

inline void MustOk(const Status& status) {
  if (!status.ok()) FAIL(status.ToString());
}

}  // namespace qc::hf::test
