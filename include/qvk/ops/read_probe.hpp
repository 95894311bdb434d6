// qvk/ops/read_probe.hpp — a plain streaming read of a buffer: the device's
// read bandwidth, the roofline every GEMV is measured against (qvk_bench ops).
//
// Computes out[g] = XOR of the uvec4 words data[g], data[g + S], data[g + 2S], …
// (S = threads in the grid, g = global thread index), folded to one uint. XOR is
// exact and order-free, so the result checks that every word was read exactly
// once (XOR of all outputs == XOR of all data words) and the loads cannot be
// optimized away. Integer-only: no numerics contract involved.
//
// Mapping: a fixed grid of `groups` workgroups strides over the buffer; each
// thread keeps UNROLL independent 16-byte loads in flight per iteration.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"

namespace qvk::ops {

template <std::uint32_t WorkgroupSize = 256, std::uint32_t Unroll = 4>
struct ReadProbe {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static_assert(Unroll >= 1 && Unroll <= 16, "unroll out of range");

  static constexpr std::string_view kVariant = "read_probe";
  static constexpr std::string_view kSource = "read_probe.comp";
  static constexpr std::array<Define, 0> kDefines{};
  static constexpr std::array<SpecConstant, 2> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"UNROLL", 1, Unroll},
  }};

  struct PushConstants {
    std::uint32_t n;  // uvec4 words in data
  };
  static_assert(sizeof(PushConstants) == 4, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 1> kPushFields{{{"n", Scalar::U32, offsetof(PushConstants, n)}}};

  static constexpr std::array<Binding, 2> kBindings{{
      {"data", 0, Access::ReadOnly, Scalar::U32x4},
      {"out_xor", 1, Access::WriteOnly, Scalar::U32},
  }};

  struct Problem {
    std::uint32_t n = 0;        // uvec4 words to read
    std::uint32_t groups = 1;   // workgroups in the grid
  };

  // n < 2^31 and at most 65,535 groups keep every index arithmetic inside 32 bits.
  static constexpr bool valid(const Problem& p) {
    return p.n >= 1 && p.n < (1u << 31) && p.groups >= 1 && p.groups <= 65535;
  }
  static constexpr Groups groups(const Problem& p) { return {p.groups, 1, 1}; }
  static constexpr PushConstants push_constants(const Problem& p) { return {p.n}; }
  static constexpr std::uint32_t threads(const Problem& p) { return p.groups * WorkgroupSize; }
  static constexpr std::array<std::uint64_t, 2> elements(const Problem& p) { return {p.n, threads(p)}; }
};

static_assert(ReadProbe<256>::groups({1u << 20, 1024}) == Groups{1024, 1, 1});
static_assert(ReadProbe<256>::elements({100, 2})[1] == 512);

}  // namespace qvk::ops
