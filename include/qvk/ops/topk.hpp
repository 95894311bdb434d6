// qvk/ops/topk.hpp — the top-k candidates of the sampler on the GPU: the first
// k entries of runtime::gather_candidates(logits, k), (sanitized logit, id) in
// candidate order, in two dispatches.
//
// Definition (qvk/runtime/sampler_candidates.hpp): logits are sanitized (NaN
// -> −inf, +inf -> FLT_MAX, |z| <= FLT_MIN -> +0); the candidate order is logit
// descending, ties by id ascending — a total order, so the first k are one
// well-defined list whatever algorithm selects them. The GPU works on integer
// keys (shaders/common/candidates.glsl) and writes values[j] = the sanitized
// logit, ids[j] = the id of the j-th candidate, j < k <= kTopKMaxK.
//
//   TopKPartial: workgroup g takes logits [g·kTopKItemsPerGroup, …) and keeps
//     its own first k in shared memory: tiles of Chunk − k logits; the keys
//     that come before the current k-th are appended after the kept list
//     (in any order), then the list is re-sorted (bitonic sort of the next
//     power of two >= k + appended, padded with "no candidate"). Writes its k
//     keys (order, id pairs; "no candidate" where the group has fewer than k).
//   TopKMerge: one workgroup does the same over the k·topk_partials(n) keys
//     of the first pass and writes values and ids.
// The first k of all logits are among the union of every group's first k, and
// every step selects under the total order, so the result is exact and does
// not depend on the workgroup size, the tile size or thread timing.
// Record both for the same problem, Partial first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"

namespace qvk::ops {

// The largest k the op supports (a top-k/top-p/min-p sampler's candidate list).
inline constexpr std::uint32_t kTopKMaxK = 128;
// Logits per workgroup of the first pass (mapping only: the result is the same for any value).
inline constexpr std::uint32_t kTopKItemsPerGroup = 4096;

inline constexpr std::uint32_t topk_partials(std::uint32_t n) {
  return (n + kTopKItemsPerGroup - 1) / kTopKItemsPerGroup;
}

struct TopKProblem {
  std::uint32_t n = 0;  // vocabulary size
  std::uint32_t k = 0;  // 1 <= k <= min(n, kTopKMaxK)
};

template <std::uint32_t WorkgroupSize, std::uint32_t Chunk, bool Merge>
struct TopKPass {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static_assert((Chunk & (Chunk - 1)) == 0 && Chunk >= 2 * kTopKMaxK && Chunk <= 4096,
                "Chunk: a power of two holding the kept list and a tile at least as long");

  static constexpr std::string_view kVariant = Merge ? "topk_merge" : "topk_partial_f32";
  static constexpr std::string_view kSource = "topk.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_TOPK_MERGE", Merge ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 3> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"CHUNK", 1, Chunk},
      {"ITEMS_PER_GROUP", 2, kTopKItemsPerGroup},
  }};

  // items: logits (Partial) or partial keys (Merge) to select from.
  struct PushConstants {
    std::uint32_t items;
    std::uint32_t k;
  };
  static_assert(sizeof(PushConstants) == 8, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 2> kPushFields{{
      {"items", Scalar::U32, offsetof(PushConstants, items)},
      {"k", Scalar::U32, offsetof(PushConstants, k)},
  }};

  // Partial: logits [n] f32 -> partial [2·k·topk_partials(n)] (order, id pairs).
  // Merge: partial -> values [k] f32 (sanitized logits), ids [k].
  static constexpr auto kBindings = [] {
    if constexpr (Merge)
      return std::array<Binding, 3>{{{"partial", 0, Access::ReadOnly, Scalar::U32},
                                     {"values", 1, Access::WriteOnly, Scalar::F32},
                                     {"ids", 2, Access::WriteOnly, Scalar::U32}}};
    else
      return std::array<Binding, 2>{{{"logits", 0, Access::ReadOnly, Scalar::F32},
                                     {"partial", 1, Access::WriteOnly, Scalar::U32}}};
  }();

  using Problem = TopKProblem;

  static constexpr bool valid(const Problem& p) {
    return p.n >= 1 && p.n <= 0x7fffffffu && topk_partials(p.n) <= kMaxGroupsPerDim && p.k >= 1 &&
           p.k <= kTopKMaxK && p.k <= p.n && std::uint64_t(p.k) * topk_partials(p.n) <= 0x7fffffffu;
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) { return {Merge ? 1u : topk_partials(p.n), 1, 1}; }

  static constexpr PushConstants push_constants(const Problem& p) {
    return {Merge ? p.k * topk_partials(p.n) : p.n, p.k};
  }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t keys = 2ull * p.k * topk_partials(p.n);
    if constexpr (Merge)
      return {keys, p.k, p.k};
    else
      return {p.n, keys};
  }
};

template <std::uint32_t WorkgroupSize, std::uint32_t Chunk = 1024>
using TopKPartial = TopKPass<WorkgroupSize, Chunk, false>;
template <std::uint32_t WorkgroupSize, std::uint32_t Chunk = 1024>
using TopKMerge = TopKPass<WorkgroupSize, Chunk, true>;

static_assert(TopKPartial<256>::groups({151936, 40}) == Groups{38, 1, 1});
static_assert(TopKMerge<256>::push_constants({248320, 64}).items == 61 * 64);
static_assert(TopKMerge<256>::valid({248320, 128}) && !TopKMerge<256>::valid({248320, 129}) &&
              !TopKPartial<256>::valid({10, 11}));

}  // namespace qvk::ops
