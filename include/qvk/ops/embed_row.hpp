// qvk/ops/embed_row.hpp — the embedding gather op descriptor: one row of the
// token-embedding table, dequantized, as the f32 hidden state.
//
// Computes y[i] = flush(value_i(row token)) for i < cols: the exact
// dequantization of the stored block (quant/*.hpp dequantize, gguf-py's
// formula and f32 operation order: Q8_0 float(q)·d; Q4_0 d·float(q−8);
// Q4_K/Q5_K (d·sc)·q − dmin·m; Q6_K (d·sc)·q; F16/BF16 widened exactly; F32 as
// is), then the tiny-value flush — the reference twin is ref::embed. A NaN
// (only from a NaN/inf scale or element) is written as the canonical NaN.
//
// The token id comes from the push constant `token`, or (TokenFromBuffer)
// from word `token_index` of the buffer `tok` — for a runtime that samples on
// the GPU. valid() checks a push-constant token against `rows`; a buffer token
// >= rows makes every output the canonical NaN (nothing is read out of range).
//
// Thread -> data mapping: one thread per output element, each decoding the
// scales of its own block (one row per dispatch: there is nothing to share).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/weight_format.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::ops {

namespace detail {
inline constexpr std::string_view kEmbedVariants[] = {
    "embed_f32",        "embed_f16",        "embed_bf16",        "embed_q8_0",        "embed_q4_0",
    "embed_q4_k",       "embed_q5_k",       "embed_q6_k",        "embed_f32_tokbuf",  "embed_f16_tokbuf",
    "embed_bf16_tokbuf", "embed_q8_0_tokbuf", "embed_q4_0_tokbuf", "embed_q4_k_tokbuf", "embed_q5_k_tokbuf",
    "embed_q6_k_tokbuf"};

constexpr std::string_view embed_variant(quant::Type t, bool tokbuf) {
  const std::string_view s = weight_format(t).suffix;
  for (std::string_view v : kEmbedVariants) {
    const bool tb = v.ends_with("_tokbuf");
    const std::string_view base = tb ? v.substr(0, v.size() - 7) : v;
    if (tb == tokbuf && base.substr(6) == s) return v;
  }
  return {};
}
}  // namespace detail

template <quant::Type T, std::uint32_t WorkgroupSize = 64, bool TokenFromBuffer = false>
struct EmbedRow {
  static constexpr WeightFormat kFormat = weight_format(T);
  static_assert(has_weight_format(T), "no embedding kernel for this weight type");
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = detail::embed_variant(T, TokenFromBuffer);
  static_assert(!kVariant.empty(), "variant missing from detail::kEmbedVariants");
  static constexpr std::string_view kSource = "embed_row.comp";

  static constexpr std::array<Define, 2> kDefines{
      {{"QVK_WTYPE", int(T)}, {"QVK_TOKEN_FROM_BUFFER", TokenFromBuffer ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t rows;         // vocabulary size (rows of the table)
    std::uint32_t cols;         // hidden size
    std::uint32_t token;        // the row (push-constant variant)
    std::uint32_t token_index;  // word of `tok` holding the row (buffer variant)
  };
  static_assert(sizeof(PushConstants) == 16, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 4> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"cols", Scalar::U32, offsetof(PushConstants, cols)},
      {"token", Scalar::U32, offsetof(PushConstants, token)},
      {"token_index", Scalar::U32, offsetof(PushConstants, token_index)},
  }};

  // w: the GGUF bytes of the table as 32-bit words (padded); [tok: token ids]; y [cols].
  static constexpr auto kBindings = [] {
    if constexpr (TokenFromBuffer)
      return std::array<Binding, 3>{{{"w", 0, Access::ReadOnly, Scalar::U32},
                                     {"tok", 1, Access::ReadOnly, Scalar::U32},
                                     {"y", 2, Access::WriteOnly, Scalar::F32}}};
    else
      return std::array<Binding, 2>{{{"w", 0, Access::ReadOnly, Scalar::U32}, {"y", 1, Access::WriteOnly, Scalar::F32}}};
  }();

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    std::uint32_t token = 0;
    std::uint32_t token_index = 0;
  };

  static constexpr std::string_view why_invalid(const Problem& p) {
    if (p.rows == 0 || p.cols == 0) return "rows and cols must be positive";
    if (p.cols % kFormat.block_elems != 0) return "cols must be a multiple of the block size";
    if (!TokenFromBuffer && p.token >= p.rows) return "token id out of range";
    if (weight_bytes(T, p.rows, p.cols) > 0xffffffffull) return "table over 4 GiB: byte offsets must fit 32 bits";
    if ((std::uint64_t(p.cols) + WorkgroupSize - 1) / WorkgroupSize > 65535) return "cols too large for one dispatch";
    return {};
  }
  static constexpr bool valid(const Problem& p) { return why_invalid(p).empty(); }

  static constexpr Groups groups(const Problem& p) { return {(p.cols + WorkgroupSize - 1) / WorkgroupSize, 1, 1}; }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.rows, p.cols, p.token, p.token_index}; }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    if constexpr (TokenFromBuffer)
      return {weight_words(T, p.rows, p.cols), std::uint64_t(p.token_index) + 1, p.cols};
    else
      return {weight_words(T, p.rows, p.cols), p.cols};
  }
};

static_assert(EmbedRow<quant::Type::Q4_K>::groups({151936, 1024, 7, 0}) == Groups{16, 1, 1});
static_assert(EmbedRow<quant::Type::Q8_0, 64, true>::kVariant == "embed_q8_0_tokbuf");
static_assert(!EmbedRow<quant::Type::F16>::valid({10, 64, 10, 0}) && EmbedRow<quant::Type::F16, 64, true>::valid({10, 64, 10, 0}));

}  // namespace qvk::ops
