// qcrun inspect: what a .qm file holds, verified, without the source model.
#pragma once

#include <ostream>
#include <string>

namespace qc::tools {

struct InspectOptions {
  std::string path;
  bool json = false;
  bool list_ops = false;
};

/// Prints the report to `out`; errors to `err`. Returns the process exit code (0 ok, 1 bad input).
int RunInspect(const InspectOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
