// qvk/quant/detail/k_quantize_mins.hpp — the reference quantizer shared by Q4_K
// (NMax 15) and Q5_K (NMax 31): llama.cpp's quantize_row_q{4,5}_K_ref without an
// importance matrix.
//
// Per sub-block of 32 a weighted asymmetric fit (weights sqrt(mean x²) + |x|;
// 21 trial scales for Q4_K, 16 for Q5_K), then the eight scales and eight mins
// are quantized to 6 bits against their maxima (d = max/63, dmin = max_min/63,
// stored as f16), and the codes are recomputed against the stored scales. For
// NMax 31 the fifth bit of each code goes to `qh` (bit 2c for element 64c + l,
// bit 2c+1 for element 64c + 32 + l, in qh[l]).
#pragma once

#include <cmath>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/detail/k_scales.hpp"
#include "qvk/quant/detail/kquant_search.hpp"
#include "qvk/quant/detail/rounding.hpp"

namespace qvk::quant::detail {

template <int NMax>
inline void quantize_k_with_mins(const float* x, std::uint16_t& d_bits, std::uint16_t& dmin_bits,
                                  std::uint8_t (&packed_scales)[12], std::uint8_t (&qs)[128], std::uint8_t* qh) {
  static_assert(NMax == 15 || NMax == 31, "Q4_K or Q5_K");
  constexpr float kRmin = NMax == 15 ? -1.0f : -0.5f;
  constexpr int kSteps = NMax == 15 ? 20 : 15;
  std::uint8_t levels[256];
  float scales[8], offsets[8];
  float weights[32];
  float max_scale = 0, max_offset = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = fit_scale_offset<32>(xs, weights, NMax, kRmin, 0.1f, kSteps, levels + 32 * j, offsets[j]);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (offsets[j] > max_offset) max_offset = offsets[j];
  }

  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_offset = max_offset > 0 ? 63.0f / max_offset : 0.0f;
  std::uint8_t sc6[8], m6[8];
  for (int j = 0; j < 8; ++j) {
    // GGML stores nearest_int's result in a uint8_t before clamping: keep that wrap.
    const auto ls = static_cast<std::uint8_t>(round_via_magic_add(inv_scale * scales[j]));
    const auto lm = static_cast<std::uint8_t>(round_via_magic_add(inv_offset * offsets[j]));
    sc6[j] = ls < 63 ? ls : 63;
    m6[j] = lm < 63 ? lm : 63;
  }
  pack_k_scales(sc6, m6, packed_scales);
  d_bits = numerics::f32_to_f16_bits(max_scale / 63.0f);
  dmin_bits = numerics::f32_to_f16_bits(max_offset / 63.0f);

  // Re-derive the codes from the scales as stored; a sub-block whose stored
  // scale is 0 keeps the codes of its fit.
  const float d = numerics::f16_bits_to_f32(d_bits);
  const float dmin = numerics::f16_bits_to_f32(dmin_bits);
  for (int j = 0; j < 8; ++j) {
    const float dj = d * static_cast<float>(sc6[j]);
    if (dj == 0.0f) continue;
    const float mj = dmin * static_cast<float>(m6[j]);
    for (int l = 0; l < 32; ++l) {
      const int q = round_via_magic_add((x[32 * j + l] + mj) / dj);
      levels[32 * j + l] = static_cast<std::uint8_t>(clamp_int(q, 0, NMax));
    }
  }

  if (qh != nullptr)
    for (int l = 0; l < 32; ++l) qh[l] = 0;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const std::uint8_t lo = levels[64 * c + l], hi = levels[64 * c + 32 + l];
      qs[32 * c + l] = static_cast<std::uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
      if (qh != nullptr)
        qh[l] = static_cast<std::uint8_t>(qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
    }
}

}  // namespace qvk::quant::detail
