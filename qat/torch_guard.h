// The boundary between LibTorch (which throws) and the rest of qcompress (which returns Status values).
//
// Every entry point of qat/ runs its LibTorch work inside RunTorchGuarded, so a c10::Error (shape mismatch, out of
// memory, bad index) becomes a Status naming what was being done, and no exception leaves the module.
//
//   qc::Status s = qc::qat::RunTorchGuarded("distillation step 120", [&]() -> qc::Status {
//     auto loss = student.forward(batch);   // may throw c10::Error
//     loss.backward();
//     return qc::Status::Ok();
//   });
//
// This header deliberately does not include torch, so callers outside qat/ never see LibTorch.
#pragma once

#include <functional>
#include <string>

#include "qcompress/status.h"

namespace qc::qat {

/// Runs `fn`; a thrown c10::Error or std::exception becomes an error Status prefixed with `what`.
Status RunTorchGuarded(const std::string& what, const std::function<Status()>& fn);

/// Sets LibTorch's intra-op thread count (LibTorch 1.13 on Debian defaults to one thread). `threads` <= 0 means
/// "all hardware threads". Returns the count in effect.
int SetTorchThreads(int threads);

}  // namespace qc::qat
