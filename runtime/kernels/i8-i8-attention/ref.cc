// Scalar int8 × int8 attention product, built on every platform: the oracle the SIMD kernels are tested against and
// the fallback on CPUs without one. One int32 sum per output over the k real columns (it does not read the zero
// padding, the SIMD kernels do), so it checks that the padding really is zero.
#include <cstddef>
#include <cstdint>

#include "kernels/i8-i8-attention/kernels.h"

namespace qc {

void I8AttnGemmRef(const I8AttnGemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  for (size_t i = m_begin; i < m_end; ++i) {
    const int8_t* x = a.a + i * a.a_stride;
    for (size_t j = n_begin; j < n_end; ++j) {
      const int8_t* y = a.b + j * a.b_stride;
      int32_t acc = 0;
      for (size_t kk = 0; kk < a.k; ++kk) acc += static_cast<int32_t>(x[kk]) * static_cast<int32_t>(y[kk]);
      a.c[i * a.c_stride + j] = acc;
    }
  }
}

}  // namespace qc
