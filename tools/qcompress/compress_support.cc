#include "qcompress/compress_support.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "exporters/qm/from_ir.h"
#include "qcompress/model_eval.h"
#include "qcompress/quant_config_json.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

std::string Bytes(int64_t bytes) {
  std::ostringstream s;
  if (bytes >= 10 * 1024 * 1024) {
    s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  } else if (bytes >= 10 * 1024) {
    s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1024.0 << " KiB";
  } else {
    s << bytes << " B";
  }
  return s.str();
}

int BitsNumber(ir::WeightBits bits) {
  switch (bits) {
    case ir::WeightBits::kTernary: return 2;
    case ir::WeightBits::kInt4: return 4;
    case ir::WeightBits::kInt8: return 8;
    default: return 32;
  }
}

Expected<qat::LogitRows> ExportAndRun(const ir::Graph& graph, const qm::ProvenanceSpec& provenance,
                                      const TaskData& task, const std::string& path, int threads) {
  QC_RETURN_IF_ERROR(ExportQm(graph, provenance, path));
  auto rows = RunQmOnExamples(path, task.eval, task.pad_id, task.pad_type_id, threads);
  std::error_code ec;
  fs::remove(path, ec);
  return rows;
}

}  // namespace

Expected<passes::PipelineOptions> QuantPipelineOptions(const CompressOptions& options) {
  passes::PipelineOptions pipeline;
  int bits = options.bits;
  // Calibration data means static activation scales, unless the config chooses the default granularity itself.
  bool static_by_calib = !options.calib_path.empty();
  if (!options.config_path.empty()) {
    std::ifstream in(options.config_path);
    if (!in) return IoError(options.config_path + ": cannot open the config file");
    std::stringstream text;
    text << in.rdbuf();
    QC_ASSIGN_OR_RETURN(ParsedQuantConfig parsed, ParseQuantConfigJson(text.str(), options.config_path));
    pipeline.quant = std::move(parsed.config);
    if (!options.bits_given && parsed.bits) bits = *parsed.bits;
    static_by_calib = static_by_calib && !parsed.act_granularity_given;
  }
  if (static_by_calib) pipeline.quant.act_mode = ir::ActivationMode::kStatic;
  if (options.act_groups > 0) pipeline.quant.act_groups = options.act_groups;
  if (pipeline.quant.act_groups > 1 && pipeline.quant.act_mode == ir::ActivationMode::kStatic) {
    return InvalidArgument("--act-groups " + std::to_string(pipeline.quant.act_groups) +
                           " needs dynamic activation scales: it does not combine with --calib or \"act_granularity\": "
                           "\"static\"");
  }
  if (bits == 32) {
    return InvalidArgument("--config " + options.config_path +
                           " quantizes: give --bits 2, 4 or 8, or \"bits\" in the file");
  }
  QC_ASSIGN_OR_RETURN(passes::QuantConfig defaults, passes::DefaultQuantConfig(bits));
  pipeline.quant.linear_bits = defaults.linear_bits;
  QC_RETURN_IF_ERROR(passes::CheckPassNames(options.disabled_passes));
  pipeline.disabled = options.disabled_passes;
  pipeline.verify_each = pipeline.verify_each || options.verify_passes;
  return pipeline;
}

Expected<QatQuantSettings> QatQuantFromConfig(const passes::QuantConfig& c) {
  if (!c.overrides.empty() || !c.keep_float.empty()) {
    return InvalidArgument("--distill trains one quantization scheme for the whole model: per-layer \"overrides\" "
                           "and \"keep_float\" in --config work with --distill none only");
  }
  if (c.act_mode == ir::ActivationMode::kStatic) {
    return InvalidArgument("--distill learns with dynamic activation scales: \"act_granularity\": \"static\" (or "
                           "--calib) works with --distill none only");
  }
  if (!c.keep_classifier_float) return InvalidArgument("--distill keeps the classifier float (keep_classifier_float)");
  QatQuantSettings q;
  q.linear_bits = BitsNumber(c.linear_bits);
  const ir::WeightGranularity g = c.linear_granularity.value_or(
      c.linear_bits == ir::WeightBits::kTernary ? ir::WeightGranularity::kPerTensor : ir::WeightGranularity::kPerRow);
  if (g == ir::WeightGranularity::kPerGroup) {
    return InvalidArgument("--distill: per-group weight scales are not trainable yet (use per_tensor or per_row)");
  }
  q.linear_per_row = g == ir::WeightGranularity::kPerRow;
  q.embedding_bits = BitsNumber(c.embedding_bits.value_or(c.linear_bits));
  q.act_per_tensor = c.act_mode == ir::ActivationMode::kDynamicPerTensor;
  q.act_clip = c.act_clip.value_or(2.5);  // TernaryBERT's symmetric activation clip
  q.quantize_attention = c.quantize_attention;
  q.act_groups = c.act_groups;
  return q;
}

