// The C API's results (qcompress/qcompress.h): output tensors, labelled predictions and embeddings.
#include "api/c_api_internal.h"

namespace qc::capi {

std::unique_ptr<qc_result> MakeResult(std::shared_ptr<const Model> model, std::vector<NamedTensor> outputs,
                                      const HostTensor* attention_mask) {
  auto result = std::make_unique<qc_result>();
  result->model = std::move(model);
  result->outputs = std::move(outputs);
  auto predictions = Classify(*result->model, result->outputs);
  if (predictions.ok()) {
    result->predictions = std::move(predictions).value();
  } else {
    result->predictions_status = predictions.status();
  }
  auto embeddings = Embed(*result->model, result->outputs, attention_mask);
  if (embeddings.ok()) {
    result->embeddings = std::move(embeddings).value();
  } else {
    result->embeddings_status = embeddings.status();
  }
  return result;
}

namespace {

const HostTensor* Output(const qc_result* result, size_t index) {
  if (result == nullptr || index >= result->outputs.size()) return nullptr;
  return &result->outputs[index].tensor;
}

Status CheckRow(const char* function, const qc_result* result, size_t row, size_t rows) {
  if (row >= rows) {
    return OutOfRange(std::string(function) + ": row " + std::to_string(row) + " of a batch of " +
                      std::to_string(rows) + " (" + result->model->path() + ")");
  }
  return Status::Ok();
}

}  // namespace
}  // namespace qc::capi

using qc::capi::Guard;
using qc::capi::NullArgument;
using qc::capi::Output;

extern "C" {

void qc_result_destroy(qc_result* result) { delete result; }

size_t qc_result_output_count(const qc_result* result) { return result ? result->outputs.size() : 0; }

const char* qc_result_output_name(const qc_result* result, size_t index) {
  if (result == nullptr || index >= result->outputs.size()) return nullptr;
  return result->outputs[index].name.c_str();
}

qc_status qc_result_output_index(const qc_result* result, const char* name, size_t* index) {
  constexpr const char* kFn = "qc_result_output_index";
  return Guard(kFn, [&]() -> qc::Status {
    if (result == nullptr) return NullArgument(kFn, "result");
    if (name == nullptr) return NullArgument(kFn, "name");
    for (size_t i = 0; i < result->outputs.size(); ++i) {
      if (result->outputs[i].name == name) {
        if (index) *index = i;
        return qc::Status::Ok();
      }
    }
    return qc::NotFound(std::string(kFn) + ": " + result->model->path() + " has no output named '" + name + "'");
  });
}

qc_dtype qc_result_output_dtype(const qc_result* result, size_t index) {
  const qc::HostTensor* t = Output(result, index);
  if (t == nullptr) return static_cast<qc_dtype>(0);
  // Integer outputs are held (and handed out) as int64 whatever the graph's integer type.
  return t->type == qc::ElementType::kFloat32 ? QC_FLOAT32 : QC_INT64;
}

const int64_t* qc_result_output_shape(const qc_result* result, size_t index, size_t* rank) {
  const qc::HostTensor* t = Output(result, index);
  if (rank) *rank = t ? t->shape.size() : 0;
  return t ? t->shape.data() : nullptr;
}

const float* qc_result_output_floats(const qc_result* result, size_t index, size_t* count) {
  const qc::HostTensor* t = Output(result, index);
  const bool ok = t != nullptr && t->type == qc::ElementType::kFloat32;
  if (count) *count = ok ? t->floats.size() : 0;
  return ok ? t->floats.data() : nullptr;
}

const int64_t* qc_result_output_ints(const qc_result* result, size_t index, size_t* count) {
  const qc::HostTensor* t = Output(result, index);
  const bool ok = t != nullptr && t->type != qc::ElementType::kFloat32;
  if (count) *count = ok ? t->ints.size() : 0;
  return ok ? t->ints.data() : nullptr;
}

size_t qc_result_rows(const qc_result* result) {
  const qc::HostTensor* t = Output(result, 0);
  return t != nullptr && !t->shape.empty() ? static_cast<size_t>(t->shape[0]) : 0;
}

qc_status qc_result_label(const qc_result* result, size_t row, int64_t* label, const char** name, float* score) {
  constexpr const char* kFn = "qc_result_label";
  return Guard(kFn, [&]() -> qc::Status {
    if (result == nullptr) return NullArgument(kFn, "result");
    QC_RETURN_IF_ERROR(result->predictions_status);
    QC_RETURN_IF_ERROR(qc::capi::CheckRow(kFn, result, row, result->predictions.size()));
    const qc::Prediction& p = result->predictions[row];
    if (label) *label = p.label;
    if (name) *name = p.name.c_str();
    if (score) *score = p.score;
    return qc::Status::Ok();
  });
}

qc_status qc_result_probabilities(const qc_result* result, size_t row, const float** probabilities,
                                  size_t* classes) {
  constexpr const char* kFn = "qc_result_probabilities";
  return Guard(kFn, [&]() -> qc::Status {
    if (result == nullptr) return NullArgument(kFn, "result");
    if (probabilities == nullptr) return NullArgument(kFn, "probabilities");
    *probabilities = nullptr;
    QC_RETURN_IF_ERROR(result->predictions_status);
    QC_RETURN_IF_ERROR(qc::capi::CheckRow(kFn, result, row, result->predictions.size()));
    const qc::Prediction& p = result->predictions[row];
    *probabilities = p.probabilities.data();
    if (classes) *classes = p.probabilities.size();
    return qc::Status::Ok();
  });
}

qc_status qc_result_embedding(const qc_result* result, size_t row, const float** embedding, size_t* dim) {
  constexpr const char* kFn = "qc_result_embedding";
  return Guard(kFn, [&]() -> qc::Status {
    if (result == nullptr) return NullArgument(kFn, "result");
    if (embedding == nullptr) return NullArgument(kFn, "embedding");
    *embedding = nullptr;
    QC_RETURN_IF_ERROR(result->embeddings_status);
    const qc::HostTensor& e = result->embeddings;
    QC_RETURN_IF_ERROR(qc::capi::CheckRow(kFn, result, row, static_cast<size_t>(e.shape[0])));
    const size_t hidden = static_cast<size_t>(e.shape[1]);
    *embedding = e.floats.data() + row * hidden;
    if (dim) *dim = hidden;
    return qc::Status::Ok();
  });
}

}  // extern "C"
