// importers/hf/weights.h: the checkpoint tensors of a Hugging Face model directory, looked up by name and handed
// out as IR constants, with a record of which were used.
//
// Overview
//   Open() reads `model.safetensors`, or the shards listed by `model.safetensors.index.json` ({"weight_map": {tensor:
//   file}}; shard names must be plain relative paths inside the directory, every mapped tensor must be in its shard,
//   a name in two shards is an error). Pickle checkpoints (pytorch_model.bin) and TF/Flax files are Unsupported with
//   a hint to convert; a directory without weights is NotFound.
//   TakeFloat() checks the tensor exists with exactly the expected dims (the error names the tensor, both shapes and
//   what the expectation came from) and returns an f32 ir::Tensor: a view into the mapping when the stored tensor is
//   aligned F32, else a converted copy (F16 / BF16 / F64, or misaligned F32). Every tensor taken or marked is
//   "used"; UnusedNames() lists the rest so the importer can report what it ignored.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::hf::HfWeights weights, qc::hf::HfWeights::Open("bert-dir"));
//   QC_ASSIGN_OR_RETURN(qc::ir::Tensor w, weights.TakeFloat("bert.pooler.dense.weight", {64, 64}, "hidden x hidden"));
//   for (const std::string& name : weights.UnusedNames()) warn(name);
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "importers/hf/safetensors.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::hf {

class HfWeights {
 public:
  /// Opens the checkpoint of the model directory `dir` (see the header comment).
  static Expected<HfWeights> Open(const std::string& dir);
  /// Wraps already opened files (tests); names must be unique across them.
  static Expected<HfWeights> FromFiles(std::vector<SafetensorsFile> files);

  /// nullptr when absent.
  const SafetensorsTensor* Find(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  /// The file holding `name` (for messages); "" when absent.
  std::string FileOf(std::string_view name) const;
  /// "dir/model.safetensors" or "dir/model.safetensors.index.json (3 shards)".
  const std::string& description() const { return description_; }

  /// The tensor as f32 with exactly `dims`; `why` explains the expected shape in errors ("hidden_size x
  /// vocab_size"). Marks it used.
  Expected<ir::Tensor> TakeFloat(const std::string& name, const std::vector<int64_t>& dims, std::string_view why = "");
  /// Marks a tensor as consumed without converting it (buffers checked separately).
  void MarkUsed(std::string_view name);
  /// Names never taken or marked, sorted.
  std::vector<std::string> UnusedNames() const;
  /// Every tensor name, sorted.
  std::vector<std::string> Names() const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::pair<size_t, size_t>, std::less<>> index_;  ///< name -> (file, tensor)
  std::set<std::string, std::less<>> used_;
  std::string description_;
};

/// "[64, 32]".
std::string DimsToString(const std::vector<int64_t>& dims);

}  // namespace qc::hf
