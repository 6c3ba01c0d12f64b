#include "importers/hf/weights.h"

#include <filesystem>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Weight files that exist in the wild but are not safetensors, with what to do about them.
constexpr const char* kOtherFormats[] = {"pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5",
                                         "flax_model.msgpack", "model.ckpt.index"};

Status CheckShardName(const std::string& index_path, const std::string& shard) {
  const fs::path p(shard);
  bool ok = !shard.empty() && !p.is_absolute() && !p.has_root_name() && !p.has_root_directory();
  for (const fs::path& part : p) ok = ok && part != "..";
  if (!ok) {
    return CorruptData(index_path + ": shard file '" + shard + "' is not a relative path inside the model directory");
  }
  return Status::Ok();
}

}  // namespace

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

Expected<HfWeights> HfWeights::FromFiles(std::vector<SafetensorsFile> files) {
  HfWeights weights;
  weights.files_ = std::move(files);
  for (size_t f = 0; f < weights.files_.size(); ++f) {
    const std::vector<SafetensorsTensor>& tensors = weights.files_[f].tensors();
    for (size_t t = 0; t < tensors.size(); ++t) {
      const auto [it, inserted] = weights.index_.emplace(tensors[t].name, std::make_pair(f, t));
      if (!inserted) {
        return CorruptData("tensor '" + tensors[t].name + "' is stored in both " +
                           weights.files_[it->second.first].path() + " and " + weights.files_[f].path());
      }
    }
  }
  if (weights.files_.size() == 1) weights.description_ = weights.files_[0].path();
  return weights;
}

Expected<HfWeights> HfWeights::Open(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  const std::string single = (root / "model.safetensors").string();
  if (fs::exists(single, ec)) {
    QC_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(single));
    std::vector<SafetensorsFile> files;
    files.push_back(std::move(file));
    return FromFiles(std::move(files));
  }
  const std::string index_path = (root / "model.safetensors.index.json").string();
  if (fs::exists(index_path, ec)) {
    QC_ASSIGN_OR_RETURN(json doc, ReadJsonFile(index_path));
    const JsonObject index(doc, index_path);
    QC_RETURN_IF_ERROR(index.CheckIsObject());
    QC_ASSIGN_OR_RETURN(JsonObject map, index.RequireObject("weight_map"));
    std::map<std::string, std::vector<std::string>> tensors_per_shard;
    for (const auto& [tensor, shard] : map.value().items()) {
      if (!shard.is_string()) return map.WrongType(tensor, "a shard file name");
      QC_RETURN_IF_ERROR(CheckShardName(index_path, shard.get<std::string>()));
      tensors_per_shard[shard.get<std::string>()].push_back(tensor);
    }
    if (tensors_per_shard.empty()) return CorruptData(index_path + ": weight_map is empty");
    std::vector<SafetensorsFile> files;
    for (const auto& [shard, tensors] : tensors_per_shard) {
      QC_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open((root / shard).string()));
      for (const std::string& tensor : tensors) {
        if (file.Find(tensor) == nullptr) {
          return CorruptData(index_path + ": weight_map puts tensor '" + tensor + "' in " + shard +
                             ", which does not contain it");
        }
      }
      files.push_back(std::move(file));
    }
    QC_ASSIGN_OR_RETURN(HfWeights weights, FromFiles(std::move(files)));
    weights.description_ = index_path + " (" + std::to_string(weights.files_.size()) + " shards)";
    return weights;
  }
  for (const char* other : kOtherFormats) {
    if (fs::exists(root / other, ec)) {
      return Unsupported(dir + ": weights are only in " + other +
                         "; only safetensors checkpoints are read (pickle files can run code). Convert with "
                         "`model.save_pretrained(dir, safe_serialization=True)` in transformers");
    }
  }
  return NotFound(dir + ": no model.safetensors or model.safetensors.index.json");
}

const SafetensorsTensor* HfWeights::Find(std::string_view name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  return &files_[it->second.first].tensors()[it->second.second];
}

std::string HfWeights::FileOf(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? std::string() : files_[it->second.first].path();
}

Expected<ir::Tensor> HfWeights::TakeFloat(const std::string& name, const std::vector<int64_t>& dims,
                                          std::string_view why) {
  const auto it = index_.find(name);
  if (it == index_.end()) return NotFound(description_ + ": missing tensor '" + name + "'");
  const SafetensorsFile& file = files_[it->second.first];
  const SafetensorsTensor& tensor = file.tensors()[it->second.second];
  if (tensor.shape != dims) {
    std::string message = file.path() + ": tensor '" + name + "' has shape " + DimsToString(tensor.shape) +
                          ", expected " + DimsToString(dims);
    if (!why.empty()) message += " (" + std::string(why) + ")";
    return CorruptData(std::move(message));
  }
  QC_ASSIGN_OR_RETURN(Float32Data values, file.ToFloat32(tensor));
  used_.insert(name);
  if (values.is_view()) {
    return ir::Tensor::View(ir::DType::kF32, dims, values.data(), values.size() * sizeof(float), values.owner());
  }
  return ir::Tensor::FromVector<float>(dims, std::move(values).TakeVector());
}

void HfWeights::MarkUsed(std::string_view name) {
  if (index_.count(name) != 0) used_.insert(std::string(name));
}

std::vector<std::string> HfWeights::UnusedNames() const {
  std::vector<std::string> unused;
  for (const auto& [name, location] : index_) {
    if (used_.count(name) == 0) unused.push_back(name);
  }
  return unused;
}

std::vector<std::string> HfWeights::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, location] : index_) names.push_back(name);
  return names;
}

}  // namespace qc::hf
