// Per-layer error of the compressed model against the float one on the eval data (the report's SQNR and cosine
// columns): both graphs get every reported layer's output as an extra graph output, both run through the runtime on
// the same token ids, and each layer's outputs are compared over the real (unpadded) tokens.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qcompress/task_data.h"
#include "report/error_metrics.h"

namespace qc::tools {

/// Error statistics by layer (node) name, for the names found in both graphs. A compressed layer whose op absorbed
/// the following GELU (QLinear epilogue) is compared with the float model's GELU output. At most `max_examples`
/// eval examples are used.
Expected<std::map<std::string, report::ErrorStats>> MeasureLayerErrors(const ir::Graph& reference,
                                                                       const ir::Graph& compressed,
                                                                       const std::vector<std::string>& layers,
                                                                       const TaskData& task,
                                                                       const std::string& output_path,
                                                                       int threads = 1, size_t max_examples = 256);

}  // namespace qc::tools
