// qvk/quant/type.hpp — the GGML tensor type ids that can appear in a GGUF file.
//
// The reader must know the block geometry of every type a valid file can hold
// (to validate sizes and offsets), even the ones qvk cannot compute with; the
// `supported` flag says which ones have a trait type in this folder. Ids and
// block sizes are GGML's (gguf-py `GGML_QUANT_SIZES`), which are part of the
// file format.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qvk::quant {

enum class Type : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21,
  IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
  IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40,
  Q1_0 = 41, Q2_0 = 42,
};

struct TypeInfo {
  Type type;
  std::string_view name;      // GGML's spelling, e.g. "Q4_K"
  std::uint32_t block_elems;  // elements per block
  std::uint32_t block_bytes;  // bytes per block
  bool supported;             // qvk has a trait type (dequant, quantize, kernels)
};

inline constexpr TypeInfo kTypeInfos[] = {
    {Type::F32, "F32", 1, 4, true},         {Type::F16, "F16", 1, 2, true},
    {Type::Q4_0, "Q4_0", 32, 18, true},     {Type::Q4_1, "Q4_1", 32, 20, false},
    {Type::Q5_0, "Q5_0", 32, 22, false},    {Type::Q5_1, "Q5_1", 32, 24, false},
    {Type::Q8_0, "Q8_0", 32, 34, true},     {Type::Q8_1, "Q8_1", 32, 36, false},
    {Type::Q2_K, "Q2_K", 256, 84, false},   {Type::Q3_K, "Q3_K", 256, 110, false},
    {Type::Q4_K, "Q4_K", 256, 144, true},   {Type::Q5_K, "Q5_K", 256, 176, true},
    {Type::Q6_K, "Q6_K", 256, 210, true},   {Type::Q8_K, "Q8_K", 256, 292, false},
    {Type::IQ2_XXS, "IQ2_XXS", 256, 66, false}, {Type::IQ2_XS, "IQ2_XS", 256, 74, false},
    {Type::IQ3_XXS, "IQ3_XXS", 256, 98, false}, {Type::IQ1_S, "IQ1_S", 256, 50, false},
    {Type::IQ4_NL, "IQ4_NL", 32, 18, false},    {Type::IQ3_S, "IQ3_S", 256, 110, false},
    {Type::IQ2_S, "IQ2_S", 256, 82, false},     {Type::IQ4_XS, "IQ4_XS", 256, 136, false},
    {Type::I8, "I8", 1, 1, false},          {Type::I16, "I16", 1, 2, false},
    {Type::I32, "I32", 1, 4, false},        {Type::I64, "I64", 1, 8, false},
    {Type::F64, "F64", 1, 8, false},        {Type::IQ1_M, "IQ1_M", 256, 56, false},
    {Type::BF16, "BF16", 1, 2, true},       {Type::TQ1_0, "TQ1_0", 256, 54, false},
    {Type::TQ2_0, "TQ2_0", 256, 66, false}, {Type::MXFP4, "MXFP4", 32, 17, false},
    {Type::NVFP4, "NVFP4", 64, 36, false},  {Type::Q1_0, "Q1_0", 128, 18, false},
    {Type::Q2_0, "Q2_0", 64, 18, false},
};

// Info for a raw type id read from a file; nullopt for ids GGML does not define.
constexpr std::optional<TypeInfo> type_info(std::uint32_t id) {
  for (const TypeInfo& t : kTypeInfos)
    if (static_cast<std::uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

constexpr TypeInfo info(Type t) { return *type_info(static_cast<std::uint32_t>(t)); }
constexpr std::string_view name(Type t) { return info(t).name; }

// Case-insensitive lookup by GGML name ("q4_k" → Q4_K).
constexpr std::optional<Type> type_from_name(std::string_view s) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const TypeInfo& t : kTypeInfos) {
    if (t.name.size() != s.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < s.size() && eq; ++i) eq = lower(t.name[i]) == lower(s[i]);
    if (eq) return t.type;
  }
  return std::nullopt;
}

static_assert(info(Type::Q4_K).block_bytes == 144 && info(Type::Q6_K).block_bytes == 210);
static_assert(type_from_name("q8_0") == Type::Q8_0);

}  // namespace qvk::quant