Status PinLearnedActClips(const ir::Graph& graph, passes::QuantConfig& config) {
  std::vector<passes::LayerOverride> pins;
  for (ir::NodeId n = 0; n < graph.num_nodes(); ++n) {
    const ir::Node& node = graph.node(n);
    const bool clipped_linear = graph.IsLive(n) && node.op == ir::OpType::kLinear && node.quant &&
                                node.quant->activation && node.quant->activation->clip;
    if (!clipped_linear) continue;
    if (node.name.empty()) {
      return Internal("a quantized Linear (" + graph.DescribeNode(n) + ") has no name to carry its learned clip");
    }
    for (const passes::LayerOverride& earlier : pins) {
      if (earlier.pattern == node.name && earlier.act_clip != node.quant->activation->clip) {
        return Internal("two quantized Linears are named '" + node.name + "' and learned different clips");
      }
    }
    passes::LayerOverride pin;
    pin.match = passes::OverrideMatch::kName;
    pin.pattern = node.name;
    pin.act_clip = node.quant->activation->clip;
    pins.push_back(std::move(pin));
  }
  config.overrides.insert(config.overrides.end(), pins.begin(), pins.end());
  return Status::Ok();
}

bool HasOutput(const ir::Graph& graph, const std::string& name) {
  for (ir::ValueId v : graph.outputs()) {
    if (graph.value(v).name == name) return true;
  }
  return false;
}

Status CheckHeadFitsTask(const ir::Graph& graph, const TaskData& task) {
  if (graph.outputs().empty()) return InvalidArgument("the model has no outputs");
  ir::ValueId logits = graph.outputs()[0];
  for (ir::ValueId v : graph.outputs()) {
    if (graph.value(v).name == "logits") logits = v;
  }
  const ir::Value& value = graph.value(logits);
  if (value.shape.size() != 2 || !value.shape[1].is_static()) {
    return InvalidArgument("output '" + value.name + "' is not [batch, classes]: the model needs a task head (run " +
                           "--finetune on a labeled --data to add one)");
  }
  const int64_t outputs = value.shape[1].size();
  if (task.kind == qat::TaskKind::kRegression && outputs != 1) {
    return InvalidArgument("--task regression needs a head with 1 output; the model's '" + value.name + "' has " +
                           std::to_string(outputs) + " outputs");
  }
  if (task.kind == qat::TaskKind::kClassification && task.labeled_train && task.num_labels > outputs) {
    return InvalidArgument("the data has " + std::to_string(task.num_labels) + " classes; the model's '" +
                           value.name + "' has " + std::to_string(outputs) + " outputs");
  }
  return Status::Ok();
}

std::string PortableCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    // Flags that cannot change the output are left out, so runs that differ only in them write identical files.
    if (arg == "-q" || arg == "--quiet" || arg == "--resume") continue;
    if (arg == "--threads") {
      ++i;
      continue;
    }
    if (arg.rfind("--threads=", 0) == 0) continue;
    if (i == 0 || arg.find('/') != std::string::npos) arg = fs::path(arg).filename().string();
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

void PrintLayerSummary(const std::vector<passes::LayerSummary>& layers, std::ostream& out) {
  size_t width = 5;
  for (const auto& l : layers) width = std::max(width, l.name.size());
  out << std::left << std::setw(static_cast<int>(width)) << "layer" << "  " << std::setw(10) << "op"
      << std::setw(38) << "format" << std::right << std::setw(12) << "before" << std::setw(12) << "after" << "\n";
  int64_t before = 0, after = 0;
  for (const auto& l : layers) {
    out << std::left << std::setw(static_cast<int>(width)) << l.name << "  " << std::setw(10) << l.op << std::setw(38)
        << l.format << std::right << std::setw(12) << Bytes(l.bytes_before) << std::setw(12) << Bytes(l.bytes_after)
        << "\n";
    before += l.bytes_before;
    after += l.bytes_after;
  }
  out << "layers total: " << Bytes(before) << " -> " << Bytes(after) << "\n";
}

Expected<EvalScores> EvaluateTeacherAndStudent(const ir::Graph& teacher, const ir::Graph& student,
                                               const qm::ProvenanceSpec& provenance, const TaskData& task,
                                               const std::string& output_path, int threads) {
  EvalScores s;
  QC_ASSIGN_OR_RETURN(s.teacher_logits, ExportAndRun(teacher, provenance, task, TempQmPath(output_path, "teacher"), threads));
  QC_ASSIGN_OR_RETURN(s.student_logits, ExportAndRun(student, provenance, task, TempQmPath(output_path, "student"), threads));
  s.teacher = qat::MetricOfLogits(task.metric, s.teacher_logits, task.eval_targets);
  s.student = qat::MetricOfLogits(task.metric, s.student_logits, task.eval_targets);
  return s;
}

