// Runs a written .qm through the runtime on the --eval examples (the token ids training used), so the report's
// metrics are those of the artifact users deploy, not of a simulation.
#pragma once

#include <string>
#include <vector>

#include "qat/data/glue_data.h"
#include "qat/data/metrics.h"
#include "qcompress/status.h"

namespace qc {
class Model;
struct NamedTensor;
}  // namespace qc

namespace qc::tools {

/// A per-process temporary .qm path in the system temp dir, named after the output and a tag ("teacher", ...).
std::string TempQmPath(const std::string& output_path, const std::string& tag);

/// The runtime inputs the model declares (input_ids / attention_mask / token_type_ids, or pixel_values) for a batch.
Expected<std::vector<NamedTensor>> BatchInputsFor(const Model& model, const qat::PaddedBatch& batch,
                                                  const std::string& what);

/// The model's logits (FindLogits) for every example, in order; batches of `batch_size` padded to their longest.
Expected<qat::LogitRows> RunQmOnExamples(const std::string& qm_path, const std::vector<qat::EncodedExample>& examples,
                                         int64_t pad_id, int64_t pad_type_id, int threads = 1,
                                         size_t batch_size = 32);

}  // namespace qc::tools
