#include "qcompress/model_eval.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "qcompress/runtime.h"

namespace qc::tools {

std::string TempQmPath(const std::string& output_path, const std::string& tag) {
  namespace fs = std::filesystem;
  return (fs::temp_directory_path() /
          (fs::path(output_path).filename().string() + "." + tag + "." + std::to_string(getpid()) + ".qm"))
      .string();
}

Expected<std::vector<NamedTensor>> BatchInputsFor(const Model& model, const qat::PaddedBatch& b,
                                                  const std::string& what) {
  std::vector<NamedTensor> inputs;
  for (const ValueSignature& in : model.inputs()) {
    if (in.name == "pixel_values") {
      if (b.image_shape.size() != 3) return InvalidArgument(what + ": the model takes images, the data holds text");
      inputs.push_back({in.name, HostTensor::Float32({b.batch, b.image_shape[0], b.image_shape[1], b.image_shape[2]},
                                                     b.pixels)});
      continue;
    }
    const std::vector<int64_t>* src = in.name == "input_ids"        ? &b.ids
                                      : in.name == "attention_mask" ? &b.mask
                                      : in.name == "token_type_ids" ? &b.type_ids
                                                                    : nullptr;
    if (src == nullptr || src->empty()) {
      return Unsupported(what + ": input '" + in.name +
                         "' is not one the data provides (input_ids, attention_mask, token_type_ids, pixel_values)");
    }
    inputs.push_back({in.name, HostTensor::Int64({b.batch, b.length}, *src)});
  }
  return inputs;
}

Expected<qat::LogitRows> RunQmOnExamples(const std::string& qm_path, const std::vector<qat::EncodedExample>& examples,
                                         int64_t pad_id, int64_t pad_type_id, int threads, size_t batch_size) {
  QC_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::Load(qm_path));
  SessionOptions session_options;
  session_options.num_threads = std::max(1, threads);  // the runtime's results do not depend on it
  QC_ASSIGN_OR_RETURN(Session session, Session::Create(model, session_options));
  qat::LogitRows rows;
  for (const std::vector<size_t>& batch_rows : qat::SequentialBatches(examples.size(), batch_size)) {
    const qat::PaddedBatch b = qat::PadBatch(examples, batch_rows, pad_id, pad_type_id);
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> inputs, BatchInputsFor(*model, b, qm_path));
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, session.Run(inputs));
    QC_ASSIGN_OR_RETURN(const NamedTensor* logits, FindLogits(*model, outputs));
    const HostTensor& t = logits->tensor;
    if (t.shape.size() != 2 || t.shape[0] != b.batch) {
      return InvalidArgument(qm_path + ": output '" + logits->name + "' is not [batch, classes]");
    }
    rows.classes = static_cast<size_t>(t.shape[1]);
    rows.values.insert(rows.values.end(), t.floats.begin(), t.floats.end());
  }
  return rows;
}

}  // namespace qc::tools
