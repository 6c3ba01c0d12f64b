// Teacher Intervention modes and schedules (qat/teacher_intervention.h; method.md §4.2-4.4).
#include "qat/teacher_intervention.h"

#include <string>

namespace qc::qat {

std::string_view TiModeName(TiMode mode) {
  switch (mode) {
    case TiMode::kNone: return "none";
    case TiMode::kOutput: return "output";
    case TiMode::kContext: return "context";
    case TiMode::kMap: return "map";
  }
  return "invalid";
}

std::string_view TiScheduleName(TiSchedule schedule) {
  switch (schedule) {
    case TiSchedule::kGradual: return "gradual";
    case TiSchedule::kInverted: return "inverted";
    case TiSchedule::kStochastic: return "stochastic";
    case TiSchedule::kOutput: return "output";
    case TiSchedule::kContext: return "context";
    case TiSchedule::kMap: return "map";
  }
  return "invalid";
}

Expected<TiSchedule> ParseTiSchedule(std::string_view text) {
  for (TiSchedule s : {TiSchedule::kGradual, TiSchedule::kInverted, TiSchedule::kStochastic, TiSchedule::kOutput,
                       TiSchedule::kContext, TiSchedule::kMap}) {
    if (text == TiScheduleName(s)) return s;
  }
  return InvalidArgument("unknown Teacher Intervention schedule '" + std::string(text) +
                         "' (gradual, inverted, stochastic, output, context, map)");
}

TiScheduler::TiScheduler(TiSchedule schedule, int64_t steps, uint64_t seed)
    : schedule_(schedule), steps_(steps), rng_(seed) {}

TiMode TiScheduler::ModeAt(int64_t step) {
  if (step < 0 || step >= steps_) return TiMode::kNone;
  switch (schedule_) {
    case TiSchedule::kGradual:
      return step < steps_ / 6 ? TiMode::kOutput : (step < steps_ / 3 ? TiMode::kContext : TiMode::kMap);
    case TiSchedule::kInverted:
      return step < steps_ / 3 ? TiMode::kMap : (step < 2 * steps_ / 3 ? TiMode::kContext : TiMode::kOutput);
    case TiSchedule::kStochastic: {
      // Not uniform_int_distribution: its algorithm is implementation-defined, this is reproducible everywhere.
      const uint64_t draw = rng_() % 3;
      return draw == 0 ? TiMode::kOutput : (draw == 1 ? TiMode::kContext : TiMode::kMap);
    }
    case TiSchedule::kOutput: return TiMode::kOutput;
    case TiSchedule::kContext: return TiMode::kContext;
    case TiSchedule::kMap: return TiMode::kMap;
  }
  return TiMode::kNone;
}

uint32_t TiTeacherTaps(TiMode mode) {
  switch (mode) {
    case TiMode::kOutput: return kTapAttentionDense;
    case TiMode::kContext: return kTapContext;
    case TiMode::kMap: return kTapProbs;
    case TiMode::kNone: break;
  }
  return kTapNone;
}

Expected<std::vector<LayerIntervention>> BuildInterventions(TiMode mode, const Taps& teacher_taps) {
  std::vector<LayerIntervention> out;
  if (mode == TiMode::kNone) return out;
  for (size_t l = 0; l < teacher_taps.layers.size(); ++l) {
    const LayerTaps& t = teacher_taps.layers[l];
    LayerIntervention iv;
    iv.detach_qk_input = true;
    iv.detach_v_input = mode != TiMode::kMap;  // MI keeps V trainable (method.md §4.2)
    const torch::Tensor& signal =
        mode == TiMode::kOutput ? t.attention_dense : (mode == TiMode::kContext ? t.context : t.probs);
    if (!signal.defined()) {
      return FailedPrecondition("Teacher Intervention (" + std::string(TiModeName(mode)) + "): teacher layer " +
                                std::to_string(l) + " has no recorded signal (request TiTeacherTaps)");
    }
    (mode == TiMode::kOutput ? iv.attention_dense : (mode == TiMode::kContext ? iv.context : iv.probs)) =
        signal.detach();
    out.push_back(std::move(iv));
  }
  if (out.empty()) return FailedPrecondition("Teacher Intervention: the teacher forward recorded no layers");
  return out;
}

Expected<TwoStepPlan> MakeTwoStepPlan(int64_t total_steps, int64_t ti_steps) {
  if (ti_steps <= 0 || ti_steps >= total_steps) {
    return InvalidArgument("two-step Teacher Intervention: ti_steps " + std::to_string(ti_steps) +
                           " must be in (0, total steps " + std::to_string(total_steps) + ")");
  }
  return TwoStepPlan{ti_steps, total_steps - ti_steps};
}

}  // namespace qc::qat
