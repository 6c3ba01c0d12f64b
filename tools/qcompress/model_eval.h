// Runs a written .qm through the runtime on the --eval examples (the token ids training used), so the report's
// metrics are those of the artifact users deploy, not of a simulation.
#pragma once

#include <string>
#include <vector>

#include "qat/data/glue_data.h"
#include "qat/data/metrics.h"
#include "qcompress/status.h"

namespace qc::tools {

/// The model's logits (FindLogits) for every example, in order; batches of `batch_size` padded to their longest.
Expected<qat::LogitRows> RunQmOnExamples(const std::string& qm_path, const std::vector<qat::EncodedExample>& examples,
                                         int64_t pad_id, int64_t pad_type_id, size_t batch_size = 32);

}  // namespace qc::tools
