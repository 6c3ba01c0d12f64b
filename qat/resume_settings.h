// qat/resume_settings.h: what a checkpoint must share with the run that resumes it.
//
// Overview
//   An exact resume continues a trajectory bit for bit. That only holds when everything that shapes the trajectory is
//   unchanged: the starting model, the training and evaluation data, the schedule, the optimizer, the losses and the
//   quantization recipe. ResumeSettings lists those as "key=value" lines (the thread count is not among them: results
//   do not depend on it; neither are the checkpoint directory, progress and stop hooks). The trainer stores the lines
//   in every checkpoint, and CheckResumeSettings refuses a resume whose lines differ, naming the first setting that
//   does, instead of silently mixing two runs.
//
// Usage
//   const std::string settings = qc::qat::ResumeSettings(options, data, losses, graph);
//   state.settings = settings;  ...  SaveCheckpoint(path, model, &optimizer, state);
//   LoadCheckpoint(path, model, nullptr, &saved);
//   QC_RETURN_IF_ERROR(qc::qat::CheckResumeSettings(path, saved.settings, settings));
#pragma once

#include <string>

#include "qat/trainer.h"

namespace qc::qat {

/// One "key=value" line per setting, in a fixed order. Data and the starting graph's constants enter as counts and
/// FNV-1a hashes; doubles in their shortest exact form, so any change shows.
std::string ResumeSettings(const TrainerOptions& options, const TrainData& data, const DistillLossConfig& losses,
                           const ir::Graph& start);

/// Ok when `saved` equals `current`. Otherwise an error naming the checkpoint and the first differing setting with
/// both values ("" saved: a checkpoint written before settings were recorded).
Status CheckResumeSettings(const std::string& checkpoint_path, const std::string& saved, const std::string& current);

}  // namespace qc::qat
