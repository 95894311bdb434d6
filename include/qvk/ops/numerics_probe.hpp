// qvk/ops/numerics_probe.hpp — a test-only op: applies one function of
// shaders/common/numerics.glsl to every word of an input array, so tests can
// compare the GLSL mirror with include/qvk/numerics bit for bit on the device
// (tests/vk/numerics_probe_test.cpp). No forward pass uses it.
//
// y[i] = f(x[i]) for i < n, with f chosen by the push constant `fn` (Fn):
//   Exp, Recip, Rsqrt: f32 bits -> f32 bits (qvk_exp / qvk_recip / qvk_rsqrt)
//   F32ToF16:  f32 bits -> f16 bits in the low half (qvk_f32_to_f16_bits)
//   F16ToF32:  low 16 bits as f16 -> f32 bits (qvk_f16_bits_to_f32)
//   Bf16ToF32: low 16 bits as bf16 -> f32 bits (qvk_bf16_bits_to_f32)
// Everything is passed as uint words so no load or store can touch the bits.
// Mapping: grid-stride loop (ops/grid.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"

namespace qvk::ops {

enum class ProbeFn : std::uint32_t { Exp = 0, Recip = 1, Rsqrt = 2, F32ToF16 = 3, F16ToF32 = 4, Bf16ToF32 = 5 };

template <std::uint32_t WorkgroupSize>
struct NumericsProbe {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = "numerics_probe";
  static constexpr std::string_view kSource = "numerics_probe.comp";
  static constexpr std::array<Define, 0> kDefines{};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t n;
    std::uint32_t fn;
  };
  static_assert(sizeof(PushConstants) == 8, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 2> kPushFields{{
      {"n", Scalar::U32, offsetof(PushConstants, n)},
      {"fn", Scalar::U32, offsetof(PushConstants, fn)},
  }};

  static constexpr std::array<Binding, 2> kBindings{{{"x", 0, Access::ReadOnly, Scalar::U32},
                                                     {"y", 1, Access::WriteOnly, Scalar::U32}}};

  struct Problem {
    std::uint32_t n = 0;
    ProbeFn fn = ProbeFn::Exp;
  };

  static constexpr bool valid(const Problem& p) {
    return p.n >= 1 && p.n <= 0x7fffffffu && static_cast<std::uint32_t>(p.fn) <= 5;
  }
  static constexpr Groups groups(const Problem& p) { return grid_stride_groups(p.n, WorkgroupSize); }
  static constexpr PushConstants push_constants(const Problem& p) { return {p.n, static_cast<std::uint32_t>(p.fn)}; }
  static constexpr std::array<std::uint64_t, 2> elements(const Problem& p) { return {p.n, p.n}; }
};

}  // namespace qvk::ops
