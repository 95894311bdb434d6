// qvk/model/recipe.hpp — which quant type each tensor gets in a file of a
// given mix ("q4_k_m", "q8_0", ...), following llama.cpp's choices for dense
// Qwen models (its src/llama-quant.cpp) so that our files match what people
// download:
//   - 1-D tensors (norms, biases) stay F32;
//   - the LM head (output.weight, or token_embd when tied) is Q6_K for every
//     quantized mix except q8_0 (Q8_0); Q8_0 if its rows are not 256-multiples;
//   - q4_k_m: attn_v and ffn_down are Q6_K in the layers `use_more_bits`
//     picks (first and last eighth, every third in between), Q4_K elsewhere.
// A K-quant needs rows that are multiples of 256; where llama.cpp would fall
// back to a type qvk does not implement (Q5_0, Q5_1), we refuse instead.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "qvk/model/tensor_specs.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::model {

enum class Mix { F32, F16, BF16, Q8_0, Q4_0, Q4_K_M, Q6_K };

struct MixInfo {
  Mix mix;
  std::string_view name;         // CLI spelling
  std::uint32_t llama_ftype;     // general.file_type, llama.cpp's llama_ftype value
  quant::Type base;              // type of the ordinary 2-D weights
};

inline constexpr MixInfo kMixes[] = {
    {Mix::F32, "f32", 0, quant::Type::F32},     {Mix::F16, "f16", 1, quant::Type::F16},
    {Mix::BF16, "bf16", 32, quant::Type::BF16}, {Mix::Q8_0, "q8_0", 7, quant::Type::Q8_0},
    {Mix::Q4_0, "q4_0", 2, quant::Type::Q4_0},  {Mix::Q4_K_M, "q4_k_m", 15, quant::Type::Q4_K},
    {Mix::Q6_K, "q6_k", 18, quant::Type::Q6_K},
};

inline std::optional<MixInfo> find_mix(std::string_view name) {
  for (const MixInfo& m : kMixes)
    if (m.name == name) return m;
  return std::nullopt;
}
inline constexpr MixInfo mix_info(Mix m) { return kMixes[static_cast<std::size_t>(m)]; }
static_assert(mix_info(Mix::Q4_K_M).mix == Mix::Q4_K_M && mix_info(Mix::Q6_K).mix == Mix::Q6_K,
              "kMixes is indexed by Mix");

inline bool is_quantized(quant::Type t) { return quant::info(t).block_elems > 1; }

// llama.cpp's "more bits here" layer pattern for attn_v / ffn_down.
constexpr bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// Throws std::invalid_argument when the mix cannot be applied to this shape.
inline quant::Type tensor_type(Mix mix, const TensorSpec& spec, const Config& c) {
  const MixInfo m = mix_info(mix);
  if (!spec.is_matrix()) return quant::Type::F32;
  if (!is_quantized(m.base)) return m.base;

  const std::uint64_t row = spec.dims[0];
  const bool lm_head = spec.role == Role::Output || (c.tied_embeddings && spec.role == Role::TokenEmbd);
  quant::Type t = m.base;
  if (lm_head) {
    if (m.base != quant::Type::Q8_0) t = row % 256 == 0 ? quant::Type::Q6_K : quant::Type::Q8_0;
  } else if (mix == Mix::Q4_K_M && (spec.role == Role::AttnV || spec.role == Role::FfnDown) &&
             use_more_bits(spec.layer, static_cast<int>(c.layers))) {
    t = quant::Type::Q6_K;
  }
  if (quant::info(t).block_elems == 256 && row % 256 != 0) {
    if (t == quant::Type::Q6_K) return quant::Type::Q8_0;  // llama.cpp's own fallback
    throw std::invalid_argument("tensor " + spec.name + ": rows of " + std::to_string(row) +
                                " elements are not a multiple of 256, which " + std::string(quant::name(t)) +
                                " needs (llama.cpp would fall back to Q5_0, which qvk does not implement); "
                                "use --quant q8_0, q4_0, f16 or bf16 for this shape");
  }
  if (row % quant::info(t).block_elems != 0)
    throw std::invalid_argument("tensor " + spec.name + ": rows of " + std::to_string(row) +
                                " elements are not a multiple of the " + std::string(quant::name(t)) +
                                " block size " + std::to_string(quant::info(t).block_elems));
  return t;
}

}  // namespace qvk::model
