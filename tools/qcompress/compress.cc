#include "qcompress/compress.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/version.h"
#include "exporters/qm/from_ir.h"
#include "passes/pipeline.h"
#include "qcompress/calibration.h"
#include "qcompress/import_model.h"
#include "qcompress/quant_config_json.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

// THE hook for quantization-aware training (helper C's qat/): flip when this build can distill.
constexpr bool kQatAvailable = false;

// Provenance never records absolute paths (they leak machine details and break byte-identical output).
std::string PortableCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (i == 0 || arg.find('/') != std::string::npos) arg = fs::path(arg).filename().string();
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

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

void PrintSummary(const std::vector<passes::LayerSummary>& layers, std::ostream& out) {
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

// The pipeline options from the flags and --config; a usage error (exit 2) is reported as InvalidArgument.
Expected<passes::PipelineOptions> QuantOptions(const CompressOptions& options) {
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

}  // namespace

int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err) {
  if (options.distill != "none" && !kQatAvailable) {
    err << "qcompress: error: --distill " << options.distill
        << ": quantization-aware training (QAT) is not available in this build; use --distill none "
           "(post-training quantization)\n";
    return kExitUsage;
  }
  const bool quantize = options.bits != 32 || !options.config_path.empty();
  if (!quantize &&
      (!options.calib_path.empty() || !options.disabled_passes.empty() || !options.dump_ir_path.empty())) {
    err << "qcompress: error: --calib, --disable-pass and --dump-ir apply to quantization (--bits 2, 4 or 8)\n";
    return kExitUsage;
  }
  std::optional<passes::PipelineOptions> pipeline;
  if (quantize) {
    auto quant = QuantOptions(options);
    if (!quant.ok()) {
      err << "qcompress: error: " << quant.status().message() << "\n";
      return quant.status().code() == StatusCode::kIoError ? kExitBadInput : kExitUsage;
    }
    pipeline = std::move(quant).value();
  }

  ImportModelOptions import_options;
  import_options.num_heads = options.num_heads;
  import_options.tokenizer_path = options.tokenizer_path;
  auto model = ImportModel(options.model_path, import_options);
  if (!model.ok()) {
    err << "qcompress: error: " << model.status().ToString() << "\n";
    return kExitBadInput;
  }
  for (const std::string& w : model->warnings) err << "qcompress: warning: " << w << "\n";
  if (!options.quiet) out << model->report;

  qm::ProvenanceSpec provenance;
  if (pipeline) {
    std::optional<RuntimeCalibrationObserver> observer;
    if (!options.calib_path.empty()) {
      observer.emplace(options.calib_path);
      pipeline->observer = &*observer;
      auto hash = HashFiles({options.calib_path});
      if (!hash.ok()) {
        err << "qcompress: error: " << hash.status().ToString() << "\n";
        return kExitBadInput;
      }
      provenance.calibration_data_hash = *hash;
    }
    std::ofstream dump;
    if (!options.dump_ir_path.empty()) {
      dump.open(options.dump_ir_path, std::ios::binary | std::ios::trunc);
      if (!dump) {
        err << "qcompress: error: " << options.dump_ir_path << ": cannot write the IR dump\n";
        return kExitBadInput;
      }
      pipeline->dump = &dump;
    }
    auto result = passes::RunPipeline(model->graph, *pipeline);
    if (!result.ok()) {
      err << "qcompress: error: " << result.status().ToString() << "\n";
      const StatusCode code = result.status().code();
      // A config that does not fit the model (an override matching nothing, static scales without --calib) is a
      // usage error; anything else is about the model or the calibration data.
      return code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition ? kExitUsage : kExitBadInput;
    }
    for (const std::string& w : result->context.warnings) err << "qcompress: warning: " << w << "\n";
    if (observer && observer->samples() == 0) {
      err << "qcompress: warning: --calib " << options.calib_path
          << " was not used: no layer has static activation scales (see \"act_granularity\" in the config)\n";
    }
    if (!options.quiet) {
      if (observer) out << "calibration: " << observer->samples() << " texts from " << options.calib_path << "\n";
      PrintSummary(result->context.layers, out);
    }
  }

  provenance.producer_name = "qcompress";
  provenance.producer_version = kRuntimeVersionString;
  provenance.command_line = PortableCommandLine(options.argv);
  provenance.source_model_name = fs::path(options.model_path).filename().string();
  provenance.source_model_hash = model->source_hash;
  const Status status = ExportQm(model->graph, provenance, options.output_path);
  if (!status.ok()) {
    err << "qcompress: error: " << status.ToString() << "\n";
    return kExitBadInput;
  }
  if (!options.quiet) {
    std::error_code ec;
    out << "wrote " << options.output_path << " (" << fs::file_size(options.output_path, ec) << " bytes, "
        << (pipeline ? "quantized" : "float32") << ")\n";
  }
  return kExitOk;
}

}  // namespace qc::tools
