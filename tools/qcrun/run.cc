#include "qcrun/run.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "qcompress/runtime.h"
#include "qcrun/images.h"

namespace qc::tools {
namespace {

Expected<std::vector<NamedTensor>> RunIds(Session& session, const std::vector<int64_t>& ids) {
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<NamedTensor> inputs;
  for (const ValueSignature& sig : session.model().inputs()) {
    if (sig.name == "input_ids") {
      inputs.push_back({sig.name, HostTensor::Int64({1, n}, ids)});
    } else if (sig.name == "attention_mask") {
      inputs.push_back({sig.name, HostTensor::Int64({1, n}, std::vector<int64_t>(ids.size(), 1))});
    } else if (sig.name == "token_type_ids") {
      inputs.push_back({sig.name, HostTensor::Int64({1, n}, std::vector<int64_t>(ids.size(), 0))});
    } else {
      return InvalidArgument("--ids cannot fill model input '" + sig.name + "'");
    }
  }
  return session.Run(inputs);
}

Expected<std::vector<NamedTensor>> RunImageFiles(Session& session, const std::vector<std::string>& files) {
  QC_ASSIGN_OR_RETURN(ImageSpec spec, session.model().image_spec());
  QC_ASSIGN_OR_RETURN(HostTensor pixels, LoadImageBatch(files, spec));
  return session.RunImages(pixels);
}

}  // namespace

int RunModel(const RunOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.pairs.empty() && options.pairs.size() != options.texts.size()) {
    err << "qcrun run: give one --pair per --text\n";
    return 2;
  }
  auto model = Model::Load(options.path);
  if (!model.ok()) {
    err << "qcrun: error: " << model.status().ToString() << "\n";
    return 1;
  }
  SessionOptions session_options;
  session_options.max_length = options.max_length;
  session_options.num_threads = options.threads;
  auto session = Session::Create(*model, session_options);
  if (!session.ok()) {
    err << "qcrun: error: " << session.status().ToString() << "\n";
    return 1;
  }
  auto outputs = !options.images.empty() ? RunImageFiles(*session, options.images)
                 : options.texts.empty() ? RunIds(*session, options.ids)
                                         : session->RunText(options.texts, options.pairs);
  if (!outputs.ok()) {
    err << "qcrun: error: " << outputs.status().ToString() << "\n";
    return 1;
  }
  const std::vector<std::string>& labels = (*model)->label_names();
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const NamedTensor& o : *outputs) {
    nlohmann::ordered_json item;
    item["name"] = o.name;
    item["shape"] = o.tensor.shape;
    if (o.tensor.type == ElementType::kFloat32) {
      item["values"] = o.tensor.floats;
    } else {
      item["values"] = o.tensor.ints;
    }
    // A [batch, classes] float output is a classifier's logits: name the winning class of each row.
    if (o.tensor.type == ElementType::kFloat32 && o.tensor.shape.size() == 2 && o.tensor.shape[1] > 0) {
      const int64_t classes = o.tensor.shape[1];
      nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
      for (int64_t b = 0; b < o.tensor.shape[0]; ++b) {
        const float* row = o.tensor.floats.data() + b * classes;
        const int64_t best = std::max_element(row, row + classes) - row;
        const bool named = static_cast<size_t>(classes) == labels.size();
        predictions.push_back(named ? nlohmann::ordered_json(labels[static_cast<size_t>(best)])
                                    : nlohmann::ordered_json(best));
      }
      item["argmax"] = predictions;
    }
    j.push_back(item);
  }
  if (options.json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& item : j) {
    out << item["name"].get<std::string>() << " " << item["shape"].dump() << ": " << item["values"].dump() << "\n";
    if (item.contains("argmax")) out << "  argmax: " << item["argmax"].dump() << "\n";
  }
  return 0;
}

}  // namespace qc::tools
