// What a checkpoint must share with the run that resumes it (qat/resume_settings.h).
#include "qat/resume_settings.h"

#include <charconv>
#include <optional>
#include <sstream>
#include <vector>

#include "ir/content_hash.h"

namespace qc::qat {
namespace {

class SettingLines {
 public:
  void Add(const std::string& key, const std::string& value) { text_ += key + "=" + value + "\n"; }
  void Add(const std::string& key, std::string_view value) { Add(key, std::string(value)); }
  void Add(const std::string& key, const char* value) { Add(key, std::string(value)); }
  void Add(const std::string& key, bool value) { Add(key, value ? "true" : "false"); }
  void Add(const std::string& key, int64_t value) { Add(key, std::to_string(value)); }
  void Add(const std::string& key, uint64_t value) { Add(key, std::to_string(value)); }
  void Add(const std::string& key, double value) {
    char buffer[40];  // the shortest text that reads back as the same double: exact, and 3e-4 prints as 0.0003
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    Add(key, std::string(buffer, result.ptr));
  }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

// Token ids, type ids, labels, pixels and image shapes of every example, in order.
std::string DataDigest(const std::vector<EncodedExample>& examples) {
  uint64_t h = ir::kFnv1a64Offset;
  for (const EncodedExample& e : examples) {
    h = ir::Fnv1a64(e.ids.data(), e.ids.size() * sizeof(int64_t), h);
    h = ir::Fnv1a64(e.type_ids.data(), e.type_ids.size() * sizeof(int64_t), h);
    h = ir::Fnv1a64(&e.label, sizeof e.label, h);
    h = ir::Fnv1a64(e.pixels.data(), e.pixels.size() * sizeof(float), h);
    h = ir::Fnv1a64(e.image_shape.data(), e.image_shape.size() * sizeof(int64_t), h);
    const uint64_t sizes[4] = {e.ids.size(), e.type_ids.size(), e.pixels.size(), e.image_shape.size()};  // boundaries
    h = ir::Fnv1a64(sizes, sizeof sizes, h);
  }
  return std::to_string(examples.size()) + " examples, " + ir::HashToHex(h);
}

// Every constant's name and bytes, in value order: the model training starts from.
std::string GraphDigest(const ir::Graph& graph) {
  uint64_t h = ir::kFnv1a64Offset;
  size_t constants = 0;
  for (const ir::Value& v : graph.values()) {
    if (!v.constant) continue;
    ++constants;
    h = ir::Fnv1a64(v.name.data(), v.name.size() + 1, h);  // with the terminating NUL
    h = ir::Fnv1a64(v.constant->raw_data(), v.constant->byte_size(), h);
  }
  return std::to_string(constants) + " constants, " + ir::HashToHex(h);
}

std::string_view OptimizerName(OptimizerKind kind) {
  return kind == OptimizerKind::kAdamW ? "adamw" : "bertadam";
}

std::string_view PredLossName(PredLoss loss) {
  switch (loss) {
    case PredLoss::kSoftCeMean:
      return "soft-ce-mean";
    case PredLoss::kSoftCeSum:
      return "soft-ce-sum";
    case PredLoss::kMse:
      return "mse";
  }
  return "invalid";
}

// The value of `key` in "key=value" lines, or nullopt when the key is absent (a setting only some runs record).
std::optional<std::string> ValueOf(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return std::nullopt;
}

std::vector<std::string> KeysOf(const std::string& text) {
  std::vector<std::string> keys;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) keys.push_back(line.substr(0, line.find('=')));
  return keys;
}

}  // namespace

std::string ResumeSettings(const TrainerOptions& o, const TrainData& data, const DistillLossConfig& losses,
                           const ir::Graph& start) {
  SettingLines s;
  s.Add("start model", GraphDigest(start));
  s.Add("train data", DataDigest(data.train));
  s.Add("eval data", DataDigest(data.eval));
  s.Add("task", data.kind == TaskKind::kRegression ? "regression" : "classification");
  s.Add("pad ids", std::to_string(data.pad_id) + "," + std::to_string(data.pad_type_id));
  s.Add("distill", DistillModeName(o.mode));
  s.Add("steps", o.steps);
  s.Add("batch size", o.batch_size);
  s.Add("seed", o.seed);
  s.Add("bucketing", o.bucketing);
  s.Add("eval every", o.eval_every);
  s.Add("eval batch size", o.eval_batch_size);
  s.Add("metric", MetricName(o.metric));
  s.Add("keep best", o.keep_best);
  if (o.average_decay > 0.0) s.Add("weight average decay", o.average_decay);  // absent before averaging existed
  if (o.average_tail > 0.0) s.Add("weight average tail", o.average_tail);
  s.Add("logits output", o.logits_output);
  s.Add("optimizer", OptimizerName(o.optimizer.kind));
  s.Add("lr", o.optimizer.lr);
  s.Add("beta1", o.optimizer.beta1);
  s.Add("beta2", o.optimizer.beta2);
  s.Add("eps", o.optimizer.eps);
  s.Add("weight decay", o.optimizer.weight_decay);
  s.Add("max grad norm", o.optimizer.max_grad_norm);
  s.Add("warmup", o.optimizer.warmup);
  s.Add("ti steps", o.ti_steps);
  s.Add("ti schedule", TiScheduleName(o.ti_schedule));
  s.Add("ti seed", o.ti_seed);
  s.Add("pred loss", PredLossName(losses.pred));
  s.Add("pred weight", losses.pred_weight);
  s.Add("hidden weight", losses.hidden_weight);
  s.Add("score weight", losses.score_weight);
  s.Add("map weight", losses.map_weight);
  s.Add("output weight", losses.output_weight);
  const QuantRecipe& q = o.quant;
  s.Add("linear bits", ir::WeightBitsName(q.linear_bits));
  s.Add("linear granularity", ir::WeightGranularityName(q.linear_granularity));
  s.Add("embedding bits", ir::WeightBitsName(q.embedding_bits));
  s.Add("twn clip", static_cast<double>(q.twn_clip));
  s.Add("quantize pooler", q.quantize_pooler);
  s.Add("act granularity", q.act_granularity == ActGranularity::kPerTensor ? "per-tensor" : "per-token");
  s.Add("act clip", static_cast<double>(q.act_clip));
  s.Add("learn act clip", q.learn_act_clip);
  if (q.learn_act_clip) s.Add("act clip lr", o.act_clip_lr);  // unused without learned clips
  s.Add("act groups", q.act_groups);
  s.Add("quantize attention", q.quantize_attention);
  s.Add("exact linear", q.exact_linear);
  s.Add("exact eval", q.exact_eval);
  return s.Take();
}

Status CheckResumeSettings(const std::string& checkpoint_path, const std::string& saved, const std::string& current) {
  if (saved == current) return Status::Ok();
  const std::string advice = "; rerun with the settings of the interrupted run, or delete the checkpoint to start over";
  if (saved.empty()) {
    return InvalidArgument("checkpoint " + checkpoint_path +
                           ": written by an older qcompress that did not record its run's settings, so it cannot "
                           "be resumed exactly" +
                           advice);
  }
  std::vector<std::string> keys = KeysOf(current);
  for (std::string& key : KeysOf(saved)) keys.push_back(std::move(key));  // settings this run does not record
  for (const std::string& key : keys) {
    const std::optional<std::string> was = ValueOf(saved, key), now = ValueOf(current, key);
    if (was == now) continue;
    const std::string before = was ? key + " " + *was : "no " + key;
    return InvalidArgument("checkpoint " + checkpoint_path + ": its run had " + before + ", this run has " +
                           now.value_or("none") + advice);
  }
  return InvalidArgument("checkpoint " + checkpoint_path + ": its run had other settings" + advice);
}

}  // namespace qc::qat
