// BertAdam / AdamW (qat/bert_adam.h), following pytorch_pretrained_bert's optimization.py step for step.
#include "qat/bert_adam.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "qat/torch_guard.h"

namespace qc::qat {

double WarmupLinear(double x, double warmup) {
  if (x < warmup) return x / warmup;
  return std::max((x - 1.0) / (warmup - 1.0), 0.0);
}

BertAdam::BertAdam(std::vector<torch::Tensor> params, const BertAdamOptions& options, std::vector<double> lr_scales)
    : params_(std::move(params)), options_(options), lr_scales_(std::move(lr_scales)) {
  lr_scales_.resize(params_.size(), 1.0);
  for (const torch::Tensor& p : params_) {
    m_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous).detach());
    v_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous).detach());
  }
}

double BertAdam::CurrentLr() const {
  if (options_.t_total <= 0) return options_.lr;
  return options_.lr * WarmupLinear(static_cast<double>(step_) / static_cast<double>(options_.t_total),
                                    options_.warmup);
}

void BertAdam::Step() {
  torch::NoGradGuard no_grad;
  const double lr = CurrentLr();
  const double b1 = options_.beta1, b2 = options_.beta2;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad();
    if (options_.max_grad_norm > 0.0) {
      const double norm = g.norm(2).item<double>();
      const double coef = options_.max_grad_norm / (norm + 1e-6);
      if (coef < 1.0) g = g * coef;
    }
    m_[i].mul_(b1).add_(g, 1.0 - b1);
    v_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    torch::Tensor update;
    if (options_.kind == OptimizerKind::kBertAdam) {
      update = m_[i] / (v_[i].sqrt() + options_.eps);
    } else {
      const double t = static_cast<double>(step_ + 1);
      const double c1 = 1.0 - std::pow(b1, t), c2 = 1.0 - std::pow(b2, t);
      update = (m_[i] / c1) / ((v_[i] / c2).sqrt() + options_.eps);
    }
    const double wd = p.dim() <= 1 ? 0.0 : options_.weight_decay;
    if (wd > 0.0) update = update + wd * p;
    p.add_(update, -lr * lr_scales_[i]);
  }
  ++step_;
}

void BertAdam::ZeroGrad() {
  for (torch::Tensor& p : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

void BertAdam::Save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
  archive.write(prefix + ".step", torch::tensor({step_}, torch::kLong));
  for (size_t i = 0; i < params_.size(); ++i) {
    archive.write(prefix + ".m" + std::to_string(i), m_[i]);
    archive.write(prefix + ".v" + std::to_string(i), v_[i]);
  }
}

Status BertAdam::Load(torch::serialize::InputArchive& archive, const std::string& prefix) {
  return RunTorchGuarded("loading optimizer state '" + prefix + "'", [&]() -> Status {
    torch::Tensor step;
    archive.read(prefix + ".step", step);
    for (size_t i = 0; i < params_.size(); ++i) {
      torch::Tensor m, v;
      archive.read(prefix + ".m" + std::to_string(i), m);
      archive.read(prefix + ".v" + std::to_string(i), v);
      if (m.sizes() != m_[i].sizes() || v.sizes() != v_[i].sizes()) {
        return InvalidArgument("optimizer state '" + prefix + "': parameter " + std::to_string(i) +
                               " has a different shape");
      }
      m_[i].copy_(m);
      v_[i].copy_(v);
    }
    step_ = step.item<int64_t>();
    return Status::Ok();
  });
}

}  // namespace qc::qat
