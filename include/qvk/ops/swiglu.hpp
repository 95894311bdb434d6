// qvk/ops/swiglu.hpp — the SwiGLU op descriptor (the FFN gate of Qwen).
//
// Computes, for i < n (n = rows · ffn for a batch of rows, the buffers are
// contiguous):
//   g = flush(g_in[i]), u = flush(u_in[i])
//   sig = recip(add(1, exp(−g)))      (−g: the sign bit flipped, exact)
//   out[i] = mul(mul(g, sig), u)
// — exactly ref::swiglu (numerics::exp / recip / add / mul: rounded, then the
// tiny-value flush). g and u are flushed at load so subnormal inputs give the
// same bits on every device; for flushed activations (every activation is)
// that is the identity, so out = ref::swiglu(g, u), and ref::swiglu(flush(g),
// flush(u)) for any input.
//
// The element is written once in GLSL (shaders/common/swiglu.glsl) and shared
// with QuantizeAct<.., ActInput::SwiGlu>, which quantizes it without storing it.
//
// Thread -> data mapping: grid-stride loop (ops/grid.hpp), one element per step.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"

namespace qvk::ops {

template <std::uint32_t WorkgroupSize>
struct SwiGlu {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = "swiglu_f32";
  static constexpr std::string_view kSource = "swiglu.comp";
  static constexpr std::array<Define, 0> kDefines{};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t n;
  };
  static_assert(sizeof(PushConstants) == 4, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 1> kPushFields{{{"n", Scalar::U32, offsetof(PushConstants, n)}}};

  // g, u [n] (read), out [n] (written; may not alias g or u).
  static constexpr std::array<Binding, 3> kBindings{{{"g", 0, Access::ReadOnly, Scalar::F32},
                                                     {"u", 1, Access::ReadOnly, Scalar::F32},
                                                     {"out_", 2, Access::WriteOnly, Scalar::F32}}};

  struct Problem {
    std::uint32_t n = 0;
  };

  // n < 2^31 keeps the grid-stride index from wrapping.
  static constexpr bool valid(const Problem& p) { return p.n >= 1 && p.n <= 0x7fffffffu; }
  static constexpr Groups groups(const Problem& p) { return grid_stride_groups(p.n, WorkgroupSize); }
  static constexpr PushConstants push_constants(const Problem& p) { return {p.n}; }
  static constexpr std::array<std::uint64_t, 3> elements(const Problem& p) { return {p.n, p.n, p.n}; }
};

static_assert(SwiGlu<256>::groups({12288}) == Groups{48, 1, 1});

}  // namespace qvk::ops
