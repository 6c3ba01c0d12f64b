// The compress command: import -> (fine-tune | QAT) -> passes -> export -> evaluate on --eval -> report and gates.
#include "qcompress/compress.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

#include "core/version.h"
#include "exporters/qm/from_ir.h"
#include "passes/pipeline.h"
#include "passes/quantize_annotate.h"
#include "qat/data/builtin_corpus.h"
#include "qcompress/calibration.h"
#include "qcompress/compress_support.h"
#include "qcompress/import_model.h"
#include "qcompress/layer_error.h"
#include "qcompress/model_eval.h"
#include "qcompress/progress.h"
#include "qcompress/qat_bridge.h"
#include "qcompress/report_builder.h"
#include "qcompress/task_data.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

// Ctrl-C during training asks the trainer to stop at the next step (it then saves its checkpoint); a second
// Ctrl-C gets the default action back.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted.store(false);
    previous_ = std::signal(SIGINT, [](int sig) {
      OnInterrupt(sig);
      std::signal(SIGINT, SIG_DFL);
    });
  }
  ~InterruptScope() { std::signal(SIGINT, previous_ == SIG_ERR ? SIG_DFL : previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

class CompressRun {
 public:
  CompressRun(const CompressOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  int Go() {
    if (int code = CheckFlags(); code != kExitOk) return code;
    if (int code = Import(); code != kExitOk) return code;
    if (training_) {
      if (int code = CheckConfigFitsModel(); code != kExitOk) return code;
    }
    if (int code = LoadData(); code != kExitOk) return code;
    teacher_graph_ = model_.graph;  // the float model: teacher, and the reference the report compares against
    if (o_.finetune || training_) {
      if (int code = Train(); code != kExitOk) return code;
    }
    if (pipeline_) {
      if (int code = Quantize(); code != kExitOk) return code;
    }
    return ExportAndEvaluate();
  }

 private:
  int Fail(const Status& s, int code) {
    err_ << "qcompress: error: " << s.ToString() << "\n";
    return code;
  }
  // Printed at once (a warning about the data must not wait for the end of training) and kept for the report.
  void Warn(const std::string& warning) {
    err_ << "qcompress: warning: " << warning << "\n";
    warnings_.push_back(warning);
  }
  int Usage(const std::string& message) {
    err_ << "qcompress: error: " << message << "\n";
    return kExitUsage;
  }
  // A config that does not fit the model (an override matching nothing, act_groups not dividing a Linear's
  // in_features, static scales without --calib) is a usage error; anything else is about the model or the data.
  int FailPipeline(const Status& s) {
    const StatusCode code = s.code();
    return Fail(s,
                code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition ? kExitUsage : kExitBadInput);
  }

  int CheckFlags() {
    training_ = o_.distill != "none";
    if (training_ && o_.distill != "kd" && o_.distill != "kdqat" && o_.distill != "ti") {
      return Usage("--distill must be none, kd, kdqat or ti, got '" + o_.distill + "'");
    }
    if ((training_ || o_.finetune) && !QatAvailable()) {
      return Usage("--" + std::string(o_.finetune ? "finetune" : "distill " + o_.distill) +
                   ": training is not available in this build (QC_WITH_TORCH=OFF); use --distill none");
    }
    const bool quantize = o_.bits != 32 || !o_.config_path.empty();
    if (o_.finetune && (training_ || quantize)) {
      return Usage("--finetune makes a float teacher: run it without --bits/--config/--distill, then compress its "
                   "output in a second run");
    }
    if (training_ && !quantize) return Usage("--distill " + o_.distill + " needs --bits 2, 4 or 8");
    // Distillation without --data uses the built-in corpus (LoadTaskData); fine-tuning needs labels.
    if (o_.finetune && o_.data_path.empty()) {
      return Usage("--finetune needs labeled training data: --data FILE (GLUE-style TSV, or an image folder)");
    }
    if (!quantize && !o_.finetune &&
        (!o_.calib_path.empty() || !o_.disabled_passes.empty() || !o_.dump_ir_path.empty() || o_.act_groups > 0)) {
      return Usage("--calib, --act-groups, --disable-pass and --dump-ir apply to quantization (--bits 2, 4 or 8)");
    }
    if ((o_.max_drop || o_.min_metric) && o_.eval_path.empty()) {
      return Usage("--max-drop and --min-metric gate on the --eval metric: give --eval FILE");
    }
    if (o_.max_drop && !(*o_.max_drop >= 0)) return Usage("--max-drop must be >= 0");
    if (o_.keep == "best" && o_.eval_path.empty()) {
      return Usage("--keep best exports the state with the best --eval metric: give --eval FILE");
    }
    if (o_.learn_act_clip && !training_) {
      return Usage("--learn-act-clip trains the activation clips: use it with --distill kd|kdqat|ti");
    }
    if (!(o_.act_clip_lr > 0)) return Usage("--act-clip-lr must be > 0");
    if (!(o_.average_decay >= 0 && o_.average_decay < 1)) {
      return Usage("--average-weights takes a decay in [0, 1), e.g. 0.99 (0: no average)");
    }
    if (o_.average_decay > 0 && !training_ && !o_.finetune) {
      return Usage("--average-weights averages trained weights: use it with --distill kd|kdqat|ti or --finetune");
    }
    if (!(o_.average_tail >= 0 && o_.average_tail <= 1)) {
      return Usage("--average-tail takes the fraction of the steps to average, in (0, 1], e.g. 0.25 (0: no average)");
    }
    if (o_.average_tail > 0 && !training_ && !o_.finetune) {
      return Usage("--average-tail averages trained weights: use it with --distill kd|kdqat|ti or --finetune");
    }
    if (o_.average_tail > 0 && o_.average_decay > 0) {
      return Usage("--average-tail and --average-weights are two ways to average: give one");
    }
    if (!o_.data_path.empty() && !training_ && !o_.finetune) {
      return Usage("--data is training data: use it with --distill kd|kdqat|ti or --finetune (--calib for PTQ)");
    }
    if (o_.steps < 0 || o_.batch_size <= 0 || !(o_.epochs > 0) || !(o_.lr > 0) || o_.ti_steps < 0 ||
        o_.eval_every < 0 || o_.threads < 0) {
      return Usage("--steps, --ti-steps, --eval-every and --threads must be >= 0; --batch-size, --epochs, --lr > 0");
    }
    if (quantize) {
      auto quant = QuantPipelineOptions(o_);
      if (!quant.ok()) {
        return Fail(quant.status(), quant.status().code() == StatusCode::kIoError ? kExitBadInput : kExitUsage);
      }
      pipeline_ = std::move(quant).value();
      if (training_) {
        auto settings = QatQuantFromConfig(pipeline_->quant);
        if (!settings.ok()) return Usage(settings.status().message());
        qat_quant_ = *settings;
        if (o_.learn_act_clip && !(qat_quant_.act_clip > 0)) {
          return Usage("--learn-act-clip starts from the activation clip: \"act_clip\" in --config must be > 0");
        }
        qat_quant_.learn_act_clip = o_.learn_act_clip;
        // The pipeline re-derives the annotations training used; they must agree (checked after the pipeline).
        pipeline_->quant.act_clip = qat_quant_.act_clip > 0 ? std::optional<double>(qat_quant_.act_clip) : std::nullopt;
      }
    }
    return kExitOk;
  }

  int Import() {
    ImportModelOptions import_options;
    import_options.num_heads = o_.num_heads;
    import_options.tokenizer_path = o_.tokenizer_path;
    auto model = ImportModel(o_.model_path, import_options);
    if (!model.ok()) return Fail(model.status(), kExitBadInput);
    model_ = std::move(model).value();
    if (o_.finetune && !HasOutput(model_.graph, "logits") && fs::is_directory(o_.model_path)) {
      // A bare encoder (or a sentence-transformers model) gets a classifier on its last hidden state.
      import_options.hf_last_hidden_state = true;
      auto encoder = ImportModel(o_.model_path, import_options);
      if (!encoder.ok()) return Fail(encoder.status(), kExitBadInput);
      model_ = std::move(encoder).value();
    }
    for (const std::string& w : model_.warnings) err_ << "qcompress: warning: " << w << "\n";
    if (!o_.quiet) out_ << model_.report;
    return kExitOk;
  }

  // Training runs the passes only after its last step: their quantization decisions are checked against the model
  // first, so a config that cannot fit fails in a second, not after the run.
  int CheckConfigFitsModel() {
    auto plan = passes::PlanQuantization(model_.graph, pipeline_->quant);
    return plan.ok() ? kExitOk : FailPipeline(plan.status());
  }

  int LoadData() {
    if (o_.data_path.empty() && o_.eval_path.empty() && !training_) return kExitOk;
    auto task = LoadTaskData(o_, model_.graph);
    if (!task.ok()) {
      return Fail(task.status(), task.status().code() == StatusCode::kInvalidArgument &&
                                         task.status().message().rfind("--", 0) == 0
                                     ? kExitUsage
                                     : kExitBadInput);
    }
    task_ = std::move(task).value();
    if (task_.builtin_corpus) {
      Warn("no --data: distilling on " + std::string(qat::kBuiltinCorpusName) +
           "; task data distills better (1.8 points on SST-2, docs/results/builtin-corpus.md): --data train.tsv, or "
           "the task's unlabeled text as a .txt file, which distills as well as labeled data");
    }
    if (o_.finetune && !task_.labeled_train) {
      return Usage("--finetune needs labeled --data (" + o_.data_path + " has no label column)");
    }
    if (!o_.quiet) {
      out_ << "data: " << task_.train.size() << " training, " << task_.eval.size() << " eval examples";
      if (task_.max_length > 0) out_ << " (max length " << task_.max_length << ")";
      out_ << "\n";
    }
    return kExitOk;
  }

  int Train() {
    if (o_.finetune) {
      const int64_t labels = o_.num_labels > 0 ? o_.num_labels : task_.num_labels;
      auto added = EnsureClassifierHead(model_.graph, labels, o_.seed);
      if (!added.ok()) return Fail(added.status(), kExitBadInput);
      if (*added && !o_.quiet) out_ << "added a classifier head with " << labels << " classes\n";
      teacher_graph_ = model_.graph;
    }
    if (Status s = CheckHeadFitsTask(model_.graph, task_); !s.ok()) return Fail(s, kExitBadInput);
    TrainingPlan plan;
    plan.mode = o_.finetune ? "none" : o_.distill;
    plan.builtin_corpus = task_.builtin_corpus;
    const int64_t batches = (static_cast<int64_t>(task_.train.size()) + o_.batch_size - 1) / o_.batch_size;
    plan.steps = o_.steps > 0 ? o_.steps
                              : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(o_.epochs * batches)));
    plan.batch_size = o_.batch_size;
    plan.lr = o_.lr;
    plan.act_clip_lr = o_.act_clip_lr;
    plan.optimizer = o_.optimizer;
    plan.keep_best = o_.keep == "best";
    plan.average_decay = o_.average_decay;
    plan.average_tail = o_.average_tail;
    plan.seed = o_.seed;
    plan.threads = Threads();
    plan.eval_every = o_.eval_every > 0 ? o_.eval_every : std::max<int64_t>(1, plan.steps / 10);
    plan.ti_steps = o_.ti_steps > 0 ? o_.ti_steps : std::max<int64_t>(1, plan.steps / 10);
    if (plan.mode == "ti" && plan.ti_steps >= plan.steps) {
      return Usage("--ti-steps (" + std::to_string(plan.ti_steps) + ") must be below the total steps (" +
                   std::to_string(plan.steps) + ")");
    }
    plan.ti_mode = o_.ti_mode;
    plan.quant = qat_quant_;
    plan.checkpoint_dir = o_.checkpoint_dir.empty() ? o_.output_path + ".ckpt" : o_.checkpoint_dir;
    plan.resume = o_.resume;
    plan_ = plan;
    const bool terminal = !o_.quiet && ProgressBar::StreamIsTerminal(stderr);
    ProgressBar bar(err_, o_.finetune ? "fine-tune" : "train (" + o_.distill + ")", plan.steps, terminal);
    plan.progress = [&](int64_t step, int64_t, double loss, double score, const std::string& phase) {
      if (o_.quiet) return;
      std::ostringstream detail;
      detail << std::setprecision(4) << "loss " << loss;
      if (!std::isnan(score)) detail << ", eval " << MetricName() << " " << score;
      if (!phase.empty()) detail << ", " << phase;
      bar.Update(step, detail.str());
    };
    plan.should_stop = [] { return g_interrupted.load(); };
    InterruptScope interrupt_scope;
    auto outcome = RunTraining(model_.graph, task_, plan);
    if (!outcome.ok()) return Fail(outcome.status(), kExitBadInput);
    training_outcome_ = std::move(outcome).value();
    if (!training_outcome_->stopped && qat_quant_.learn_act_clip) {
      // The pipeline re-annotates from the config: each trained clip becomes a per-node override so it survives.
      if (Status s = PinLearnedActClips(model_.graph, pipeline_->quant); !s.ok()) return Fail(s, kExitBadInput);
    }
    if (training_outcome_->stopped) {
      err_ << "\nqcompress: interrupted at step " << training_outcome_->steps_done << " of " << plan.steps
           << "; the checkpoint is in " << plan.checkpoint_dir
           << "/ (rerun the same command with --resume to continue); no .qm was written\n";
      return kExitInterrupted;
    }
    if (!o_.quiet) {
      std::ostringstream detail;
      detail << std::setprecision(3) << training_outcome_->seconds_per_step << " s/step";
      if (!task_.eval.empty()) {
        detail << std::setprecision(4) << "; eval " << MetricName() << " teacher " << training_outcome_->teacher_score
               << ", trained " << training_outcome_->last_score << " (best " << training_outcome_->best_score
               << " at step " << training_outcome_->best_step << ")";
        if (plan.keep_best) detail << "; exporting the step-" << training_outcome_->exported_step << " state";
      }
      bar.Finish(detail.str());
    }
    return kExitOk;
  }

  int Quantize() {
    std::optional<RuntimeCalibrationObserver> observer;
    if (!o_.calib_path.empty()) {
      observer.emplace(o_.calib_path, o_.text_columns, !o_.no_header);
      pipeline_->observer = &*observer;
      auto hash = HashFiles({o_.calib_path});
      if (!hash.ok()) return Fail(hash.status(), kExitBadInput);
      provenance_.calibration_data_hash = *hash;
    }
    std::ofstream dump;
    if (!o_.dump_ir_path.empty()) {
      dump.open(o_.dump_ir_path, std::ios::binary | std::ios::trunc);
      if (!dump) return Usage(o_.dump_ir_path + ": cannot write the IR dump");
      pipeline_->dump = &dump;
    }
    auto result = passes::RunPipeline(model_.graph, *pipeline_);
    if (!result.ok()) return FailPipeline(result.status());
    if (training_ && std::count(result->changed.begin(), result->changed.end(), "quantize_annotate") > 0) {
      return Fail(Internal("the quantization the trainer simulated differs from what the passes pack; "
                           "refusing to write a model that is not the trained one"),
                  kExitBadInput);
    }
    pipeline_result_ = std::move(result).value();
    for (const std::string& w : pipeline_result_->context.warnings) Warn(w);
    if (observer && observer->samples() == 0) {
      Warn("--calib " + o_.calib_path +
           " was not used: no layer has static activation scales (see \"act_granularity\")");
    }
    if (!o_.quiet) {
      if (observer) out_ << "calibration: " << observer->samples() << " texts from " << o_.calib_path << "\n";
      PrintLayerSummary(pipeline_result_->context.layers, out_);
    }
    return kExitOk;
  }

  int Threads() const {
    return o_.threads > 0 ? o_.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  std::string MetricName() const { return std::string(qat::MetricName(task_.metric)); }

  int ExportAndEvaluate();
  void CompareWithTrainedModel(const qat::LogitRows& written, report::Metric& metric);

  const CompressOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  bool training_ = false;
  std::optional<passes::PipelineOptions> pipeline_;
  std::optional<passes::PipelineResult> pipeline_result_;
  QatQuantSettings qat_quant_;
  ImportedModel model_;
  ir::Graph teacher_graph_;
  TaskData task_;
  TrainingPlan plan_;
  std::optional<TrainingOutcome> training_outcome_;
  qm::ProvenanceSpec provenance_;
  std::vector<std::string> warnings_;
};

// The written .qm, run by the runtime, against the trained (fake-quant) model on the eval set: the share of equal
// predictions for classification; for regression, where one output has no argmax, the largest output difference.
void CompressRun::CompareWithTrainedModel(const qat::LogitRows& written, report::Metric& metric) {
  const qat::LogitRows& trained = training_outcome_->student_eval_logits;
  std::string warning;
  if (trained.classes > 1) {
    const double agreement = qat::PredictionAgreement(trained, written);
    if (!o_.quiet) {
      out_ << std::setprecision(4) << "runtime vs trained (fake-quant) model: same prediction on " << 100.0 * agreement
           << "% of " << task_.eval.size() << " eval examples\n";
    }
    metric.trained_agreement = agreement;
    if (agreement < 0.999) {
      warning = "the .qm agrees with the trained model's predictions on only " + std::to_string(100.0 * agreement) +
                "% of the eval examples";
    }
  } else {
    const double diff = qat::LargestOutputDifference(trained, written);
    const auto [low, high] = std::minmax_element(trained.values.begin(), trained.values.end());
    const double spread = static_cast<double>(*high) - static_cast<double>(*low);
    if (!o_.quiet) {
      out_ << std::setprecision(4) << "runtime vs trained (fake-quant) model: outputs differ by at most " << diff
           << " over " << task_.eval.size() << " eval examples (the trained outputs span " << spread << ")\n";
    }
    if (std::isfinite(diff)) metric.trained_max_diff = diff;
    // 1% of the outputs' spread: well above float reordering, well below a change of ranking a correlation sees.
    if (!(diff <= 0.01 * spread)) {
      warning = "the .qm's outputs differ from the trained model's by up to " + std::to_string(diff) +
                " on the eval examples, more than 1% of their spread " + std::to_string(spread);
    }
  }
  if (!warning.empty()) Warn(warning);
}

int CompressRun::ExportAndEvaluate() {
  provenance_.producer_name = "qcompress";
  provenance_.producer_version = kRuntimeVersionString;
  provenance_.command_line = PortableCommandLine(o_.argv);
  provenance_.source_model_name = fs::path(o_.model_path).filename().string();
  provenance_.source_model_hash = model_.source_hash;
  if (training_ || o_.finetune) provenance_.seed = o_.seed;

  // Evaluate the artifact itself: the float teacher and the compressed model, both run by the runtime.
  std::optional<report::Metric> metric;
  if (!task_.eval.empty()) {
    auto scores =
        EvaluateTeacherAndStudent(teacher_graph_, model_.graph, provenance_, task_, o_.output_path, Threads());
    if (!scores.ok()) return Fail(scores.status(), kExitBadInput);
    metric = report::MakeMetric(MetricName(), scores->teacher, scores->student, o_.max_drop, o_.min_metric,
                                /*higher_is_better=*/true);
    if (training_outcome_ && !training_outcome_->student_eval_logits.values.empty()) {
      CompareWithTrainedModel(scores->student_logits, *metric);
    }
    auto& md = model_.graph.mutable_metadata();
    md["quality.metric"] = MetricName();
    md["quality.teacher"] = metric->teacher;
    md["quality.student"] = metric->student;
    md["quality.gate"] = std::string(metric->pass ? "pass" : "fail");
  }

  ReportInputs in;
  if (!task_.eval.empty() && pipeline_result_) {
    std::vector<std::string> names;
    for (const passes::LayerSummary& l : pipeline_result_->context.layers) names.push_back(l.name);
    auto errors = MeasureLayerErrors(teacher_graph_, model_.graph, names, task_, o_.output_path, Threads());
    if (!errors.ok()) return Fail(errors.status().WithContext("measuring per-layer errors"), kExitBadInput);
    in.layer_errors = std::move(errors).value();
  }
  in.qcompress_version = kRuntimeVersionString;
  in.model_name = provenance_.source_model_name;
  in.source_hash = model_.source_hash;
  in.command_line = provenance_.command_line;
  in.config_summary = ConfigSummary(o_, pipeline_ ? &pipeline_->quant : nullptr, training_ || o_.finetune ? &plan_ : nullptr,
                                    task_.max_length);
  in.eval_data = task_.eval_description;
  in.layers = pipeline_result_ ? &pipeline_result_->context.layers : nullptr;
  in.float_graph = &teacher_graph_;
  in.source_bytes = SourceBytes(o_.model_path);
  in.metric = metric;
  if (training_outcome_) in.curves = TrainingCurves(*training_outcome_, MetricName());
  in.warnings = warnings_;
  auto written = WriteQmWithReport(model_.graph, provenance_, in, o_.output_path);
  if (!written.ok()) return Fail(written.status(), kExitBadInput);
  const report::Report& report = *written;
  if (!o_.report_path.empty()) {
    if (Status s = WriteFileAtomically(o_.report_path, report::ToJson(report)); !s.ok()) return Fail(s, kExitBadInput);
  }
  if (!o_.html_path.empty()) {
    if (Status s = WriteFileAtomically(o_.html_path, report::RenderHtml(report)); !s.ok()) return Fail(s, kExitBadInput);
  }
  if (!o_.quiet) {
    out_ << "wrote " << o_.output_path << " (" << report.totals.file_bytes_after << " bytes, "
         << (pipeline_ ? "quantized" : "float32");
    if (pipeline_) out_ << ", " << std::setprecision(3) << report.totals.ratio() << "x smaller than the source";
    out_ << ")\n";
    if (metric) {
      out_ << std::setprecision(4) << "eval " << metric->name << ": float " << metric->teacher << ", "
           << (pipeline_ ? "compressed " : "fine-tuned ") << metric->student << " (drop " << metric->drop() << ")"
           << (o_.max_drop || o_.min_metric ? (metric->pass ? "; quality gate passed" : "; QUALITY GATE FAILED") : "")
           << "\n";
    }
  }
  if (training_outcome_ && o_.checkpoint_dir.empty()) {
    // The default checkpoint directory only serves an interrupted run; a finished one leaves just its outputs.
    std::error_code ec;
    fs::remove_all(plan_.checkpoint_dir, ec);
  }
  if (metric && !metric->pass) {
    err_ << "qcompress: quality gate failed: " << metric->name << " " << metric->student;
    if (o_.min_metric) err_ << " (minimum " << *o_.min_metric << ")";
    if (o_.max_drop) err_ << ", drop " << metric->drop() << " (maximum " << *o_.max_drop << ")";
    err_ << "; " << o_.output_path << " was written and is marked as failing\n";
    return kExitGateFailed;
  }
  return kExitOk;
}

}  // namespace

int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err) {
  return CompressRun(options, out, err).Go();
}

}  // namespace qc::tools
