// The C API (qcompress/qcompress.h): versions, errors, models and sessions over the C++ API. Results are in
// c_api_result.cc. Every entry point that can fail runs under capi::Guard, so no exception crosses the boundary.
#include <cstddef>
#include <cstring>
#include <string_view>

#include "api/c_api_internal.h"
#include "core/version.h"

// The header's version macros are what applications compile against; they must describe this library.
static_assert(QC_VERSION_MAJOR == qc::kRuntimeVersionMajor && QC_VERSION_MINOR == qc::kRuntimeVersionMinor &&
                  QC_VERSION_PATCH == qc::kRuntimeVersionPatch,
              "qcompress.h QC_VERSION_* disagree with core/version.h: update both");
static_assert(std::string_view(QC_VERSION_STRING) == std::string_view(qc::kRuntimeVersionString),
              "qcompress.h QC_VERSION_STRING disagrees with core/version.h");

#define QC_SAME_CODE(c, k) static_assert(static_cast<int>(c) == static_cast<int>(qc::StatusCode::k), #c)
QC_SAME_CODE(QC_OK, kOk);
QC_SAME_CODE(QC_INVALID_ARGUMENT, kInvalidArgument);
QC_SAME_CODE(QC_NOT_FOUND, kNotFound);
QC_SAME_CODE(QC_IO_ERROR, kIoError);
QC_SAME_CODE(QC_CORRUPT_DATA, kCorruptData);
QC_SAME_CODE(QC_UNSUPPORTED, kUnsupported);
QC_SAME_CODE(QC_VERSION_TOO_NEW, kVersionTooNew);
QC_SAME_CODE(QC_OUT_OF_RANGE, kOutOfRange);
QC_SAME_CODE(QC_FAILED_PRECONDITION, kFailedPrecondition);
QC_SAME_CODE(QC_CANCELLED, kCancelled);
QC_SAME_CODE(QC_INTERNAL, kInternal);
#undef QC_SAME_CODE
static_assert(static_cast<int>(QC_FLOAT32) == static_cast<int>(qc::ElementType::kFloat32) &&
              static_cast<int>(QC_INT64) == static_cast<int>(qc::ElementType::kInt64) &&
              static_cast<int>(QC_INT32) == static_cast<int>(qc::ElementType::kInt32));

namespace qc::capi {
namespace {

thread_local std::string t_last_error;

// Options structs carry their size so that later versions can append fields. `min_size` is the size of the
// struct's first released version (the default: the whole struct): an application built against an older header
// passes a smaller struct_size, and the fields past it keep their defaults (HasField). Anything smaller is refused.
template <typename Options>
Status CheckOptionsSize(const Options* options, const char* function, const char* macro,
                        size_t min_size = sizeof(Options)) {
  if (options->struct_size < min_size) {
    return InvalidArgument(std::string(function) + ": options.struct_size is " + std::to_string(options->struct_size) +
                           ", expected at least " + std::to_string(min_size) + " (initialize with " + macro + ")");
  }
  return Status::Ok();
}

// True when the caller's struct (of options->struct_size bytes) contains the field at [offset, offset + size).
template <typename Options>
bool HasField(const Options* options, size_t offset, size_t size) {
  return options->struct_size >= offset + size;
}

Expected<LoadOptions> ToLoadOptions(const qc_model_options* options, const char* function) {
  LoadOptions o;
  if (options == nullptr) return o;
  QC_RETURN_IF_ERROR(CheckOptionsSize(options, function, "QC_MODEL_OPTIONS_INIT"));
  o.verify_tensor_checksums = options->verify_tensor_checksums != 0;
  return o;
}

Status StoreModel(Expected<std::shared_ptr<const Model>> loaded, qc_model** model) {
  if (!loaded.ok()) return loaded.status();
  *model = new qc_model{std::move(loaded).value()};
  return Status::Ok();
}

Status CheckSessionCall(const char* function, qc_session* session, qc_result** result) {
  if (result == nullptr) return NullArgument(function, "result");
  *result = nullptr;
  if (session == nullptr) return NullArgument(function, "session");
  return Status::Ok();
}

Status CheckTexts(const char* function, const char* name, const char* const* texts, size_t count) {
  if (count == 0) return InvalidArgument(std::string(function) + ": no texts given (count is 0)");
  if (texts == nullptr) return NullArgument(function, name);
  for (size_t i = 0; i < count; ++i) {
    if (texts[i] == nullptr) {
      return InvalidArgument(std::string(function) + ": " + name + "[" + std::to_string(i) + "] is NULL");
    }
  }
  return Status::Ok();
}

// Tokenizes, runs, and keeps the attention mask for pooling embeddings.
Status RunTokenized(qc_session* session, const std::vector<std::string>& texts, const std::vector<std::string>& pairs,
                    qc_result** result) {
  QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> inputs, session->session.Tokenize(texts, pairs));
  QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, session->session.Run(inputs));
  const HostTensor* mask = nullptr;
  for (const NamedTensor& in : inputs) {
    if (in.name == "attention_mask") mask = &in.tensor;
  }
  *result = MakeResult(session->model, std::move(outputs), mask).release();
  return Status::Ok();
}

}  // namespace

