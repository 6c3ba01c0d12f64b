// The pieces of the compress command that are not its control flow (compress.cc): flag-to-config translation,
// evaluation of the written artifact, the report's text parts, and the sized .qm write.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "exporters/qm/qm_spec.h"
#include "ir/graph.h"
#include "passes/pipeline.h"
#include "qcompress/compress.h"
#include "qcompress/qat_bridge.h"
#include "qcompress/report_builder.h"
#include "qcompress/task_data.h"
#include "report/report.h"

namespace qc::tools {

/// The pipeline options from --bits, --config, --disable-pass, --verify-passes. InvalidArgument = usage error.
Expected<passes::PipelineOptions> QuantPipelineOptions(const CompressOptions& options);

/// What training simulates for a pipeline config. QAT applies one global recipe, so per-layer overrides,
/// keep_float lists and static activation scales are refused (InvalidArgument naming the field).
Expected<QatQuantSettings> QatQuantFromConfig(const passes::QuantConfig& config);

/// After training with learned activation clips: one exact-name override per quantized Linear carrying its trained
/// clip (from Node::quant), so quantize_annotate reproduces what was trained. An unnamed node is an error.
Status PinLearnedActClips(const ir::Graph& graph, passes::QuantConfig& config);

bool HasOutput(const ir::Graph& graph, const std::string& name);

/// The model's logits (the "logits" output, else the first) have one column for regression and at least as many as
/// the data's classes for classification; an error naming both otherwise.
Status CheckHeadFitsTask(const ir::Graph& graph, const TaskData& task);

/// The command line with every path reduced to its basename (provenance never records machine paths), without the
/// flags that cannot change the output (--threads, --quiet, --resume).
std::string PortableCommandLine(const std::vector<std::string>& argv);

/// The per-layer table qcompress prints after quantizing.
void PrintLayerSummary(const std::vector<passes::LayerSummary>& layers, std::ostream& out);

struct EvalScores {
  double teacher = 0;
  double student = 0;
  qat::LogitRows teacher_logits;
  qat::LogitRows student_logits;
};

/// Exports both graphs to temporary .qm files, runs them through the runtime on task.eval and scores them.
Expected<EvalScores> EvaluateTeacherAndStudent(const ir::Graph& teacher, const ir::Graph& student,
                                               const qm::ProvenanceSpec& provenance, const TaskData& task,
                                               const std::string& output_path, int threads);

/// One line: the quantization scheme and the training settings (no thread count: it does not change the output).
std::string ConfigSummary(const CompressOptions& options, const passes::QuantConfig* quant, const TrainingPlan* plan,
                          int64_t max_length);

/// Bytes of the source model: the ONNX file, or config.json + model.safetensors of a directory.
uint64_t SourceBytes(const std::string& model_path);

/// "train loss" and "eval <metric>" curves.
std::vector<report::Curve> TrainingCurves(const TrainingOutcome& outcome, const std::string& metric_name);

/// Writes the .qm with the report embedded; the report's file size is the final file's own size (the write is
/// repeated until the number it records is the size it produces). Returns the embedded report.
Expected<report::Report> WriteQmWithReport(const ir::Graph& graph, const qm::ProvenanceSpec& provenance,
                                           ReportInputs inputs, const std::string& path);

}  // namespace qc::tools