std::string ConfigSummary(const CompressOptions& o, const passes::QuantConfig* quant, const TrainingPlan* plan,
                          int64_t max_length) {
  std::ostringstream s;
  if (quant == nullptr) {
    s << "float32 weights";
  } else {
    const int bits = BitsNumber(quant->linear_bits);
    s << "weights " << (bits == 2 ? "ternary (TWN)" : "int" + std::to_string(bits)) << ", embedding "
      << (quant->embedding_bits ? BitsNumber(*quant->embedding_bits) : bits) << "-bit, activations int8 "
      << ir::ActivationModeName(quant->act_mode);
    if (quant->act_clip) s << " clip " << *quant->act_clip;
    if (quant->act_groups > 1) s << " in " << quant->act_groups << " groups";
    s << (quant->quantize_attention ? ", int8 attention" : ", float attention");
    // With learned clips every override is one PinLearnedActClips added (training refuses the user's).
    const bool pinned = plan != nullptr && plan->quant.learn_act_clip;
    if (!quant->overrides.empty() && !pinned) s << ", " << quant->overrides.size() << " overrides";
    if (!o.calib_path.empty()) s << ", calibrated on " << fs::path(o.calib_path).filename().string();
  }
  if (plan != nullptr) {
    s << "; " << (plan->mode == "none" ? "fine-tuned" : "QAT --distill " + plan->mode) << ", " << plan->steps
      << " steps, batch " << plan->batch_size << ", lr " << plan->lr << ", seed " << plan->seed;
    if (plan->optimizer != "bertadam") s << ", " << plan->optimizer;
    if (plan->quant.learn_act_clip) s << ", learned activation clips (lr " << plan->act_clip_lr << ")";
    if (plan->average_decay > 0) s << ", weights averaged (decay " << plan->average_decay << ")";
    if (plan->average_tail > 0)
      s << ", weights averaged over the last " << plan->average_tail * 100 << "% of the steps";
    if (plan->keep_best) s << ", best state kept";
    if (plan->builtin_corpus) s << ", on the built-in corpus (no --data)";
    if (plan->mode == "ti") s << ", TI " << plan->ti_mode << " for " << plan->ti_steps << " steps";
    s << ", max length " << max_length;
  }
  return s.str();
}

uint64_t SourceBytes(const std::string& model_path) {
  std::error_code ec;
  if (!fs::is_directory(model_path, ec)) {
    const auto size = fs::file_size(model_path, ec);
    return ec ? 0 : size;
  }
  uint64_t total = 0;
  for (const char* name : {"config.json", "model.safetensors"}) {
    const auto size = fs::file_size(fs::path(model_path) / name, ec);
    if (!ec) total += size;
  }
  return total;
}

std::vector<report::Curve> TrainingCurves(const TrainingOutcome& outcome, const std::string& metric_name) {
  std::vector<report::Curve> curves;
  if (!outcome.loss_curve.empty()) curves.push_back({"train loss", outcome.loss_curve});
  if (!outcome.eval_curve.empty()) curves.push_back({"eval " + metric_name, outcome.eval_curve});
  if (!outcome.raw_eval_curve.empty()) {  // after the exported weights' curve: readers take the first "eval" one
    curves.push_back({"eval " + metric_name + ", raw weights (not exported)", outcome.raw_eval_curve});
  }
  return curves;
}

Expected<report::Report> WriteQmWithReport(const ir::Graph& graph, const qm::ProvenanceSpec& provenance,
                                           ReportInputs inputs, const std::string& path) {
  const std::string sizing = path + ".qcompress-tmp";
  std::error_code ec;
  for (int attempt = 0; attempt < 6; ++attempt) {
    report::Report report = BuildReport(inputs);
    QC_RETURN_IF_ERROR(report::Validate(report).WithContext("the compression report"));
    QC_RETURN_IF_ERROR(ExportQm(graph, provenance, sizing, report::ToJson(report)));
    const uint64_t size = fs::file_size(sizing, ec);
    if (ec) return IoError(sizing + ": " + ec.message());
    if (size == inputs.qm_bytes) {
      fs::rename(sizing, path, ec);
      if (ec) return IoError(path + ": cannot rename " + sizing + " into place: " + ec.message());
      return report;
    }
    inputs.qm_bytes = size;
  }
  fs::remove(sizing, ec);
  return Internal(path + ": the embedded report's file size did not settle");
}

}  // namespace qc::tools
