// qat/teacher_intervention.h: Teacher Intervention (TI, arXiv 2302.11812; method.md §4) on top of TorchModel's
// LayerIntervention machinery: modes with the reference code's stop-gradient points, schedules, and the two-step plan.
//
// Overview
//   Mode (per forward, all layers)     teacher signal substituted             detached in the student
//     kOutput  (OI, TI-O)              attention-output dense output          Q, K and V Linear inputs
//     kContext (CI)                    context P·V (heads merged)             Q, K and V Linear inputs
//     kMap     (MI, TI-M)              attention probabilities P              Q and K Linear inputs (not V)
//   Schedules over the s step-1 steps (global step t): gradual [0, s/6) OI, [s/6, s/3) CI, [s/3, s) MI; inverted
//   thirds MI, CI, OI; stochastic one mode drawn uniformly per step from a seeded generator; or one mode throughout.
//   From t >= s no intervention. Integer division: s = 60 -> OI 0-9, CI 10-19, MI 20-59.
//   Two-step protocol (§4.4): step 1 runs s steps with TI and its own BertAdam (t_total = s); step 2 starts a fresh
//   optimizer for N − s steps (t_total = N − s) without TI, so the budget equals a plain QAT run of N steps.
//
// Usage
//   qc::qat::TiScheduler schedule(qc::qat::TiSchedule::kGradual, 60, /*seed=*/1);
//   qc::qat::TiMode mode = schedule.ModeAt(step);
//   options.taps = loss_taps | qc::qat::TiTeacherTaps(mode);     // teacher forward under torch::NoGradGuard
//   QC_ASSIGN_OR_RETURN(student_options.interventions, qc::qat::BuildInterventions(mode, teacher_result.taps));
#pragma once

#include <random>
#include <string_view>
#include <vector>

#include "qat/torch_model.h"

namespace qc::qat {

enum class TiMode : uint8_t { kNone, kOutput, kContext, kMap };
enum class TiSchedule : uint8_t { kGradual, kInverted, kStochastic, kOutput, kContext, kMap };

/// "none", "output", "context", "map" / "gradual", "inverted", "stochastic", "output", "context", "map".
std::string_view TiModeName(TiMode mode);
std::string_view TiScheduleName(TiSchedule schedule);
Expected<TiSchedule> ParseTiSchedule(std::string_view text);

class TiScheduler {
 public:
  /// `steps` = s (> 0), the length of step 1.
  TiScheduler(TiSchedule schedule, int64_t steps, uint64_t seed);
  /// The mode of global step `step`; stochastic draws advance the generator, so call once per step in order.
  TiMode ModeAt(int64_t step);
  int64_t steps() const { return steps_; }

 private:
  TiSchedule schedule_;
  int64_t steps_;
  std::mt19937_64 rng_;
};

/// The teacher taps a mode substitutes from (kTapNone for kNone).
uint32_t TiTeacherTaps(TiMode mode);

/// One LayerIntervention per teacher layer for `mode` (empty for kNone). The teacher taps must hold the signal and
/// should come from a no-grad forward; errors name the missing tap and layer.
Expected<std::vector<LayerIntervention>> BuildInterventions(TiMode mode, const Taps& teacher_taps);

/// Step counts of the two-step protocol: step 1 = s, step 2 = total − s (an error unless 0 < s < total).
struct TwoStepPlan {
  int64_t step1 = 0;
  int64_t step2 = 0;
};
Expected<TwoStepPlan> MakeTwoStepPlan(int64_t total_steps, int64_t ti_steps);

}  // namespace qc::qat
