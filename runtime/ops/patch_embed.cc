#include "ops/patch_embed.h"

#include <cstring>
#include <string>
#include <vector>

#include "configs/gemm_config.h"

namespace qc {

size_t PatchEmbedScratchFloats(const PatchEmbedShape& s) {
  return s.num_patches() * s.patch_size();
}

Status PatchEmbed(const PatchEmbedShape& s, const float* image, const float* weight, const float* bias, float* out,
                  float* scratch) {
  if (s.patch == 0 || s.height < s.patch || s.width < s.patch) {
    return InvalidArgument("patch embedding: patch size " + std::to_string(s.patch) + " does not fit a " +
                           std::to_string(s.height) + "x" + std::to_string(s.width) + " image");
  }
  std::vector<float> owned;
  if (scratch == nullptr) {
    owned.resize(PatchEmbedScratchFloats(s));
    scratch = owned.data();
  }
  const size_t p = s.patch, gh = s.grid_h(), gw = s.grid_w(), n = s.num_patches(), k = s.patch_size();
  const F32GemmFn gemm = GetF32GemmKernel().fn;
  for (size_t b = 0; b < s.batch; ++b) {
    const float* img = image + b * s.channels * s.height * s.width;
    // im2col: row (py, px) of scratch holds the patch as [c][i][j], matching the weight's [C, P, P] rows.
    for (size_t py = 0; py < gh; ++py) {
      for (size_t px = 0; px < gw; ++px) {
        float* row = scratch + (py * gw + px) * k;
        for (size_t c = 0; c < s.channels; ++c) {
          for (size_t i = 0; i < p; ++i) {
            const float* src = img + (c * s.height + py * p + i) * s.width + px * p;
            std::memcpy(row + (c * p + i) * p, src, p * sizeof(float));
          }
        }
      }
    }
    F32GemmArgs a;
    a.x = scratch;
    a.x_stride = k;
    a.w = weight;
    a.w_stride = k;
    a.bias = bias;
    a.y = out + b * n * s.dim;
    a.y_stride = s.dim;
    a.m = n;
    a.n = s.dim;
    a.k = k;
    gemm(a, 0, n, 0, s.dim);
  }
  return Status::Ok();
}

}  // namespace qc
