// api/c_api_internal.h: what the C API's opaque handles hold, and the boundary that turns errors and exceptions
// into qc_status plus the per-thread message. Shared by c_api.cc (models, sessions) and c_api_result.cc.
#pragma once

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "qcompress/qcompress.h"
#include "qcompress/runtime.h"

struct qc_model {
  std::shared_ptr<const qc::Model> model;
};

struct qc_session {
  std::shared_ptr<const qc::Model> model;  // a reference of its own, so the qc_model may be destroyed first
  qc::Session session;
};

struct qc_result {
  std::shared_ptr<const qc::Model> model;
  std::vector<qc::NamedTensor> outputs;
  // Computed when the result is made (results are immutable, so readers on several threads need no lock); a model
  // without logits or embeddings keeps the reason, reported by the accessor.
  qc::Status predictions_status;
  std::vector<qc::Prediction> predictions;
  qc::Status embeddings_status;
  qc::HostTensor embeddings;
};

namespace qc::capi {

/// Records `status` as this thread's last error ("" when OK) and returns its code.
qc_status Report(const Status& status);

/// Runs `body` (returning qc::Status) so that nothing escapes: exceptions become QC_INTERNAL naming `function`.
template <typename Body>
qc_status Guard(const char* function, Body&& body) {
  try {
    return Report(body());
  } catch (const std::bad_alloc&) {
    return Report(Internal(std::string(function) + ": out of memory"));
  } catch (const std::exception& e) {
    return Report(Internal(std::string(function) + ": unexpected exception: " + e.what()));
  } catch (...) {
    return Report(Internal(std::string(function) + ": unexpected exception"));
  }
}

/// kInvalidArgument "<function>: <what> is NULL".
inline Status NullArgument(const char* function, const char* what) {
  return InvalidArgument(std::string(function) + ": " + what + " is NULL");
}

/// A result for `outputs`; `attention_mask` (may be null) pools sequence outputs into embeddings.
std::unique_ptr<qc_result> MakeResult(std::shared_ptr<const Model> model, std::vector<NamedTensor> outputs,
                                      const HostTensor* attention_mask);

}  // namespace qc::capi