qc_status Report(const Status& status) {
  if (status.ok()) {
    t_last_error.clear();
  } else {
    t_last_error = status.ToString();
  }
  return static_cast<qc_status>(status.code());
}

}  // namespace qc::capi

using qc::capi::Guard;
using qc::capi::NullArgument;

extern "C" {

const char* qc_version(void) { return QC_VERSION_STRING; }

uint32_t qc_abi_version(void) { return QC_ABI_VERSION; }

qc_status qc_check_abi(uint32_t abi_version) {
  return Guard("qc_check_abi", [&]() -> qc::Status {
    if (abi_version == QC_ABI_VERSION) return qc::Status::Ok();
    return qc::FailedPrecondition("the application was built for qcompress ABI " + std::to_string(abi_version) +
                                  ", the loaded library (" + QC_VERSION_STRING + ") implements ABI " +
                                  std::to_string(QC_ABI_VERSION));
  });
}

const char* qc_status_name(int status) {
  if (status < QC_OK || status > QC_INTERNAL) return "unknown";
  // StatusCodeName returns views of string literals, so data() is NUL-terminated.
  return qc::StatusCodeName(static_cast<qc::StatusCode>(status)).data();
}

const char* qc_last_error(void) { return qc::capi::t_last_error.c_str(); }

qc_status qc_model_load(const char* path, const qc_model_options* options, qc_model** model) {
  return Guard("qc_model_load", [&]() -> qc::Status {
    if (model == nullptr) return NullArgument("qc_model_load", "model");
    *model = nullptr;
    if (path == nullptr) return NullArgument("qc_model_load", "path");
    QC_ASSIGN_OR_RETURN(qc::LoadOptions o, qc::capi::ToLoadOptions(options, "qc_model_load"));
    return qc::capi::StoreModel(qc::Model::Load(path, o), model);
  });
}

qc_status qc_model_load_from_memory(const void* data, size_t size, const char* name, const qc_model_options* options,
                                    qc_model** model) {
  return Guard("qc_model_load_from_memory", [&]() -> qc::Status {
    if (model == nullptr) return NullArgument("qc_model_load_from_memory", "model");
    *model = nullptr;
    if (data == nullptr) return NullArgument("qc_model_load_from_memory", "data");
    QC_ASSIGN_OR_RETURN(qc::LoadOptions o, qc::capi::ToLoadOptions(options, "qc_model_load_from_memory"));
    return qc::capi::StoreModel(qc::Model::LoadFromMemory(data, size, name ? name : "<memory>", o), model);
  });
}

void qc_model_destroy(qc_model* model) { delete model; }

size_t qc_model_input_count(const qc_model* model) { return model ? model->model->inputs().size() : 0; }

const char* qc_model_input_name(const qc_model* model, size_t index) {
  if (model == nullptr || index >= model->model->inputs().size()) return nullptr;
  return model->model->inputs()[index].name.c_str();
}

size_t qc_model_output_count(const qc_model* model) { return model ? model->model->outputs().size() : 0; }

const char* qc_model_output_name(const qc_model* model, size_t index) {
  if (model == nullptr || index >= model->model->outputs().size()) return nullptr;
  return model->model->outputs()[index].name.c_str();
}

int qc_model_has_tokenizer(const qc_model* model) { return model && model->model->tokenizer() ? 1 : 0; }

size_t qc_model_label_count(const qc_model* model) { return model ? model->model->label_names().size() : 0; }

const char* qc_model_label_name(const qc_model* model, size_t index) {
  if (model == nullptr || index >= model->model->label_names().size()) return nullptr;
  return model->model->label_names()[index].c_str();
}

qc_status qc_model_image_shape(const qc_model* model, size_t* channels, size_t* height, size_t* width) {
  return Guard("qc_model_image_shape", [&]() -> qc::Status {
    if (model == nullptr) return NullArgument("qc_model_image_shape", "model");
    QC_ASSIGN_OR_RETURN(qc::ImageSpec spec, model->model->image_spec());
    if (channels) *channels = static_cast<size_t>(spec.channels);
    if (height) *height = static_cast<size_t>(spec.height);
    if (width) *width = static_cast<size_t>(spec.width);
    return qc::Status::Ok();
  });
}

qc_status qc_session_create(const qc_model* model, const qc_session_options* options, qc_session** session) {
  return Guard("qc_session_create", [&]() -> qc::Status {
    if (session == nullptr) return NullArgument("qc_session_create", "session");
    *session = nullptr;
    if (model == nullptr) return NullArgument("qc_session_create", "model");
    qc::SessionOptions o;
    if (options != nullptr) {
      QC_RETURN_IF_ERROR(qc::capi::CheckOptionsSize(options, "qc_session_create", "QC_SESSION_OPTIONS_INIT",
                                                    offsetof(qc_session_options, num_threads)));
      o.max_length = options->max_length;
      o.pad_to_length = options->pad_to_length;
      if (qc::capi::HasField(options, offsetof(qc_session_options, num_threads), sizeof(options->num_threads))) {
        o.num_threads = options->num_threads;
      }
    }
    QC_ASSIGN_OR_RETURN(qc::Session s, qc::Session::Create(model->model, o));
    *session = new qc_session{model->model, std::move(s)};
    return qc::Status::Ok();
  });
}

void qc_session_destroy(qc_session* session) { delete session; }

qc_status qc_session_run_text(qc_session* session, const char* const* texts, size_t count, qc_result** result) {
  constexpr const char* kFn = "qc_session_run_text";
  return Guard(kFn, [&]() -> qc::Status {
    QC_RETURN_IF_ERROR(qc::capi::CheckSessionCall(kFn, session, result));
    QC_RETURN_IF_ERROR(qc::capi::CheckTexts(kFn, "texts", texts, count));
    return qc::capi::RunTokenized(session, std::vector<std::string>(texts, texts + count), {}, result);
  });
}

qc_status qc_session_run_text_pairs(qc_session* session, const char* const* first, const char* const* second,
                                    size_t count, qc_result** result) {
  constexpr const char* kFn = "qc_session_run_text_pairs";
  return Guard(kFn, [&]() -> qc::Status {
    QC_RETURN_IF_ERROR(qc::capi::CheckSessionCall(kFn, session, result));
    QC_RETURN_IF_ERROR(qc::capi::CheckTexts(kFn, "first", first, count));
    QC_RETURN_IF_ERROR(qc::capi::CheckTexts(kFn, "second", second, count));
    return qc::capi::RunTokenized(session, std::vector<std::string>(first, first + count),
                                  std::vector<std::string>(second, second + count), result);
  });
}

qc_status qc_session_run_ids(qc_session* session, const int64_t* ids, const int64_t* attention_mask, size_t batch,
                             size_t length, qc_result** result) {
  constexpr const char* kFn = "qc_session_run_ids";
  return Guard(kFn, [&]() -> qc::Status {
    QC_RETURN_IF_ERROR(qc::capi::CheckSessionCall(kFn, session, result));
    if (ids == nullptr) return NullArgument(kFn, "ids");
    if (batch == 0 || length == 0) return qc::InvalidArgument(std::string(kFn) + ": batch and length must be > 0");
    const size_t n = batch * length;
    const std::vector<int64_t> shape = {static_cast<int64_t>(batch), static_cast<int64_t>(length)};
    qc::HostTensor mask = qc::HostTensor::Int64(
        shape, attention_mask ? std::vector<int64_t>(attention_mask, attention_mask + n) : std::vector<int64_t>(n, 1));
    std::vector<qc::NamedTensor> inputs;
    for (const qc::ValueSignature& sig : session->model->inputs()) {
      if (sig.name == "input_ids") {
        inputs.push_back({sig.name, qc::HostTensor::Int64(shape, std::vector<int64_t>(ids, ids + n))});
      } else if (sig.name == "attention_mask") {
        inputs.push_back({sig.name, mask});
      } else if (sig.name == "token_type_ids") {
        inputs.push_back({sig.name, qc::HostTensor::Int64(shape, std::vector<int64_t>(n, 0))});
      } else {
        return qc::Unsupported(std::string(kFn) + ": " + session->model->path() + " takes input '" + sig.name +
                               "', which token ids do not fill; use qc_session_run");
      }
    }
    QC_ASSIGN_OR_RETURN(std::vector<qc::NamedTensor> outputs, session->session.Run(inputs));
    *result = qc::capi::MakeResult(session->model, std::move(outputs), &mask).release();
    return qc::Status::Ok();
  });
}

qc_status qc_session_run_images(qc_session* session, const float* pixels, size_t batch, size_t channels,
                                size_t height, size_t width, qc_result** result) {
  constexpr const char* kFn = "qc_session_run_images";
  return Guard(kFn, [&]() -> qc::Status {
    QC_RETURN_IF_ERROR(qc::capi::CheckSessionCall(kFn, session, result));
    if (pixels == nullptr) return NullArgument(kFn, "pixels");
    if (batch == 0) return qc::InvalidArgument(std::string(kFn) + ": batch must be > 0");
    const size_t n = batch * channels * height * width;
    qc::HostTensor images = qc::HostTensor::Float32(
        {static_cast<int64_t>(batch), static_cast<int64_t>(channels), static_cast<int64_t>(height),
         static_cast<int64_t>(width)},
        std::vector<float>(pixels, pixels + n));
    QC_ASSIGN_OR_RETURN(std::vector<qc::NamedTensor> outputs, session->session.RunImages(images));
    *result = qc::capi::MakeResult(session->model, std::move(outputs), nullptr).release();
    return qc::Status::Ok();
  });
}

qc_status qc_session_run(qc_session* session, const qc_input* inputs, size_t count, qc_result** result) {
  constexpr const char* kFn = "qc_session_run";
  return Guard(kFn, [&]() -> qc::Status {
    QC_RETURN_IF_ERROR(qc::capi::CheckSessionCall(kFn, session, result));
    if (inputs == nullptr && count > 0) return NullArgument(kFn, "inputs");
    std::vector<qc::NamedTensor> named;
    const qc::HostTensor* mask = nullptr;
    for (size_t i = 0; i < count; ++i) {
      const qc_input& in = inputs[i];
      const std::string where = std::string(kFn) + ": inputs[" + std::to_string(i) + "]";
      if (in.name == nullptr) return qc::InvalidArgument(where + ".name is NULL");
      if (in.shape == nullptr && in.rank > 0) return qc::InvalidArgument(where + " ('" + in.name + "'): shape is NULL");
      qc::NamedTensor t;
      t.name = in.name;
      t.tensor.shape.assign(in.shape, in.shape + in.rank);
      size_t n = 1;
      for (int64_t d : t.tensor.shape) {
        if (d < 0) return qc::InvalidArgument(where + " ('" + in.name + "'): negative dimension");
        n *= static_cast<size_t>(d);
      }
      if (in.data == nullptr && n > 0) return qc::InvalidArgument(where + " ('" + in.name + "'): data is NULL");
      // C callers may store any integer in the enum field; read it as one (loading it as the enum would be UB).
      int dtype = 0;
      static_assert(sizeof(qc_dtype) == sizeof(int));
      std::memcpy(&dtype, &in.dtype, sizeof dtype);
      switch (dtype) {
        case QC_FLOAT32: {
          const float* p = static_cast<const float*>(in.data);
          t.tensor.type = qc::ElementType::kFloat32;
          t.tensor.floats.assign(p, p + n);
          break;
        }
        case QC_INT64: {
          const int64_t* p = static_cast<const int64_t*>(in.data);
          t.tensor.type = qc::ElementType::kInt64;
          t.tensor.ints.assign(p, p + n);
          break;
        }
        case QC_INT32: {
          const int32_t* p = static_cast<const int32_t*>(in.data);
          t.tensor.type = qc::ElementType::kInt32;
          t.tensor.ints.assign(p, p + n);
          break;
        }
        default:
          return qc::InvalidArgument(where + " ('" + in.name + "'): unknown dtype " + std::to_string(dtype));
      }
      named.push_back(std::move(t));
    }
    for (const qc::NamedTensor& t : named) {
      if (t.name == "attention_mask" && t.tensor.type != qc::ElementType::kFloat32) mask = &t.tensor;
    }
    QC_ASSIGN_OR_RETURN(std::vector<qc::NamedTensor> outputs, session->session.Run(named));
    *result = qc::capi::MakeResult(session->model, std::move(outputs), mask).release();
    return qc::Status::Ok();
  });
}

}  // extern "C"
