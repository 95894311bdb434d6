// qvk/ops/plan.hpp — the logical shapes of every canonical reduction.
//
// These numbers are part of the numerics contract: changing one changes the
// bits of the model's output (a different logical lane count reorders the
// sums). Physical mapping (threads, workgroups, SIMD width) is free; these are
// not. The reference interpreter and the shaders read them from here.
#pragma once

#include <cstddef>

namespace qvk::ops {

// Dot products of a matrix row with an activation vector (GEMV/GEMM): terms
// are per weight block (per element for F32/F16/BF16 weights), lane = block % L.
inline constexpr std::size_t kDotLanes = 32;
// Sum of squares in RMSNorm (hidden or head_dim elements), lane = element % L.
inline constexpr std::size_t kNormLanes = 32;
// Attention: q·k over head_dim, lane = element % L.
inline constexpr std::size_t kHeadDotLanes = 32;
// Attention: keys/values are processed in chunks of this many positions; inside
// a chunk, sums over positions use a pairwise tree over kAttnChunk lanes (one
// position per lane), and chunks are combined in increasing position order.
inline constexpr std::size_t kAttnChunk = 64;
// Softmax over the vocabulary (sampling): lane = candidate % L.
inline constexpr std::size_t kVocabLanes = 32;

}  // namespace qvk::ops
