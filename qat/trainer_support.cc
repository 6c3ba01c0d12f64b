// Batch tensors, evaluation and checkpoints for the trainer (qat/trainer_support.h).
#include "qat/trainer_support.h"

#include <algorithm>

#include "ir/atomic_file.h"
#include "qat/shard_runner.h"
#include "qat/torch_guard.h"

namespace qc::qat {

torch::Tensor BatchMask(const PaddedBatch& b) {
  if (b.mask.empty()) return {};  // images: every token counts
  return torch::tensor(b.mask, torch::kLong).reshape({b.batch, b.length});
}

Expected<std::map<std::string, torch::Tensor>> BatchInputs(const TorchModel& model, const PaddedBatch& b) {
  std::map<std::string, torch::Tensor> inputs;
  for (const std::string& name : model.input_names()) {
    if (name == "pixel_values") {
      if (b.image_shape.size() != 3) return InvalidArgument("trainer: the model takes images, the data holds text");
      inputs[name] = torch::tensor(b.pixels, torch::kFloat)
                         .reshape({b.batch, b.image_shape[0], b.image_shape[1], b.image_shape[2]});
      continue;
    }
    const std::vector<int64_t>* src = name == "input_ids"        ? &b.ids
                                      : name == "attention_mask" ? &b.mask
                                      : name == "token_type_ids" ? &b.type_ids
                                                                 : nullptr;
    if (src == nullptr) {
      return Unsupported("trainer: graph input '" + name +
                         "' is not a text input (input_ids, attention_mask, token_type_ids)");
    }
    inputs[name] = torch::tensor(*src, torch::kLong).reshape({b.batch, b.length});
  }
  return inputs;
}

torch::Tensor BatchLabels(const PaddedBatch& b, TaskKind kind) {
  torch::Tensor t = torch::tensor(b.labels, torch::kDouble);
  return kind == TaskKind::kRegression ? t.to(torch::kFloat) : t.to(torch::kLong);
}

std::vector<PaddedBatch> SplitBatch(const PaddedBatch& b, int parts) {
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(parts, b.batch));
  std::vector<PaddedBatch> out;
  int64_t begin = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t end = begin + (b.batch - begin) / (n - i);  // sizes differ by at most one, larger last
    PaddedBatch s;
    s.batch = end - begin;
    s.length = b.length;
    const auto from = static_cast<size_t>(begin * b.length), to = static_cast<size_t>(end * b.length);
    s.ids.assign(b.ids.begin() + from, b.ids.begin() + to);
    s.mask.assign(b.mask.begin() + from, b.mask.begin() + to);
    s.type_ids.assign(b.type_ids.begin() + from, b.type_ids.begin() + to);
    s.labels.assign(b.labels.begin() + begin, b.labels.begin() + end);
    if (!b.pixels.empty()) {
      const auto image = static_cast<size_t>(b.image_shape[0] * b.image_shape[1] * b.image_shape[2]);
      s.image_shape = b.image_shape;
      s.pixels.assign(b.pixels.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(begin) * image),
                      b.pixels.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(end) * image));
    }
    out.push_back(std::move(s));
    begin = end;
  }
  return out;
}

Expected<LogitRows> EvaluateLogits(const TorchModel& model, const std::vector<EncodedExample>& data,
                                   int64_t batch_size, int64_t pad_id, int64_t pad_type_id,
                                   const std::string& logits_output, int threads) {
  const auto batches = SequentialBatches(data.size(), static_cast<size_t>(batch_size));
  std::vector<LogitRows> parts(batches.size());
  const bool grad_was = torch::GradMode::is_enabled();
  torch::GradMode::set_enabled(false);
  Status s = RunShards(threads, static_cast<int>(batches.size()), [&](int i) -> Status {
    torch::NoGradGuard no_grad;
    const PaddedBatch b = PadBatch(data, batches[static_cast<size_t>(i)], pad_id, pad_type_id);
    QC_ASSIGN_OR_RETURN(auto inputs, BatchInputs(model, b));
    QC_ASSIGN_OR_RETURN(ForwardResult r, model.Forward(inputs));
    torch::Tensor logits = logits_output.empty() ? r.outputs.at(0) : r.Output(logits_output);
    if (!logits.defined()) return NotFound("evaluation: no output '" + logits_output + "'");
    logits = logits.reshape({b.batch, -1}).to(torch::kFloat).contiguous();
    LogitRows& part = parts[static_cast<size_t>(i)];
    part.classes = static_cast<size_t>(logits.size(1));
    const float* p = logits.data_ptr<float>();
    part.values.assign(p, p + logits.numel());
    return Status::Ok();
  });
  torch::GradMode::set_enabled(grad_was);
  if (!s.ok()) return s.WithContext("evaluation");
  LogitRows rows;
  for (LogitRows& part : parts) {
    rows.classes = part.classes;
    rows.values.insert(rows.values.end(), part.values.begin(), part.values.end());
  }
  return rows;
}

Expected<double> Evaluate(const TorchModel& model, const std::vector<EncodedExample>& data, TaskKind kind,
                          MetricKind metric, int64_t batch_size, int64_t pad_id, int64_t pad_type_id,
                          const std::string& logits_output, int threads) {
  (void)kind;
  QC_ASSIGN_OR_RETURN(LogitRows rows,
                      EvaluateLogits(model, data, batch_size, pad_id, pad_type_id, logits_output, threads));
  std::vector<double> targets;
  targets.reserve(data.size());
  for (const EncodedExample& e : data) targets.push_back(e.label);
  return MetricOfLogits(metric, rows, targets);
}

std::vector<torch::Tensor> Trainable(const TorchModel& model) {
  std::vector<torch::Tensor> all = model.parameters();
  for (const auto& [name, t] : model.quantizer_parameters()) all.push_back(t);
  return all;
}

