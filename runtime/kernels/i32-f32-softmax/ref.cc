// The oracle: kernels.h's contract in plain loops (lane sums kept in an array of 16).
#include "kernels/i32-f32-softmax/kernels.h"

#include <limits>

#include "kernels/i32-f32-softmax/scalar.h"

namespace qc {

void QSoftmaxRowRef(const QSoftmaxRowArgs& a) {
  float m = -std::numeric_limits<float>::infinity();
  for (size_t j = 0; j < a.n; ++j) {
    a.p[j] = QSoftmaxScore(a, j);
    m = a.p[j] > m ? a.p[j] : m;
  }
  float lane[16] = {};
  for (size_t j = 0; j < a.n; ++j) {
    a.p[j] = QcExp(a.p[j] - m);
    lane[j % 16] = lane[j % 16] + a.p[j];
  }
  const float sum = QSoftmaxFold(lane);
  for (size_t j = 0; j < a.n; ++j) a.p[j] = (a.p[j] / sum) * a.dv[j];
}

}  // namespace qc
