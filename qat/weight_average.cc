// Running average of the trained tensors (qat/weight_average.h).
#include "qat/weight_average.h"

#include <algorithm>

namespace qc::qat {

void WeightAverage::Reset(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  average_.clear();
  for (const torch::Tensor& p : params) average_.push_back(p.detach().clone());
  updates_ = 0;
}

double WeightAverage::NextDecay() const {
  const auto n = static_cast<double>(updates_);
  if (uniform_) return n / (n + 1.0);
  return std::min(decay_, (1.0 + n) / (10.0 + n));
}

void WeightAverage::Update(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  const double d = NextDecay();
  for (size_t i = 0; i < params.size() && i < average_.size(); ++i) {
    average_[i].mul_(d).add_(params[i].detach(), 1.0 - d);
  }
  ++updates_;
}

void WeightAverage::Exchange(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size() && i < average_.size(); ++i) {
    torch::Tensor raw = params[i].detach().clone();
    params[i].detach().copy_(average_[i]);
    average_[i] = raw;
  }
}

void WeightAverage::Save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
  for (size_t i = 0; i < average_.size(); ++i) archive.write(prefix + "." + std::to_string(i), average_[i]);
  archive.write(prefix + ".updates", torch::tensor({updates_}, torch::kLong));
}

Status WeightAverage::Load(torch::serialize::InputArchive& archive, const std::string& prefix) {
  torch::Tensor updates;
  if (!archive.try_read(prefix + ".updates", updates)) return InvalidArgument("no weight average ('" + prefix + "')");
  for (size_t i = 0; i < average_.size(); ++i) {
    torch::Tensor t;
    const std::string key = prefix + "." + std::to_string(i);
    if (!archive.try_read(key, t)) return InvalidArgument("weight average: no tensor '" + key + "'");
    if (t.sizes() != average_[i].sizes()) return InvalidArgument("weight average: '" + key + "' has another shape");
    average_[i] = t.clone();
  }
  updates_ = updates[0].item<int64_t>();
  return Status::Ok();
}

}  // namespace qc::qat
