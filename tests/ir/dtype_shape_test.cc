#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "ir/dtype.h"
#include "ir/shape.h"

using namespace qc::ir;

TEST_CASE("every dtype name round-trips and has the documented width") {
  CHECK(kNumDTypes == 11);
  for (size_t i = 0; i < kNumDTypes; ++i) {
    const auto dtype = static_cast<DType>(i);
    auto parsed = ParseDType(DTypeName(dtype));
    REQUIRE(parsed.ok());
    CHECK(*parsed == dtype);
  }
  CHECK(DTypeName(DType::kBF16) == "bf16");
  CHECK(DTypeBits(DType::kF32) == 32);
  CHECK(DTypeBits(DType::kI64) == 64);
  CHECK(DTypeBits(DType::kBool) == 8);
  CHECK(DTypeBits(DType::kT2) == 2);
  CHECK(DTypeBits(DType::kI4) == 4);
  CHECK(IsPackedDType(DType::kT2));
  CHECK(IsPackedDType(DType::kI4));
  CHECK_FALSE(IsPackedDType(DType::kI8));
  CHECK(IsFloatDType(DType::kBF16));
  CHECK_FALSE(IsFloatDType(DType::kI32));
  CHECK(IsIntegerDType(DType::kI4));
  CHECK_FALSE(IsIntegerDType(DType::kBool));
  CHECK_FALSE(IsIntegerDType(DType::kT2));
  static_assert(DTypeOf<int32_t>::value == DType::kI32);
}

TEST_CASE("unknown and corrupt dtypes are reported, not crashed on") {
  auto bad = ParseDType("float32");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("unknown dtype 'float32'") != std::string::npos);
  CHECK(bad.status().message().find("bf16") != std::string::npos);  // lists the valid names
  const auto corrupt = static_cast<DType>(200);
  CHECK(DTypeName(corrupt) == "invalid");
  CHECK(DTypeBits(corrupt) == 0);
  CHECK_FALSE(PackedByteSize(corrupt, 4).ok());
}

TEST_CASE("packed byte sizes round up and check overflow") {
  CHECK(*PackedByteSize(DType::kT2, 0) == 0);
  CHECK(*PackedByteSize(DType::kT2, 1) == 1);
  CHECK(*PackedByteSize(DType::kT2, 4) == 1);
  CHECK(*PackedByteSize(DType::kT2, 5) == 2);
  CHECK(*PackedByteSize(DType::kI4, 3) == 2);
  CHECK(*PackedByteSize(DType::kF32, 10) == 40);
  CHECK(*PackedByteSize(DType::kBool, 3) == 3);
  CHECK_FALSE(PackedByteSize(DType::kF32, -1).ok());
  auto overflow = PackedByteSize(DType::kI64, std::numeric_limits<int64_t>::max());
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().code() == qc::StatusCode::kOutOfRange);
  // 2^63 - 1 two-bit elements fit in 64 bits of bit count: no false overflow.
  CHECK(*PackedByteSize(DType::kT2, std::numeric_limits<int64_t>::max()) == (uint64_t{1} << 61));
}

TEST_CASE("shapes mix fixed and symbolic dims") {
  const Shape shape{"batch", "sequence", 64};
  CHECK(ToString(shape) == "[batch, sequence, 64]");
  CHECK(ToString(Shape{}) == "[]");
  CHECK_FALSE(IsStatic(shape));
  CHECK(IsStatic(Shape{2, 3}));
  CHECK(shape[0] == Dim("batch"));
  CHECK(shape[2] == Dim(64));
  CHECK(Dim(0) != Dim("batch"));
  CHECK(Dim(0).is_static());  // 0 is a size, not a null symbol pointer
  CHECK(*StaticElementCount(Shape{2, 3, 4}) == 24);
  CHECK(*StaticElementCount(Shape{}) == 1);
  CHECK(*StaticElementCount(Shape{5, 0}) == 0);

  auto symbolic = StaticElementCount(shape);
  REQUIRE_FALSE(symbolic.ok());
  CHECK(symbolic.status().message() == "shape [batch, sequence, 64] is not static: dimension 0 is 'batch'");
  auto overflow = ElementCount({int64_t{1} << 40, int64_t{1} << 40});
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().message() == "element count of [1099511627776, 1099511627776] overflows int64");
  CHECK(StaticDims(Shape{7, 8}).value() == std::vector<int64_t>{7, 8});
  CHECK(ShapeFromDims({7, 8}) == Shape{7, 8});
}

TEST_CASE("ValidateShape rejects negative sizes and malformed symbols") {
  CHECK(ValidateShape(Shape{"batch", "(height/16)*(width/16)", "sequence+1", 3}, "x").ok());
  CHECK(ValidateShape(Shape{2, -1}, "value 'x'").message() == "value 'x': dimension 1 of [2, -1] is negative");
  CHECK(ValidateShape(Shape{""}, "x").message().find("empty symbol name") != std::string::npos);
  CHECK(ValidateShape(Shape{"1batch"}, "x").message().find("must not start with a digit") != std::string::npos);
  CHECK(ValidateShape(Shape{"a b"}, "x").message().find("contains a space") != std::string::npos);
  CHECK_FALSE(ValidateShape(Shape{"a,b"}, "x").ok());
  CHECK_FALSE(ValidateShape(Shape{"a]"}, "x").ok());
}
