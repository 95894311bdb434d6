// qvk/ops/rope_table.hpp — RoPE cos/sin tables, computed once on the host.
//
// Kernels never call sin/cos (not correctly rounded, device-dependent): both
// the reference and the shaders read this table, so they agree by
// construction. Entry [pos][i] for pair i in [0, head_dim/2) (NeoX layout:
// element i rotates with element i + head_dim/2):
//   theta_extrap = pos · base^(−2i/head_dim)
//   plain:  theta = theta_extrap, mscale = 1
//   linear: theta = theta_extrap / factor
//   YaRN (as llama.cpp's ggml rope with ext_factor 1, beta_fast 32, beta_slow 1):
//     ramp = 1 − clamp((i − low)/max(0.001, high − low), 0, 1), with
//     low/high = floor/ceil of d·ln(n_orig/(β·2π)) / (2 ln base) for β = 32, 1,
//     clamped to [0, head_dim − 1];
//     theta = (theta_extrap/factor)·(1 − ramp) + theta_extrap·ramp;
//     mscale = 1 + 0.1·ln(factor)
//   cos = cos(theta)·mscale, sin = sin(theta)·mscale, evaluated in double and
//   rounded once to f32.
// The values depend on the host's libm only through that final rounding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qvk/model/config.hpp"

namespace qvk::ops {

struct RopeTable {
  std::uint32_t half = 0;       // head_dim / 2
  std::uint32_t positions = 0;  // rows
  std::vector<float> cos, sin;  // [positions][half]
  const float* cos_row(std::uint32_t pos) const { return cos.data() + std::size_t(pos) * half; }
  const float* sin_row(std::uint32_t pos) const { return sin.data() + std::size_t(pos) * half; }
};

inline RopeTable make_rope_table(const model::Config& c, std::uint32_t positions) {
  RopeTable t;
  t.half = c.head_dim / 2;
  t.positions = positions;
  t.cos.resize(std::size_t(positions) * t.half);
  t.sin.resize(std::size_t(positions) * t.half);
  const double d = c.head_dim, base = c.rope_base;
  const auto& rs = c.rope_scaling;
  const double factor = rs.type == model::RopeScalingType::None ? 1.0 : rs.factor;
  double low = 0, high = 0, mscale = 1.0;
  if (rs.type == model::RopeScalingType::Yarn) {
    const double kPi = 3.14159265358979323846;
    auto corr = [&](double beta) { return d * std::log(rs.original_context / (beta * 2 * kPi)) / (2 * std::log(base)); };
    low = std::max(0.0, std::floor(corr(32.0)));
    high = std::min(d - 1, std::ceil(corr(1.0)));
    mscale = 1.0 + 0.1 * std::log(factor);
  }
  std::vector<double> inv_freq(t.half);
  for (std::uint32_t i = 0; i < t.half; ++i) inv_freq[i] = std::pow(base, -2.0 * i / d);
  for (std::uint32_t p = 0; p < positions; ++p)
    for (std::uint32_t i = 0; i < t.half; ++i) {
      const double extrap = p * inv_freq[i];
      double theta = extrap;
      if (rs.type == model::RopeScalingType::Linear) theta = extrap / factor;
      if (rs.type == model::RopeScalingType::Yarn) {
        const double y = (i - low) / std::max(0.001, high - low);
        const double ramp = 1.0 - std::min(1.0, std::max(0.0, y));
        theta = (extrap / factor) * (1 - ramp) + extrap * ramp;
      }
      t.cos[std::size_t(p) * t.half + i] = static_cast<float>(std::cos(theta) * mscale);
      t.sin[std::size_t(p) * t.half + i] = static_cast<float>(std::sin(theta) * mscale);
    }
  return t;
}

}  // namespace qvk::ops
