#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ir/content_hash.h"
#include "ir/tensor.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::Must;

TEST_CASE("FromVector owns its data and reads back typed") {
  Tensor t = Must(Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
  CHECK(t.dtype() == DType::kF32);
  CHECK(t.dims() == std::vector<int64_t>{2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.element_count() == 6);
  CHECK(t.byte_size() == 24);
  CHECK(t.TypeString() == "f32[2, 3]");
  const float* p = Must(t.data<float>());
  CHECK(p[5] == 6.0f);
  CHECK(Must(t.ToVector<float>()) == std::vector<float>{1, 2, 3, 4, 5, 6});

  auto wrong = t.data<int32_t>();
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() == "tensor f32[2, 3]: requested as i32");
  CHECK_FALSE(t.ToVector<int64_t>().ok());

  Tensor copy = t;  // copies the handle, not the bytes
  CHECK(copy.raw_data() == t.raw_data());
}

TEST_CASE("byte count must match the shape") {
  auto short_data = Tensor::FromVector<float>({2, 3}, {1, 2, 3});
  REQUIRE_FALSE(short_data.ok());
  CHECK(short_data.status().message() == "tensor f32[2, 3]: has 12 bytes, its shape needs 24");
  CHECK_FALSE(Tensor::FromVector<int64_t>({-1}, {}).ok());
  CHECK(Tensor::FromVector<int64_t>({0, 4}, {}).ok());  // empty tensors are fine
  auto null_view = Tensor::View(DType::kF32, {1}, nullptr, 4, nullptr);
  REQUIRE_FALSE(null_view.ok());
  CHECK(null_view.status().message() == "tensor f32[1]: null data pointer");
  CHECK_FALSE(Tensor::View(static_cast<DType>(99), {1}, "x", 1, nullptr).ok());
}

TEST_CASE("packed tensors use rounded-up byte sizes") {
  // 10 ternary codes need 3 bytes.
  Tensor t2 = Must(Tensor::FromBytes(DType::kT2, {2, 5}, {0x12, 0x34, 0x05}));
  CHECK(t2.byte_size() == 3);
  CHECK(t2.element_count() == 10);
  CHECK_FALSE(Tensor::FromBytes(DType::kT2, {2, 5}, {0x12, 0x34}).ok());
  CHECK_FALSE(Tensor::FromBytes(DType::kI4, {3}, {0x12, 0x34, 0x56}).ok());
  CHECK(Tensor::FromBytes(DType::kI4, {3}, {0x12, 0x34}).ok());
  CHECK(Tensor::FromBytes(DType::kBF16, {2}, {0, 0x3f, 0, 0x40}).ok());
}

TEST_CASE("bool tensors hold 0 or 1 per byte") {
  Tensor mask = Must(Tensor::FromVector<bool>({3}, {true, false, true}));
  CHECK(mask.dtype() == DType::kBool);
  CHECK(Must(mask.ToVector<bool>()) == std::vector<bool>{true, false, true});
  auto bad = Tensor::FromBytes(DType::kBool, {2}, {1, 7});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "tensor bool[2]: bool element 1 has byte value 7 (must be 0 or 1)");
}

TEST_CASE("views keep their owner alive and never copy") {
  std::weak_ptr<std::vector<uint8_t>> watch;
  Tensor view = [&] {
    auto file = std::make_shared<std::vector<uint8_t>>(64, 0);  // stands in for an mmapped checkpoint
    const float values[2] = {1.5f, -2.0f};
    std::memcpy(file->data() + 16, values, sizeof(values));
    watch = file;
    return Must(Tensor::View(DType::kF32, {2}, file->data() + 16, 8, file));
  }();
  REQUIRE_FALSE(watch.expired());  // the only remaining reference is the tensor's
  CHECK(view.raw_data() == watch.lock()->data() + 16);
  {
    Tensor copy = view;
    view = Must(Tensor::FromVector<float>({1}, {0.0f}));  // drop the original handle
    CHECK_FALSE(watch.expired());
    CHECK(Must(copy.ToVector<float>()) == std::vector<float>{1.5f, -2.0f});
  }
  CHECK(watch.expired());  // last handle gone: the "file" is released
}

TEST_CASE("misaligned views refuse typed pointers but copy fine") {
  auto buffer = std::make_shared<std::vector<uint8_t>>(16, 0);
  const float value = 3.25f;
  std::memcpy(buffer->data() + 1, &value, sizeof(value));
  Tensor t = Must(Tensor::View(DType::kF32, {1}, buffer->data() + 1, 4, buffer));
  auto pointer = t.data<float>();
  REQUIRE_FALSE(pointer.ok());
  CHECK(pointer.status().code() == qc::StatusCode::kFailedPrecondition);
  CHECK(pointer.status().message() == "tensor f32[1]: data is not aligned to 4 bytes; use ToVector() to copy it");
  CHECK(Must(t.ToVector<float>()) == std::vector<float>{3.25f});
}

TEST_CASE("content hash is FNV-1a 64 over the bytes") {
  // Published FNV-1a 64 test vectors.
  CHECK(Fnv1a64("", 0) == 0xcbf29ce484222325ULL);
  CHECK(Fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
  CHECK(Fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
  CHECK(HashToHex(0xaf63dc4c8601ec8cULL) == "0xaf63dc4c8601ec8c");
  Tensor a = Must(Tensor::FromBytes(DType::kU8, {1}, {'a'}));
  CHECK(a.ContentHash() == 0xaf63dc4c8601ec8cULL);
  Tensor w1 = Must(Tensor::FromVector<float>({2}, {1.0f, 2.0f}));
  Tensor w2 = Must(Tensor::FromVector<float>({2}, {1.0f, 2.5f}));
  CHECK(w1.ContentHash() != w2.ContentHash());
}
