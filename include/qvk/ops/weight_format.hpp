// qvk/ops/weight_format.hpp — what the GEMV and embedding kernels need to know
// about each weight type they read straight from the GGUF bytes.
//
// The block geometry comes from quant/type.hpp (GGML's, part of the file
// format); this adds the kernel-side facts: the SPIR-V variant suffix, the
// activation block a quantized type pairs with (ref::ActFor), how many parts a
// block splits into for the threads that share it, and the alignment a row of
// the type is guaranteed to have (which load widths the kernel may use).
#pragma once

#include <cstdint>
#include <string_view>

#include "qvk/quant/type.hpp"

namespace qvk::ops {

// The activation a weight type is multiplied with: the float vector itself, or
// Q8 activation blocks of 32 (Q8_0, Q4_0) or 256 (K-quants) elements.
enum class ActKind : std::uint8_t { Float, Q8Act32, Q8Act256 };

struct WeightFormat {
  quant::Type type;
  std::string_view suffix;     // variant-name suffix: "q4_k"
  std::uint32_t block_elems;   // elements per block (1 for F32/F16/BF16)
  std::uint32_t block_bytes;   // bytes per block
  ActKind act;
  // Quantized: the most threads that can share one block (the block splits
  // into this many equal parts of its integer dot product). Float: elements per
  // 16-byte vector (cols must be a multiple so rows stay 16-byte aligned).
  std::uint32_t parts;
  bool mins;                   // Q4_K/Q5_K: a second integer sum applies the sub-block mins
};

inline constexpr WeightFormat kWeightFormats[] = {
    {quant::Type::F32, "f32", 1, 4, ActKind::Float, 4, false},
    {quant::Type::F16, "f16", 1, 2, ActKind::Float, 8, false},
    {quant::Type::BF16, "bf16", 1, 2, ActKind::Float, 8, false},
    // 8 words of int8 codes; parts of 4 codes.
    {quant::Type::Q8_0, "q8_0", 32, 34, ActKind::Q8Act32, 8, false},
    // 4 words of nibbles (each word: 4 low + 4 high elements).
    {quant::Type::Q4_0, "q4_0", 32, 18, ActKind::Q8Act32, 4, false},
    // 8 uvec4 of qs nibbles (each: 16 low + 16 high elements of one sub-block pair).
    {quant::Type::Q4_K, "q4_k", 256, 144, ActKind::Q8Act256, 8, true},
    // as Q4_K, each part with its 16 bytes of fifth bits.
    {quant::Type::Q5_K, "q5_k", 256, 176, ActKind::Q8Act256, 8, true},
    // 16 units of 4 positions × 4 quadrants (ql, ql+32, qh words).
    {quant::Type::Q6_K, "q6_k", 256, 210, ActKind::Q8Act256, 16, false},
};

constexpr bool has_weight_format(quant::Type t) {
  for (const WeightFormat& f : kWeightFormats)
    if (f.type == t) return true;
  return false;
}

constexpr WeightFormat weight_format(quant::Type t) {
  for (const WeightFormat& f : kWeightFormats)
    if (f.type == t) return f;
  return {t, "", 0, 0, ActKind::Float, 0, false};  // has_weight_format() is false
}

// Bytes of `rows` rows of `cols` elements (cols a multiple of block_elems).
constexpr std::uint64_t weight_bytes(quant::Type t, std::uint64_t rows, std::uint64_t cols) {
  const WeightFormat f = weight_format(t);
  return rows * (cols / f.block_elems) * f.block_bytes;
}

// 32-bit words a weight binding must hold: the kernels read whole words, so a
// buffer whose byte size is not a multiple of 4 must be padded to one.
constexpr std::uint64_t weight_words(quant::Type t, std::uint64_t rows, std::uint64_t cols) {
  return (weight_bytes(t, rows, cols) + 3) / 4;
}

static_assert(weight_format(quant::Type::Q4_K).block_bytes == quant::info(quant::Type::Q4_K).block_bytes);
static_assert(weight_format(quant::Type::Q6_K).block_bytes == quant::info(quant::Type::Q6_K).block_bytes);
static_assert(weight_format(quant::Type::Q8_0).block_bytes == quant::info(quant::Type::Q8_0).block_bytes);
static_assert(weight_format(quant::Type::Q4_0).block_bytes == quant::info(quant::Type::Q4_0).block_bytes);
static_assert(weight_format(quant::Type::Q5_K).block_bytes == quant::info(quant::Type::Q5_K).block_bytes);
static_assert(weight_words(quant::Type::Q8_0, 1, 32) == 9);  // 34 bytes, padded to 36

}  // namespace qvk::ops
