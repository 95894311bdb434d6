// qvk/ops/kv_append.hpp — the KV-cache append op descriptor: `rows` K and V
// rows (f32) become f16 rows of one layer's cache at positions pos0 + r
// (plus pos[0] in the Buffer form).
//
// Computes k_cache[p][j] = f32_to_f16_bits(k[r][j]) and the same for V, for
// r < rows, j < kv_dim, p = pos0 + r (+ pos[0]) — exactly ref::to_f16 into
// ref::KvLayer (integer round-to-nearest-even, numerics::f32_to_f16_bits; no
// flush: the conversion is integer code on the bits, and every f32 at or below
// FLT_MIN becomes ±0 in f16 anyway).
// Cache layout (shared with attention; do not change): one buffer per layer
// and per K/V, [capacity][kv_dim] f16, i.e. exactly the bytes of the
// reference's std::vector<uint16_t>; the shader reads and writes it as uint
// words holding two halves, the low half the even element, so kv_dim must be
// even. A Buffer-form position outside the cache (p >= capacity) writes nothing.
//
// Thread -> data mapping: invocation (x, y) = (word w of the row, row r)
// converts elements 2w, 2w+1 of K and of V: groups = (ceil(kv_dim/2 /
// WorkgroupSize), rows).
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
struct KvAppend {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static constexpr bool kFromBuffer = From == PositionFrom::Buffer;

  static constexpr std::string_view kVariant = kFromBuffer ? "kv_append_posbuf_f16" : "kv_append_f16";
  static constexpr std::string_view kSource = "kv_append.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_POS_FROM_BUFFER", kFromBuffer ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t kv_dim;
    std::uint32_t pos0;
    std::uint32_t capacity;
  };
  static_assert(sizeof(PushConstants) == 16, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 4> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"kv_dim", Scalar::U32, offsetof(PushConstants, kv_dim)},
      {"pos0", Scalar::U32, offsetof(PushConstants, pos0)},
      {"capacity", Scalar::U32, offsetof(PushConstants, capacity)},
  }};

  // k, v [rows][kv_dim] f32; k_cache, v_cache [capacity][kv_dim/2] uint words
  // (two f16 each); position [1] (Buffer form only).
  static constexpr auto kBindings = [] {
    if constexpr (kFromBuffer)
      return std::array<Binding, 5>{{{"k", 0, Access::ReadOnly, Scalar::F32},
                                     {"v", 1, Access::ReadOnly, Scalar::F32},
                                     {"k_cache", 2, Access::WriteOnly, Scalar::U32},
                                     {"v_cache", 3, Access::WriteOnly, Scalar::U32},
                                     {"position", 4, Access::ReadOnly, Scalar::U32}}};
    else
      return std::array<Binding, 4>{{{"k", 0, Access::ReadOnly, Scalar::F32},
                                     {"v", 1, Access::ReadOnly, Scalar::F32},
                                     {"k_cache", 2, Access::WriteOnly, Scalar::U32},
                                     {"v_cache", 3, Access::WriteOnly, Scalar::U32}}};
  }();

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t kv_dim = 0;    // kv_heads · head_dim, even
    std::uint32_t pos0 = 0;      // cache row of k/v row 0 (plus pos[0] in the Buffer form)
    std::uint32_t capacity = 0;  // rows of the cache buffers
  };

  static constexpr bool valid(const Problem& p) {
    return p.rows >= 1 && p.rows <= kMaxGroupsPerDim && p.kv_dim >= 2 && p.kv_dim % 2 == 0 &&
           std::uint64_t(p.rows) * p.kv_dim <= 0xffffffffu &&
           (p.kv_dim / 2 + WorkgroupSize - 1) / WorkgroupSize <= kMaxGroupsPerDim && p.capacity >= 1 &&
           std::uint64_t(p.capacity) * (p.kv_dim / 2) <= 0xffffffffu &&
           std::uint64_t(p.pos0) + p.rows <= p.capacity;
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) {
    return {(p.kv_dim / 2 + WorkgroupSize - 1) / WorkgroupSize, p.rows, 1};
  }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.rows, p.kv_dim, p.pos0, p.capacity}; }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t in = std::uint64_t(p.rows) * p.kv_dim;
    const std::uint64_t cache = std::uint64_t(p.capacity) * (p.kv_dim / 2);
    if constexpr (kFromBuffer)
      return {in, in, cache, cache, 1};
    else
      return {in, in, cache, cache};
  }
};

// Qwen3-8B: 8 KV heads of 128 -> 512 words per row, 2 groups of 256.
static_assert(KvAppend<256>::groups({1, 1024, 10, 4096}) == Groups{2, 1, 1});
static_assert(KvAppend<64>::valid({3, 1024, 4093, 4096}) && !KvAppend<64>::valid({3, 1024, 4094, 4096}) &&
              !KvAppend<64>::valid({1, 1023, 0, 4096}));

}  // namespace qvk::ops
