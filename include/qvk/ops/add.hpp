// qvk/ops/add.hpp — the element-wise add op descriptor: the Qwen2 QKV bias
// (Broadcast: one bias row added to every row) or a plain x += y.
//
// Computes, for each of `rows` rows of n floats, in place:
//   Broadcast:  x[r][i] = add(flush(x[r][i]), flush(y[i]))     (ref::add_bias)
//   otherwise:  x[r][i] = add(flush(x[r][i]), flush(y[r][i]))  (ref::add_inplace)
// numerics::add is the rounded sum, then the tiny-value flush. The reference
// flushes the bias at load (it comes from the weights, possibly subnormal) and
// not x (activations are flushed already); flushing every input here is the
// identity on flushed activations and makes any input device-independent.
// (The residual adds of the forward pass are fused into RmsNorm<.., true>; this
// op is the bias, and a plain add for any other use.)
//
// Thread -> data mapping: invocation (x, y) = (element, row) in a grid-stride
// loop over the n elements of row y (ops/grid.hpp): groups =
// (min(ceil(n / WorkgroupSize), 65535), rows).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"

namespace qvk::ops {

template <std::uint32_t WorkgroupSize, bool Broadcast>
struct Add {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = Broadcast ? "add_bias_f32" : "add_f32";
  static constexpr std::string_view kSource = "add.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_BROADCAST", Broadcast ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t n;
  };
  static_assert(sizeof(PushConstants) == 8, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 2> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"n", Scalar::U32, offsetof(PushConstants, n)},
  }};

  // x [rows][n] (read-write), y [n] (Broadcast) or [rows][n].
  static constexpr std::array<Binding, 2> kBindings{{{"x", 0, Access::ReadWrite, Scalar::F32},
                                                     {"y", 1, Access::ReadOnly, Scalar::F32}}};

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t n = 0;
  };

  static constexpr bool valid(const Problem& p) {
    return p.rows >= 1 && p.rows <= kMaxGroupsPerDim && p.n >= 1 && p.n <= 0x7fffffffu &&
           std::uint64_t(p.rows) * p.n <= 0xffffffffu;
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) { return {grid_stride_groups(p.n, WorkgroupSize).x, p.rows, 1}; }
  static constexpr PushConstants push_constants(const Problem& p) { return {p.rows, p.n}; }
  static constexpr std::array<std::uint64_t, 2> elements(const Problem& p) {
    const std::uint64_t m = std::uint64_t(p.rows) * p.n;
    return {m, Broadcast ? p.n : m};
  }
};

// Qwen2.5-7B q bias for 5 rows: 3584 elements, 14 groups of 256 per row.
static_assert(Add<256, true>::groups({5, 3584}) == Groups{14, 5, 1});

}  // namespace qvk::ops
