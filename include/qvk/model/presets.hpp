// qvk/model/presets.hpp — the shapes of published Qwen models (from their HF
// config.json files) plus a tiny shape for tests. Used by the model writer and
// by benchmarks; a preset is a Config without weights.
#pragma once

#include <optional>
#include <string_view>

#include "qvk/model/config.hpp"

namespace qvk::model {

struct Preset {
  Arch arch;
  std::string_view name;
  Config config;
};

namespace detail {
constexpr Config shape(Arch a, std::uint32_t hidden, std::uint32_t layers, std::uint32_t heads,
                       std::uint32_t kv_heads, std::uint32_t head_dim, std::uint32_t ffn, bool tied,
                       std::uint32_t ctx) {
  Config c;
  c.arch = a;
  c.hidden = hidden;
  c.layers = layers;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.ffn = ffn;
  c.vocab = 151936;
  c.context_length = ctx;
  c.rms_eps = 1e-6f;
  c.rope_base = 1000000.0f;
  c.tied_embeddings = tied;
  return c;
}
}  // namespace detail

// Qwen3 (head_dim 128 throughout; tied head up to 4B) and Qwen2.5 (QKV bias,
// head_dim = hidden / heads). `tiny` is small enough for unit tests but keeps
// every dimension a multiple of 256 so all K-quants apply.
inline constexpr Preset kPresets[] = {
    {Arch::Qwen3, "tiny", detail::shape(Arch::Qwen3, 256, 2, 4, 2, 64, 768, true, 4096)},
    {Arch::Qwen3, "0.6b", detail::shape(Arch::Qwen3, 1024, 28, 16, 8, 128, 3072, true, 40960)},
    {Arch::Qwen3, "1.7b", detail::shape(Arch::Qwen3, 2048, 28, 16, 8, 128, 6144, true, 40960)},
    {Arch::Qwen3, "4b", detail::shape(Arch::Qwen3, 2560, 36, 32, 8, 128, 9728, true, 40960)},
    {Arch::Qwen3, "8b", detail::shape(Arch::Qwen3, 4096, 36, 32, 8, 128, 12288, false, 40960)},
    {Arch::Qwen3, "14b", detail::shape(Arch::Qwen3, 5120, 40, 40, 8, 128, 17408, false, 40960)},
    {Arch::Qwen3, "32b", detail::shape(Arch::Qwen3, 5120, 64, 64, 8, 128, 25600, false, 40960)},
    {Arch::Qwen2, "tiny", detail::shape(Arch::Qwen2, 256, 2, 4, 2, 64, 768, true, 4096)},
    {Arch::Qwen2, "0.5b", detail::shape(Arch::Qwen2, 896, 24, 14, 2, 64, 4864, true, 32768)},
    {Arch::Qwen2, "1.5b", detail::shape(Arch::Qwen2, 1536, 28, 12, 2, 128, 8960, true, 32768)},
    {Arch::Qwen2, "3b", detail::shape(Arch::Qwen2, 2048, 36, 16, 2, 128, 11008, true, 32768)},
    {Arch::Qwen2, "7b", detail::shape(Arch::Qwen2, 3584, 28, 28, 4, 128, 18944, false, 32768)},
    {Arch::Qwen2, "14b", detail::shape(Arch::Qwen2, 5120, 48, 40, 8, 128, 13824, false, 32768)},
    {Arch::Qwen2, "32b", detail::shape(Arch::Qwen2, 5120, 64, 40, 8, 128, 27648, false, 32768)},
};

inline std::optional<Config> find_preset(Arch a, std::string_view name) {
  for (const Preset& p : kPresets)
    if (p.arch == a && p.name == name) return p.config;
  return std::nullopt;
}

}  // namespace qvk::model
