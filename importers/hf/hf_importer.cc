#include "importers/hf/hf_importer.h"
#include "importers/hf/tokenizer_metadata.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "importers/hf/graph_context.h"

namespace qc::hf {
namespace {

namespace fs = std::filesystem;

bool IsClassifier(HfHeadKind head) {
  return head == HfHeadKind::kSequenceClassification || head == HfHeadKind::kTokenClassification ||
         head == HfHeadKind::kImageClassification;
}

// Pre-training heads whose encoder is what users want when they import such a checkpoint.
bool IsPretrainingHead(HfHeadKind head) {
  return head == HfHeadKind::kMaskedLM || head == HfHeadKind::kPreTraining || head == HfHeadKind::kMaskedImageModeling;
}

std::string DescribeArchitecture(const HfModelConfig& c) {
  return "architecture '" + c.architecture + "' (" + std::string(HfHeadKindName(c.head)) + ")";
}

Expected<HfBuildPlan> ResolvePlan(const std::string& dir, const HfModelConfig& c,
                                  const std::optional<HfPoolingSpec>& st, const HfImportOptions& options,
                                  std::vector<std::string>& warnings) {
  HfBuildPlan plan;
  plan.token_type_ids_input = options.token_type_ids_input;
  if (st && c.model_type != HfModelType::kBert) {
    return Unsupported(st->modules_path + ": sentence-transformers pipelines are only supported for BERT models");
  }
  HfOutput output = options.output;
  if (output == HfOutput::kAuto) {
    if (st) {
      output = HfOutput::kSentenceEmbedding;
    } else if (IsClassifier(c.head)) {
      output = HfOutput::kLogits;
    } else if (c.head == HfHeadKind::kBaseModel || IsPretrainingHead(c.head)) {
      output = HfOutput::kLastHiddenState;
      plan.pooler_output = true;
      if (IsPretrainingHead(c.head)) {
        warnings.push_back(c.path + ": " + DescribeArchitecture(c) +
                           ": the pre-training head is not imported; the graph outputs the encoder");
      }
    } else {
      return Unsupported(c.path + ": " + DescribeArchitecture(c) +
                         " is not supported; import with output last_hidden_state to get the encoder alone");
    }
  }
  if (output == HfOutput::kLogits && !IsClassifier(c.head)) {
    return InvalidArgument(dir + ": output logits needs a classification architecture, but config.json has " +
                           (c.architecture.empty() ? std::string("none") : DescribeArchitecture(c)));
  }
  if (output == HfOutput::kSentenceEmbedding) {
    if (!st) return InvalidArgument(dir + ": output sentence_embedding needs a sentence-transformers modules.json");
    if (st->mode != HfPoolingMode::kMean && st->mode != HfPoolingMode::kCls) {
      return Unsupported(st->modules_path + ": pooling mode '" + std::string(HfPoolingModeName(st->mode)) +
                         "' is not supported (only mean and cls)");
    }
    if (st->word_embedding_dimension && *st->word_embedding_dimension != c.encoder.hidden_size) {
      return CorruptData(st->modules_path + ": Pooling word_embedding_dimension " +
                         std::to_string(*st->word_embedding_dimension) + " differs from hidden_size " +
                         std::to_string(c.encoder.hidden_size));
    }
    if (!st->include_prompt) {
      warnings.push_back(st->modules_path +
                         ": Pooling include_prompt = false is ignored (prompts are not part of "
                         "the graph; pool over the whole input)");
    }
    plan.pooling = st;
  }
  plan.output = output;
  return plan;
}

void SetTokenizerMetadata(ir::GraphBuilder& b, const HfTokenizerSpec& t, int64_t max_length) {
  for (auto& [key, value] : TokenizerMetadata(t, max_length)) b.SetMetadata(key, std::move(value));
}

// Reads the tokenizer, reconciles it with the model and the sentence-transformers settings, and records it.
Status AddTokenizer(const std::string& model_dir, const HfModelConfig& c, const std::optional<HfPoolingSpec>& st,
                    ir::GraphBuilder& b, HfImportResult& result) {
  Expected<HfTokenizerSpec> read = ReadHfTokenizer(model_dir);
  if (!read.ok()) {
    if (read.status().code() != StatusCode::kNotFound) return read.status();
    result.warnings.push_back(read.status().message() + "; the graph carries no tokenizer");
    return Status::Ok();
  }
  HfTokenizerSpec t = std::move(read).value();
  for (const std::string& w : t.warnings) result.warnings.push_back(w);
  if (static_cast<int64_t>(t.vocab.size()) > c.bert.vocab_size) {
    return CorruptData(t.source + ": the tokenizer has " + std::to_string(t.vocab.size()) +
                       " tokens but the model's vocab_size is " + std::to_string(c.bert.vocab_size) +
                       " (ids past the embedding table)");
  }
  if (t.pad_token_type_id < 0 || t.pad_token_type_id >= c.bert.type_vocab_size) {
    return CorruptData(t.source + ": pad_type_id " + std::to_string(t.pad_token_type_id) +
                       " is outside the model's type_vocab_size " + std::to_string(c.bert.type_vocab_size));
  }
  if (st && st->do_lower_case.value_or(false) && !t.lowercase) {
    // sentence-transformers lowercases the text before the tokenizer; keep the tokenizer's accent handling.
    t.strip_accents = t.strip_accents.value_or(false);
    t.lowercase = true;
    result.warnings.push_back(st->modules_path +
                              ": sentence_bert_config.json do_lower_case = true: lowercasing "
                              "in the tokenizer");
  }
  const int64_t positions = c.bert.max_position_embeddings;
  int64_t max_length = positions;
  if (st && st->max_seq_length) {
    max_length = *st->max_seq_length;
  } else if (t.model_max_length) {
    max_length = *t.model_max_length;
  }
  if (max_length > positions) {
    result.warnings.push_back(model_dir + ": tokenizer max length " + std::to_string(max_length) +
                              " exceeds max_position_embeddings " + std::to_string(positions) + "; using " +
                              std::to_string(positions));
    max_length = positions;
  }
  SetTokenizerMetadata(b, t, max_length);
  result.tokenizer = std::move(t);
  return Status::Ok();
}

Status AddImageSpec(const std::string& model_dir, const HfModelConfig& c, ir::GraphBuilder& b, HfImportResult& result) {
  const std::string path = (fs::path(model_dir) / "preprocessor_config.json").string();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    result.warnings.push_back(model_dir + ": no preprocessor_config.json; the graph carries no image preprocessing");
    return Status::Ok();
  }
  const HfVitConfig& v = c.vit;
  QC_ASSIGN_OR_RETURN(HfImageSpec image, ReadHfImageSpec(path, v.num_channels, v.image_height, v.image_width));
  if (image.do_resize && (image.height != v.image_height || image.width != v.image_width)) {
    return CorruptData(path + ": resizes to " + std::to_string(image.height) + "x" + std::to_string(image.width) +
                       " but the model takes " + std::to_string(v.image_height) + "x" + std::to_string(v.image_width));
  }
  b.SetMetadata("image.size", std::vector<int64_t>{v.image_height, v.image_width});
  b.SetMetadata("image.mean", image.EffectiveMean());
  b.SetMetadata("image.std", image.EffectiveStd());
  b.SetMetadata("image.rescale_factor", image.EffectiveRescale());
  b.SetMetadata("image.resample", image.resample);
  b.SetMetadata("image.do_resize", int64_t{image.do_resize});
  result.image = std::move(image);
  return Status::Ok();
}

std::string SummarizeUnused(const std::string& where, const std::vector<std::string>& unused) {
  std::string text = where + ": " + std::to_string(unused.size()) + " checkpoint tensor" +
                     (unused.size() == 1 ? " is" : "s are") + " not used by the graph: ";
  const size_t shown = std::min<size_t>(unused.size(), 8);
  for (size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + unused[i];
  if (unused.size() > shown) text += ", ... (" + std::to_string(unused.size() - shown) + " more)";
  return text;
}

}  // namespace

std::string_view HfOutputName(HfOutput output) {
  switch (output) {
    case HfOutput::kAuto:
      return "auto";
    case HfOutput::kLogits:
      return "logits";
    case HfOutput::kSentenceEmbedding:
      return "sentence_embedding";
    case HfOutput::kLastHiddenState:
      return "last_hidden_state";
  }
  return "invalid";
}

Expected<HfImportResult> ImportHfDirectory(const std::string& dir, const HfImportOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(dir + ": not a directory");
  HfImportResult result;
  QC_ASSIGN_OR_RETURN(result.pooling, ReadSentenceTransformersConfig(dir));
  const std::string model_dir = result.pooling && !result.pooling->transformer_path.empty()
                                    ? (fs::path(dir) / result.pooling->transformer_path).string()
                                    : dir;
  QC_ASSIGN_OR_RETURN(result.config, ReadHfConfig((fs::path(model_dir) / "config.json").string()));
  const HfModelConfig& c = result.config;
  QC_ASSIGN_OR_RETURN(HfWeights weights, HfWeights::Open(model_dir));
  QC_ASSIGN_OR_RETURN(HfBuildPlan plan, ResolvePlan(dir, c, result.pooling, options, result.warnings));
  result.output = plan.output;

  HfGraphContext ctx(weights, c);
  if (c.model_type == HfModelType::kBert) {
    QC_RETURN_IF_ERROR(BuildBertGraph(ctx, plan));
  } else {
    QC_RETURN_IF_ERROR(BuildVitGraph(ctx, plan));
  }
  for (std::string& w : ctx.warnings()) result.warnings.push_back(std::move(w));

  ir::GraphBuilder& b = ctx.builder();
  b.SetMetadata("source.format", std::string("huggingface"));
  b.SetMetadata("source.model_type", std::string(HfModelTypeName(c.model_type)));
  b.SetMetadata("source.architecture", c.architecture);
  b.SetMetadata("source.output", std::string(HfOutputName(plan.output)));
  if (c.model_type == HfModelType::kBert) {
    QC_RETURN_IF_ERROR(AddTokenizer(model_dir, c, result.pooling, b, result));
  } else {
    QC_RETURN_IF_ERROR(AddImageSpec(model_dir, c, b, result));
  }
  if (plan.output == HfOutput::kLogits) {
    b.SetMetadata("model.labels", c.labels.names);
    if (!c.labels.problem_type.empty()) b.SetMetadata("model.problem_type", c.labels.problem_type);
  }
  if (plan.pooling) {
    b.SetMetadata("pooling.mode", std::string(HfPoolingModeName(plan.pooling->mode)));
    b.SetMetadata("pooling.normalize", int64_t{plan.pooling->normalize});
  }

  result.unused_tensors = weights.UnusedNames();
  if (!result.unused_tensors.empty()) {
    result.warnings.push_back(SummarizeUnused(weights.description(), result.unused_tensors));
  }
  Expected<ir::Graph> graph = std::move(b).Build();
  if (!graph.ok()) return graph.status().WithContext(dir + ": the imported graph failed verification");
  result.graph = std::move(graph).value();
  return result;
}

}  // namespace qc::hf
