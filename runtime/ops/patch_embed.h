// ops/patch_embed.h: ViT patch embedding, a Conv2d with kernel = stride = patch on NCHW images.
//
// Overview
//   Each non-overlapping P×P patch of the image (all C channels) becomes one token: the patch is flattened in
//   (channel, row, column) order, the order of PyTorch's Conv2d weight [D, C, P, P], so the weight is used in place
//   as a row-major [D, C·P·P] matrix and the op is an im2col copy followed by one GEMM per image. Like Conv2d with
//   stride P and no padding, a height or width that is not a multiple of P drops the last partial patch row or
//   column. Output is [B, N, D] row-major with N = (H/P)·(W/P), patches in row-major grid order (flatten(2)
//   .transpose(1, 2) in Hugging Face ViT).
//
// Usage
//   qc::PatchEmbedShape s{batch, 3, 224, 224, 16, 768};
//   std::vector<float> scratch(qc::PatchEmbedScratchFloats(s));      // or pass nullptr to allocate per call
//   QC_RETURN_IF_ERROR(qc::PatchEmbed(s, pixels, conv_w, conv_b, tokens, scratch.data()));
#pragma once

#include <cstddef>

#include "qcompress/status.h"

namespace qc {

struct PatchEmbedShape {
  size_t batch = 0;
  size_t channels = 0;
  size_t height = 0;
  size_t width = 0;
  size_t patch = 0;  ///< kernel size and stride
  size_t dim = 0;    ///< output channels (hidden size)

  size_t grid_h() const { return patch ? height / patch : 0; }
  size_t grid_w() const { return patch ? width / patch : 0; }
  size_t num_patches() const { return grid_h() * grid_w(); }
  size_t patch_size() const { return channels * patch * patch; }  ///< K of the GEMM
};

/// Floats of scratch PatchEmbed needs: one image's patches, num_patches × channels·patch².
size_t PatchEmbedScratchFloats(const PatchEmbedShape& shape);

/// out[b, n, d] = bias[d] + Σ_{c,i,j} weight[d, c, i, j] · image[b, c, py·P + i, px·P + j], n = py·grid_w + px.
/// image [B, C, H, W]; weight [D, C, P, P]; bias [D] or null; out [B, N, D]. scratch holds
/// PatchEmbedScratchFloats(shape) floats, or is null to allocate for this call. kInvalidArgument if patch is 0 or
/// larger than the image.
Status PatchEmbed(const PatchEmbedShape& shape, const float* image, const float* weight, const float* bias, float* out,
                  float* scratch);

}  // namespace qc
