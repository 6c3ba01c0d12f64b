// WriteBackWeights: trained parameters -> the graph's constants (new owned f32 tensors), matched by IR value name.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/rewriter.h"
#include "qat/torch_guard.h"
#include "qat/torch_model.h"

namespace qc::qat {

Status WriteBackWeights(const TorchModel& model, ir::Graph& graph) {
  std::unordered_map<std::string, ir::ValueId> by_name;
  for (ir::ValueId v = 0; v < graph.num_values(); ++v) {
    if (!graph.value(v).name.empty()) by_name.emplace(graph.value(v).name, v);
  }
  const std::vector<ParameterInfo>& info = model.parameter_info();
  const std::vector<torch::Tensor> parameters = model.parameters();
  std::vector<std::pair<ir::ValueId, ir::Tensor>> updates;
  updates.reserve(info.size());

  // Everything is checked and copied before the graph changes, so an error leaves it untouched.
  QC_RETURN_IF_ERROR(RunTorchGuarded("WriteBackWeights", [&]() -> Status {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < info.size(); ++i) {
      const std::string where = "WriteBackWeights: parameter for constant '" + info[i].ir_name + "'";
      const auto it = by_name.find(info[i].ir_name);
      if (it == by_name.end()) return NotFound(where + ": the graph has no value of that name");
      const ir::Value& value = graph.value(it->second);
      if (!value.constant || value.dtype != ir::DType::kF32) {
        return FailedPrecondition(where + ": the graph's value is not an f32 constant");
      }
      const torch::Tensor p = parameters[i].detach().to(torch::kCPU, torch::kFloat).contiguous();
      const std::vector<int64_t> dims(p.sizes().begin(), p.sizes().end());
      if (dims != value.constant->dims()) {
        return FailedPrecondition(where + ": the graph's constant is " + value.constant->TypeString() +
                                  ", the parameter is " + ir::ToString(ir::ShapeFromDims(dims)));
      }
      std::vector<float> data(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
      QC_ASSIGN_OR_RETURN(ir::Tensor tensor, ir::Tensor::FromVector<float>(dims, std::move(data)));
      updates.emplace_back(it->second, std::move(tensor));
    }
    return Status::Ok();
  }));

  ir::Rewriter rewriter(graph);
  for (auto& [value, tensor] : updates) {
    // Same dtype and dims were checked above, so SetConstant cannot refuse; report it if it does.
    QC_RETURN_IF_ERROR(rewriter.SetConstant(value, std::move(tensor)).WithContext("WriteBackWeights"));
  }
  return Status::Ok();
}

}  // namespace qc::qat
