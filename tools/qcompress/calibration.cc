#include "qcompress/calibration.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "exporters/qm/from_ir.h"
#include "qat/data/glue_data.h"
#include "qcompress/runtime.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

// Removes the temporary model however the calibration ends.
struct TempFile {
  fs::path path;
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

// The float graph with `values` as extra, named graph outputs; returns their output names.
Expected<ir::Graph> ObservableGraph(const ir::Graph& source, const std::vector<ir::ValueId>& values,
                                    std::vector<std::string>* names) {
  ir::Graph graph = source;
  for (ir::NodeId n = 0; n < graph.num_nodes(); ++n) graph.mutable_node(n).quant.reset();
  for (ir::ValueId v : values) {
    if (graph.IsGraphInput(v) || graph.value(v).constant) {
      return Unsupported("calibration of " + graph.DescribeValue(v) + ", a graph input or constant, is not supported");
    }
    if (graph.value(v).name.empty()) {
      std::string name = "qc.calibration.%" + std::to_string(v);
      while (graph.FindValue(name).ok()) name += "_";
      graph.mutable_value(v).name = name;
    }
    names->push_back(graph.value(v).name);
    if (!graph.IsGraphOutput(v)) graph.mutable_outputs().push_back(v);
  }
  return graph;
}

}  // namespace

Status RuntimeCalibrationObserver::DetectColumns(const std::string& first_line, bool* first_is_header) {
  *first_is_header = false;
  if (!columns_.empty()) {  // --text-col given
    *first_is_header = has_header_;
    return Status::Ok();
  }
  if (fs::path(text_path_).extension() != ".tsv") {
    columns_ = {-1};  // plain text: the whole line
    return Status::Ok();
  }
  // The training reader's detection (qat/data/glue_data.h), so --calib and --data read a file the same way.
  auto layout = qat::DetectTsvLayout(text_path_, qat::SplitTsvLine(first_line));
  if (!layout.ok()) {
    columns_ = {0};  // header-less text in column 0
    return Status::Ok();
  }
  *first_is_header = layout->header;
  columns_ = {layout->text_a};
  if (layout->text_b >= 0) columns_.push_back(layout->text_b);
  return Status::Ok();
}

Expected<std::vector<float>> RuntimeCalibrationObserver::ObserveAbsMax(const ir::Graph& source,
                                                                       const std::vector<ir::ValueId>& values) {
  std::vector<std::string> names;
  QC_ASSIGN_OR_RETURN(ir::Graph graph, ObservableGraph(source, values, &names));
  TempFile temp{fs::temp_directory_path() / ("qcompress-calibration-" + std::to_string(getpid()) + ".qm")};
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress-calibration";
  QC_RETURN_IF_ERROR(ExportQm(graph, provenance, temp.path.string()).WithContext("calibration model"));
  QC_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::Load(temp.path.string()));
  if (model->tokenizer() == nullptr) {
    return Unsupported("--calib takes text, but the model carries no tokenizer (image models are not supported)");
  }
  QC_ASSIGN_OR_RETURN(Session session, Session::Create(model));
  std::vector<int> index(values.size(), -1);
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t o = 0; o < model->outputs().size(); ++o) {
      if (model->outputs()[o].name == names[i]) index[i] = static_cast<int>(o);
    }
    if (index[i] < 0) return Internal("calibration output '" + names[i] + "' is missing from the exported model");
  }
  std::ifstream in(text_path_);
  if (!in) return IoError(text_path_ + ": cannot open the calibration file");
  std::vector<float> amax(values.size(), 0.0f);
  samples_ = 0;
  std::string line;
  bool detected = false;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!detected) {
      bool header = false;
      QC_RETURN_IF_ERROR(DetectColumns(line, &header));
      detected = true;
      if (header) continue;
    }
    std::string a, b;
    if (columns_.front() < 0) {
      a = line;
    } else {
      const std::vector<std::string> cells = qat::SplitTsvLine(line);
      const auto need = static_cast<size_t>(*std::max_element(columns_.begin(), columns_.end()));
      if (cells.size() <= need) {
        if (line.empty()) continue;
        return InvalidArgument(text_path_ + ":" + std::to_string(line_no) + ": " + std::to_string(cells.size()) +
                               " columns, the text is in column " + std::to_string(need));
      }
      a = cells[static_cast<size_t>(columns_[0])];
      if (columns_.size() > 1) b = cells[static_cast<size_t>(columns_[1])];
    }
    if (a.empty()) continue;
    auto outputs = b.empty() ? session.RunText({a}) : session.RunText({a}, {b});
    if (!outputs.ok()) return outputs.status().WithContext(text_path_ + ":" + std::to_string(line_no));
    for (size_t i = 0; i < values.size(); ++i) {
      for (float x : (*outputs)[static_cast<size_t>(index[i])].tensor.floats) {
        if (std::isnan(x)) {
          return InvalidArgument(text_path_ + ":" + std::to_string(line_no) + ": the float model produced NaN at '" +
                                 names[i] + "'");
        }
        amax[i] = std::max(amax[i], std::fabs(x));
      }
    }
    ++samples_;
  }
  if (in.bad()) return IoError(text_path_ + ": read error");
  if (samples_ == 0) return InvalidArgument(text_path_ + ": no calibration text (the file has no non-empty line)");
  return amax;
}

}  // namespace qc::tools
