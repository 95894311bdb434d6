// qvk/model/arch.hpp — model architectures named by `general.architecture`.
//
// Only the dense Qwen families run today. The MoE and hybrid families are
// recognized so that a user who loads one hears "not supported yet" instead of
// "unknown architecture".
#pragma once

#include <optional>
#include <string_view>

namespace qvk::model {

enum class Arch { Qwen2, Qwen3 };

struct ArchName {
  std::string_view name;
  std::optional<Arch> arch;  // nullopt: recognized, not supported yet
};

inline constexpr ArchName kArchNames[] = {
    {"qwen2", Arch::Qwen2},       {"qwen3", Arch::Qwen3},     {"qwen2moe", std::nullopt},
    {"qwen3moe", std::nullopt},   {"qwen3next", std::nullopt}, {"qwen35", std::nullopt},
    {"qwen35moe", std::nullopt},
};

constexpr std::string_view arch_name(Arch a) { return a == Arch::Qwen2 ? "qwen2" : "qwen3"; }

// Qwen2 adds biases to Q/K/V; Qwen3 drops them and RMS-normalizes each head of Q and K.
constexpr bool has_qkv_bias(Arch a) { return a == Arch::Qwen2; }
constexpr bool has_qk_norm(Arch a) { return a == Arch::Qwen3; }

}  // namespace qvk::model
