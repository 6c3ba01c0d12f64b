#include "api/model_impl.h"

namespace qc {


namespace {

ElementType ToElementType(exec::ValueType t) {
  switch (t) {
    case exec::ValueType::kF32: return ElementType::kFloat32;
    case exec::ValueType::kI64: return ElementType::kInt64;
    case exec::ValueType::kI32: return ElementType::kInt32;
    case exec::ValueType::kPacked: break;  // never a graph input or output (exec::BuildPlan refuses it)
  }
  return ElementType::kFloat32;
}

ValueSignature Describe(const qm::QmFile& file, const exec::Plan& plan, uint32_t v) {
  const qm::QmValue value = file.value(v);
  ValueSignature s;
  s.name = std::string(value.name());
  s.type = ToElementType(plan.value_types[v]);
  for (size_t d = 0; d < value.rank(); ++d) {
    const qm::QmDim dim = value.dim(d);
    s.dims.push_back(dim.symbolic ? -1 : dim.size);
    s.dim_names.push_back(dim.symbolic ? std::string(dim.symbol) : std::to_string(dim.size));
  }
  return s;
}

// The embedded tokenizer from the standard "tokenizer.*" metadata keys (docs/qm-format.md), or none.
Expected<std::optional<WordPieceTokenizer>> LoadTokenizer(const qm::QmFile& file) {
  if (!file.HasMetadata("tokenizer.vocab")) return std::optional<WordPieceTokenizer>();
  QC_ASSIGN_OR_RETURN(qm::QmStringList vocab, file.GetMetadataStringList("tokenizer.vocab"));
  TokenizerConfig config;
  config.vocab.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) config.vocab.emplace_back(vocab[i]);
  auto flag = [&](const char* key, bool& out) -> Status {
    if (!file.HasMetadata(key)) return Status::Ok();
    QC_ASSIGN_OR_RETURN(int64_t v, file.GetMetadataInt(key));
    out = v != 0;
    return Status::Ok();
  };
  auto text = [&](const char* key, std::string& out) -> Status {
    if (!file.HasMetadata(key)) return Status::Ok();
    QC_ASSIGN_OR_RETURN(std::string_view v, file.GetMetadataString(key));
    out = std::string(v);
    return Status::Ok();
  };
  QC_RETURN_IF_ERROR(flag("tokenizer.lowercase", config.lowercase));
  QC_RETURN_IF_ERROR(flag("tokenizer.clean_text", config.clean_text));
  QC_RETURN_IF_ERROR(flag("tokenizer.handle_chinese_chars", config.handle_chinese_chars));
  if (file.HasMetadata("tokenizer.strip_accents")) {
    QC_ASSIGN_OR_RETURN(int64_t v, file.GetMetadataInt("tokenizer.strip_accents"));
    if (v >= 0) config.strip_accents = v != 0;
  }
  QC_RETURN_IF_ERROR(text("tokenizer.unk_token", config.unk_token));
  QC_RETURN_IF_ERROR(text("tokenizer.cls_token", config.cls_token));
  QC_RETURN_IF_ERROR(text("tokenizer.sep_token", config.sep_token));
  QC_RETURN_IF_ERROR(text("tokenizer.pad_token", config.pad_token));
  QC_RETURN_IF_ERROR(text("tokenizer.mask_token", config.mask_token));
  if (file.HasMetadata("tokenizer.continuing_subword_prefix")) {
    QC_RETURN_IF_ERROR(text("tokenizer.continuing_subword_prefix", config.continuing_subword_prefix));
  }
  if (file.HasMetadata("tokenizer.max_input_chars_per_word")) {
    QC_ASSIGN_OR_RETURN(int64_t v, file.GetMetadataInt("tokenizer.max_input_chars_per_word"));
    config.max_input_chars_per_word = static_cast<size_t>(v);
  }
  if (file.HasMetadata("tokenizer.model_max_length")) {
    QC_ASSIGN_OR_RETURN(int64_t v, file.GetMetadataInt("tokenizer.model_max_length"));
    config.model_max_length = static_cast<size_t>(v);
  }
  if (file.HasMetadata("tokenizer.pad_token_type_id")) {
    QC_ASSIGN_OR_RETURN(int64_t v, file.GetMetadataInt("tokenizer.pad_token_type_id"));
    config.pad_token_type_id = static_cast<int32_t>(v);
  }
  if (file.HasMetadata("tokenizer.added_tokens")) {
    // The importer recorded the source tokenizer's added tokens exactly; take them as they are.
    QC_ASSIGN_OR_RETURN(qm::QmStringList contents, file.GetMetadataStringList("tokenizer.added_tokens"));
    auto int_list = [&](const char* key) -> Expected<std::vector<int64_t>> {
      if (!file.HasMetadata(key)) return std::vector<int64_t>(contents.size(), -1);
      QC_ASSIGN_OR_RETURN(qm::ConstSpan<int64_t> v, file.GetMetadataIntList(key));
      if (v.size != contents.size()) {
        return CorruptData(std::string(key) + " has " + std::to_string(v.size) + " entries, tokenizer.added_tokens " +
                           std::to_string(contents.size()));
      }
      return std::vector<int64_t>(v.begin(), v.end());
    };
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> ids, int_list("tokenizer.added_token_ids"));
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> normalized, int_list("tokenizer.added_tokens_normalized"));
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> special, int_list("tokenizer.added_tokens_special"));
    for (size_t i = 0; i < contents.size(); ++i) {
      AddedToken token;
      token.content = std::string(contents[i]);
      token.id = static_cast<int32_t>(ids[i]);
      token.normalized = normalized[i] == 1;
      token.special = special[i] != 0;
      config.added_tokens.push_back(std::move(token));
    }
  } else {
    // No record: BERT tokenizers match every special token whole in the text.
    for (const std::string* token_text :
         {&config.pad_token, &config.unk_token, &config.cls_token, &config.sep_token, &config.mask_token}) {
      if (token_text->empty()) continue;
      AddedToken token;
      token.content = *token_text;
      config.added_tokens.push_back(token);
    }
  }
  auto tokenizer = WordPieceTokenizer::Create(std::move(config));
  if (!tokenizer.ok()) return tokenizer.status().WithContext("embedded tokenizer");
  return std::optional<WordPieceTokenizer>(std::move(*tokenizer));
}

}  // namespace

