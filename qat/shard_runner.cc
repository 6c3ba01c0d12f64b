#include "qat/shard_runner.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "qat/torch_guard.h"

namespace qc::qat {

void UseSingleTorchThread() {
  // OpenMP keeps its thread count per thread (an ICV), so every worker sets it for itself.
  if (at::get_num_threads() != 1) at::set_num_threads(1);
  // OpenBLAS (LibTorch's BLAS on Debian) has its own process-wide pool: with it, two shards calling sgemm at once
  // would queue for that pool instead of running side by side. Looked up at run time: other BLAS builds lack it.
  static const bool blas_single = [] {
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
    return true;
  }();
  (void)blas_single;
}

Status RunShards(int threads, int count, const std::function<Status(int)>& fn) {
  if (count <= 0) return Status::Ok();
  std::vector<Status> statuses(static_cast<size_t>(count));
  std::atomic<int> next{0};
  auto worker = [&]() {
    UseSingleTorchThread();
    torch::AutoGradMode same_mode(torch::GradMode::is_enabled());
    for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      statuses[static_cast<size_t>(i)] =
          RunTorchGuarded("shard " + std::to_string(i), [&]() -> Status { return fn(i); });
    }
  };
  const int helpers = std::max(0, std::min(threads, count) - 1);
  const bool grad_mode = torch::GradMode::is_enabled();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(helpers));
  for (int t = 0; t < helpers; ++t) {
    // Grad mode is thread-local in LibTorch: hand the caller's to the helper threads.
    pool.emplace_back([&, grad_mode]() {
      torch::AutoGradMode mode(grad_mode);
      worker();
    });
  }
  worker();
  for (std::thread& t : pool) t.join();
  for (const Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace qc::qat
