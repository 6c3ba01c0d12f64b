// LibTorch must be included before doctest: c10 defines its own CHECK macro (see docs/developing.md).
#include <torch/torch.h>
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include "qat/torch_guard.h"

TEST_CASE("LibTorch errors become Status values naming the operation") {
  const qc::Status status = qc::qat::RunTorchGuarded("forward of layer 3", []() -> qc::Status {
    auto a = torch::ones({2, 3});
    auto b = torch::ones({4, 5});
    auto c = torch::matmul(a, b);  // shapes do not match: throws c10::Error
    (void)c;
    return qc::Status::Ok();
  });
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == qc::StatusCode::kInternal);
  CHECK(status.message().rfind("forward of layer 3: LibTorch error: ", 0) == 0);
  CHECK(status.message().find('\n') == std::string::npos);
}

TEST_CASE("Guarded work that succeeds passes its Status through") {
  int calls = 0;
  CHECK(qc::qat::RunTorchGuarded("ok", [&]() -> qc::Status {
          ++calls;
          return qc::Status::Ok();
        }).ok());
  CHECK(qc::qat::RunTorchGuarded("fails", [] { return qc::InvalidArgument("bad step"); }).message() == "bad step");
  CHECK(calls == 1);
}

TEST_CASE("Thread count is applied") {
  CHECK(qc::qat::SetTorchThreads(2) == 2);
  CHECK(at::get_num_threads() == 2);
  CHECK(qc::qat::SetTorchThreads(1) == 1);
}

TEST_CASE("This file's CHECK is doctest's, not c10's") {
  // c10's CHECK aborts or is a no-op; doctest's counts an assertion. The shared main fails a binary with 0 asserts.
#ifdef DOCTEST_CHECK
  CHECK(true);
#endif
  DOCTEST_CHECK(1 + 1 == 2);
}
