// tools/common/synth.hpp — deterministic synthetic weights for generated models.
//
// Every element is a pure function of (seed, tensor name, element index): a
// counter-based hash, so any thread may produce any slice and the file is the
// same whatever the thread count or chunking. Values are approximately normal
// (Irwin–Hall sum of four 16-bit uniforms), scaled per tensor role so that a
// forward pass neither vanishes nor explodes:
//   - input projections (q/k/v/gate/up) and the LM head: std 1/sqrt(fan_in),
//     so a unit-RMS input gives unit-scale outputs;
//   - output projections (attn_output, ffn_down): additionally /sqrt(2·layers),
//     so the residual stream grows to O(1) over the whole depth, not O(layers);
//   - embeddings: std 1/sqrt(hidden) (rows of norm ≈ 1, tied logits ≈ unit);
//   - norm weights: 1 + uniform(±0.1); QKV biases: std 0.1.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "qvk/model/config.hpp"
#include "qvk/model/tensor_specs.hpp"

namespace qvk::tools {

inline std::uint64_t mix64(std::uint64_t z) {  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t hash_name(std::string_view s) {  // FNV-1a, then mixed
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return mix64(h);
}

enum class Dist { Normal, OnePlusUniform };

struct Synth {
  std::uint64_t key;  // from seed and tensor name
  Dist dist;
  float scale;        // std (Normal) or half-width (OnePlusUniform)

  // Element `i`: Normal → scale · N(0,1)-like in [-2√3, 2√3]·scale;
  // OnePlusUniform → 1 + uniform[-scale, scale).
  float operator()(std::uint64_t i) const {
    const std::uint64_t h = mix64(key + (i + 1) * 0x9e3779b97f4a7c15ULL);
    if (dist == Dist::OnePlusUniform) {
      const float u = static_cast<float>(h >> 40) * (1.0f / 16777216.0f);  // [0, 1)
      return 1.0f + scale * (2.0f * u - 1.0f);
    }
    const float sum = static_cast<float>((h & 0xffff) + ((h >> 16) & 0xffff) + ((h >> 32) & 0xffff) + (h >> 48));
    // Irwin–Hall(4) has mean 2, variance 1/3 (in units of 65536).
    constexpr float kNorm = 1.7320508f / 65536.0f;
    return (sum - 2.0f * 65536.0f) * kNorm * scale;
  }
};

inline Synth synth_for(const model::TensorSpec& spec, const model::Config& c, std::uint64_t seed) {
  using model::Role;
  const std::uint64_t key = mix64(seed ^ hash_name(spec.name));
  const float depth = 1.0f / std::sqrt(2.0f * static_cast<float>(c.layers));
  const float fan_in = static_cast<float>(spec.dims[0]);
  switch (spec.role) {
    case Role::AttnNorm: case Role::FfnNorm: case Role::OutputNorm: case Role::AttnQNorm: case Role::AttnKNorm:
      return {key, Dist::OnePlusUniform, 0.1f};
    case Role::AttnQBias: case Role::AttnKBias: case Role::AttnVBias:
      return {key, Dist::Normal, 0.1f};
    case Role::TokenEmbd:
      return {key, Dist::Normal, 1.0f / std::sqrt(static_cast<float>(c.hidden))};
    case Role::AttnOutput: case Role::FfnDown:
      return {key, Dist::Normal, depth / std::sqrt(fan_in)};
    default:
      return {key, Dist::Normal, 1.0f / std::sqrt(fan_in)};
  }
}

}  // namespace qvk::tools