const char* ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kFloat32: return "float32";
    case ElementType::kInt64: return "int64";
    case ElementType::kInt32: return "int32";
  }
  return "unknown";
}

HostTensor HostTensor::Float32(std::vector<int64_t> shape, std::vector<float> values) {
  HostTensor t;
  t.type = ElementType::kFloat32;
  t.shape = std::move(shape);
  t.floats = std::move(values);
  return t;
}

HostTensor HostTensor::Int64(std::vector<int64_t> shape, std::vector<int64_t> values) {
  HostTensor t;
  t.type = ElementType::kInt64;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  return t;
}

int64_t HostTensor::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Expected<std::shared_ptr<const Model>> Model::Load(const std::string& path, const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  qm::QmReadOptions read_options;
  read_options.verify_tensor_checksums = options.verify_tensor_checksums;
  QC_ASSIGN_OR_RETURN(impl->file, qm::QmFile::Open(path, read_options));
  impl->path = path;
  return Finish(std::move(impl));
}

Expected<std::shared_ptr<const Model>> Model::LoadFromMemory(const void* data, size_t size, const std::string& name,
                                                             const LoadOptions& options) {
  if (data == nullptr && size > 0) return InvalidArgument(name + ": no data given");
  auto impl = std::make_unique<Impl>();
  qm::QmReadOptions read_options;
  read_options.verify_tensor_checksums = options.verify_tensor_checksums;
  QC_ASSIGN_OR_RETURN(MappedFile bytes, MappedFile::CopyOf(data, size, name));
  QC_ASSIGN_OR_RETURN(impl->file, qm::QmFile::FromMapping(std::move(bytes), read_options));
  impl->path = name;
  return Finish(std::move(impl));
}

Expected<std::shared_ptr<const Model>> Model::Finish(std::unique_ptr<Impl> impl) {
  const std::string path = impl->path;
  auto plan = exec::BuildPlan(impl->file);
  if (!plan.ok()) return plan.status().WithContext(path);
  impl->plan = std::move(*plan);
  for (uint32_t v : impl->plan.inputs) impl->inputs.push_back(Describe(impl->file, impl->plan, v));
  for (uint32_t v : impl->plan.outputs) impl->outputs.push_back(Describe(impl->file, impl->plan, v));
  auto tokenizer = LoadTokenizer(impl->file);
  if (!tokenizer.ok()) return tokenizer.status().WithContext(path);
  impl->tokenizer = std::move(*tokenizer);
  if (impl->file.HasMetadata("model.labels")) {
    QC_ASSIGN_OR_RETURN(qm::QmStringList labels, impl->file.GetMetadataStringList("model.labels"));
    for (size_t i = 0; i < labels.size(); ++i) impl->labels.emplace_back(labels[i]);
  }
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const std::vector<ValueSignature>& Model::inputs() const { return impl_->inputs; }
const std::vector<ValueSignature>& Model::outputs() const { return impl_->outputs; }
const std::string& Model::path() const { return impl_->path; }
const WordPieceTokenizer* Model::tokenizer() const {
  return impl_->tokenizer.has_value() ? &*impl_->tokenizer : nullptr;
}
const std::vector<std::string>& Model::label_names() const { return impl_->labels; }
const qm::QmFile& Model::file() const { return impl_->file; }

}  // namespace qc
