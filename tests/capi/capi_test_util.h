// Shared by the C API tests: where the fixture models are, owning wrappers for the C handles, and the C helpers of
// c_api_c.c.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "qcompress/qcompress.h"

namespace qc::capi_test {

/// A model compressed by the capi_make_models fixture (tests/capi/make_models.cmake).
inline std::string ModelPath(const std::string& name) {
  const char* dir = std::getenv("QC_CAPI_MODELS");
  return std::string(dir != nullptr ? dir : "models") + "/" + name + ".qm";
}

struct ModelDeleter {
  void operator()(qc_model* m) const { qc_model_destroy(m); }
};
struct SessionDeleter {
  void operator()(qc_session* s) const { qc_session_destroy(s); }
};
struct ResultDeleter {
  void operator()(qc_result* r) const { qc_result_destroy(r); }
};
using ModelPtr = std::unique_ptr<qc_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<qc_session, SessionDeleter>;
using ResultPtr = std::unique_ptr<qc_result, ResultDeleter>;

}  // namespace qc::capi_test

extern "C" {
int qc_c_classify(const char* path, const char* const* texts, size_t count, int64_t* labels, float* scores,
                  char* names, size_t name_size, char* message, size_t message_size);
int qc_c_header_sketch(const char* path, char* out, size_t out_size);
}
