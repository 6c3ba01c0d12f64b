#include "qat/torch_guard.h"

#include <torch/torch.h>

#include <new>
#include <thread>

namespace qc::qat {
namespace {

// c10 messages end with a multi-line C++ backtrace on some builds; users need the first line only.
std::string FirstLine(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

Status RunTorchGuarded(const std::string& what, const std::function<Status()>& fn) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    return Internal(what + ": LibTorch error: " + FirstLine(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return Internal(what + ": out of memory");
  } catch (const std::exception& e) {
    return Internal(what + ": " + FirstLine(e.what()));
  }
}

int SetTorchThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace qc::qat
