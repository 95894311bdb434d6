// qvk/ops/rope.hpp — the RoPE (NeoX layout) op descriptor: rotates, in place,
// every head of `rows` rows of q or k with cos/sin tables made on the host.
//
// Computes, for row r (position p = pos0 + r, plus pos[0] in the Buffer form),
// each head h and pair i in [0, head_dim/2), with half = head_dim/2,
// v = x[r][h·head_dim …], c = cos_table[p][i], s = sin_table[p][i]:
//   x0 = v[i], x1 = v[i + half]                  (both flushed at load)
//   v[i]        = sub(mul(x0, c), mul(x1, s))
//   v[i + half] = add(mul(x0, s), mul(x1, c))
// — exactly ref::rope_neox (numerics::add/sub/mul: rounded, then the tiny-value
// flush). The tables are ops::make_rope_table() uploaded as is: [positions][half]
// f32 each. Loading x flushed makes subnormal inputs device-independent; for
// flushed activations (every activation is) it is the identity, so the result is
// ref::rope_neox(x) bit for bit, and ref::rope_neox(flush(x)) for any x.
// A Buffer-form position outside the table (p >= table_positions) writes the
// canonical NaN to both elements of each pair instead (the push form rejects
// such a problem in valid()).
//
// Thread -> data mapping: invocation (x, y) = (pair index h·half + i, row):
// groups = (ceil(heads·half / WorkgroupSize), rows). Element-wise, so the
// mapping never changes a bit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"
#include "qvk/ops/position.hpp"

namespace qvk::ops {

template <std::uint32_t WorkgroupSize, PositionFrom From = PositionFrom::PushConstant>
struct RopeNeox {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static constexpr bool kFromBuffer = From == PositionFrom::Buffer;

  static constexpr std::string_view kVariant = kFromBuffer ? "rope_neox_posbuf_f32" : "rope_neox_f32";
  static constexpr std::string_view kSource = "rope_neox.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_POS_FROM_BUFFER", kFromBuffer ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t heads;
    std::uint32_t head_dim;
    std::uint32_t pos0;
    std::uint32_t table_positions;
  };
  static_assert(sizeof(PushConstants) == 20, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 5> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"heads", Scalar::U32, offsetof(PushConstants, heads)},
      {"head_dim", Scalar::U32, offsetof(PushConstants, head_dim)},
      {"pos0", Scalar::U32, offsetof(PushConstants, pos0)},
      {"table_positions", Scalar::U32, offsetof(PushConstants, table_positions)},
  }};

  // x [rows][heads·head_dim] (rotated in place), cos_table and sin_table
  // [table_positions][head_dim/2], position [1] (Buffer form only).
  static constexpr auto kBindings = [] {
    if constexpr (kFromBuffer)
      return std::array<Binding, 4>{{{"x", 0, Access::ReadWrite, Scalar::F32},
                                     {"cos_table", 1, Access::ReadOnly, Scalar::F32},
                                     {"sin_table", 2, Access::ReadOnly, Scalar::F32},
                                     {"position", 3, Access::ReadOnly, Scalar::U32}}};
    else
      return std::array<Binding, 3>{{{"x", 0, Access::ReadWrite, Scalar::F32},
                                     {"cos_table", 1, Access::ReadOnly, Scalar::F32},
                                     {"sin_table", 2, Access::ReadOnly, Scalar::F32}}};
  }();

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t heads = 0;
    std::uint32_t head_dim = 0;
    std::uint32_t pos0 = 0;             // position of row 0 (plus pos[0] in the Buffer form)
    std::uint32_t table_positions = 0;  // rows of the cos/sin tables
  };

  static constexpr std::uint64_t pairs(const Problem& p) { return std::uint64_t(p.heads) * (p.head_dim / 2); }

  static constexpr bool valid(const Problem& p) {
    return p.rows >= 1 && p.rows <= kMaxGroupsPerDim && p.heads >= 1 && p.head_dim >= 2 && p.head_dim % 2 == 0 &&
           std::uint64_t(p.rows) * p.heads * p.head_dim <= 0xffffffffu &&
           (pairs(p) + WorkgroupSize - 1) / WorkgroupSize <= kMaxGroupsPerDim && p.table_positions >= 1 &&
           std::uint64_t(p.table_positions) * (p.head_dim / 2) <= 0xffffffffu &&
           std::uint64_t(p.pos0) + p.rows <= p.table_positions;
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) {
    return {static_cast<std::uint32_t>((pairs(p) + WorkgroupSize - 1) / WorkgroupSize), p.rows, 1};
  }

  static constexpr PushConstants push_constants(const Problem& p) {
    return {p.rows, p.heads, p.head_dim, p.pos0, p.table_positions};
  }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t x = std::uint64_t(p.rows) * p.heads * p.head_dim;
    const std::uint64_t t = std::uint64_t(p.table_positions) * (p.head_dim / 2);
    if constexpr (kFromBuffer)
      return {x, t, t, 1};
    else
      return {x, t, t};
  }
};

// Qwen3-8B decode: 32 query heads of 128 -> 2048 pairs, 8 groups of 256.
static_assert(RopeNeox<256>::groups({1, 32, 128, 7, 4096}) == Groups{8, 1, 1});
static_assert(RopeNeox<64>::groups({5, 8, 64, 0, 16}) == Groups{4, 5, 1});
static_assert(RopeNeox<64>::valid({1, 32, 128, 4095, 4096}) && !RopeNeox<64>::valid({2, 32, 128, 4095, 4096}) &&
              !RopeNeox<64>::valid({1, 32, 127, 0, 4096}));

}  // namespace qvk::ops