namespace {

// The TrainerState part of a checkpoint archive (SaveCheckpoint's "state.*" entries).
void ReadState(torch::serialize::InputArchive& archive, TrainerState& state) {
  torch::Tensor step, best, curve;
  archive.read("state.step", step);
  archive.read("state.best_score", best);
  archive.read("state.curve", curve);
  state.step = step[0].item<int64_t>();
  state.best_step = step[1].item<int64_t>();
  state.best_score = best[0].item<double>();
  state.steps_since_eval = step[2].item<int64_t>();
  state.loss_since_eval = best[1].item<double>();
  c10::IValue settings;
  state.settings = archive.try_read("state.settings", settings) ? settings.toStringRef() : std::string();
  state.curve.clear();
  const double* c = curve.data_ptr<double>();
  for (int64_t i = 0; i + 2 < curve.numel(); i += 3) {
    state.curve.push_back(EvalPoint{static_cast<int64_t>(c[i]), c[i + 1], c[i + 2], std::nullopt});
  }
  torch::Tensor raw;  // present when the run averaged its weights: one per curve point
  if (archive.try_read("state.raw_scores", raw) && raw.numel() == static_cast<int64_t>(state.curve.size())) {
    for (size_t i = 0; i < state.curve.size(); ++i) {
      state.curve[i].raw_score = raw[static_cast<int64_t>(i)].item<double>();
    }
  }
}

}  // namespace

Status SaveCheckpoint(const std::string& path, const TorchModel& model, const BertAdam* optimizer,
                      const TrainerState& state, const WeightAverage* average) {
  return RunTorchGuarded("saving checkpoint " + path, [&]() -> Status {
    torch::serialize::OutputArchive archive;
    const auto params = model.parameters();
    const auto& info = model.parameter_info();
    for (size_t i = 0; i < params.size(); ++i) archive.write("param." + info[i].torch_name, params[i].detach());
    // By position: the recipe installs them in weight-site order (names are IR names, not archive keys).
    const auto& quantizer = model.quantizer_parameters();
    for (size_t i = 0; i < quantizer.size(); ++i) {
      archive.write("quantizer." + std::to_string(i), quantizer[i].second.detach());
    }
    if (optimizer != nullptr) optimizer->Save(archive, "optimizer");
    if (average != nullptr) average->Save(archive, "average");
    archive.write("state.step", torch::tensor({state.step, state.best_step, state.steps_since_eval}, torch::kLong));
    archive.write("state.best_score", torch::tensor({state.best_score, state.loss_since_eval}, torch::kDouble));
    std::vector<double> curve;
    for (const EvalPoint& p : state.curve) curve.insert(curve.end(), {static_cast<double>(p.step), p.score, p.loss});
    archive.write("state.curve", torch::tensor(curve, torch::kDouble));
    std::vector<double> raw;
    for (const EvalPoint& p : state.curve) {
      if (p.raw_score) raw.push_back(*p.raw_score);
    }
    if (!raw.empty() && raw.size() == state.curve.size()) {
      archive.write("state.raw_scores", torch::tensor(raw, torch::kDouble));
    }
    archive.write("state.settings", c10::IValue(state.settings));
    // Through AtomicFile (temp file, fsync, rename, fsync of the directory): a crash mid-save leaves the previous
    // checkpoint, never an empty or partial one under the final name.
    QC_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path));
    Status written = Status::Ok();
    const auto append = [&](const void* data, size_t size) -> size_t {
      if (written.ok()) written = file.Append(data, size);
      return written.ok() ? size : 0;  // a short count makes LibTorch stop writing
    };
    try {
      archive.save_to(append);
    } catch (const c10::Error&) {
      if (!written.ok()) return written;  // our I/O error, with its path and OS reason, not LibTorch's summary
      throw;
    }
    return file.Commit();
  });
}

Status LoadCheckpoint(const std::string& path, TorchModel& model, BertAdam* optimizer, TrainerState* state,
                      WeightAverage* average) {
  return RunTorchGuarded("loading checkpoint " + path, [&]() -> Status {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::NoGradGuard no_grad;
    auto params = model.parameters();
    const auto& info = model.parameter_info();
    for (size_t i = 0; i < params.size(); ++i) {
      torch::Tensor t;
      archive.read("param." + info[i].torch_name, t);
      if (t.sizes() != params[i].sizes()) {
        return InvalidArgument("checkpoint " + path + ": parameter '" + info[i].ir_name + "' has another shape");
      }
      params[i].copy_(t);
    }
    const auto& quantizer = model.quantizer_parameters();
    for (size_t i = 0; i < quantizer.size(); ++i) {
      torch::Tensor t;
      archive.read("quantizer." + std::to_string(i), t);
      if (t.sizes() != quantizer[i].second.sizes()) {
        return InvalidArgument("checkpoint " + path + ": quantizer parameter '" + quantizer[i].first +
                               "' has another shape");
      }
      torch::Tensor target = quantizer[i].second;
      target.copy_(t);
    }
    if (optimizer != nullptr) QC_RETURN_IF_ERROR(optimizer->Load(archive, "optimizer"));
    if (average != nullptr) {
      const Status s = average->Load(archive, "average");
      if (!s.ok()) return s.WithContext("checkpoint " + path);
    }
    if (state != nullptr) ReadState(archive, *state);
    return Status::Ok();
  });
}

Expected<TrainerState> ReadCheckpointState(const std::string& path) {
  TrainerState state;
  QC_RETURN_IF_ERROR(RunTorchGuarded("reading checkpoint " + path, [&]() -> Status {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    ReadState(archive, state);
    return Status::Ok();
  }));
  return state;
}

}  // namespace qc::qat
