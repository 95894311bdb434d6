// qvk/ops/argmax.hpp — greedy sampling on the GPU: the id of the first
// candidate in the sampler's order (runtime::greedy_token), in two dispatches.
//
// Definition (qvk/runtime/sampler_candidates.hpp): every logit is sanitized
// (NaN -> −inf, +inf -> FLT_MAX, |z| <= FLT_MIN -> +0); the result is the
// largest sanitized logit, ties to the lowest id (all NaN / −inf: token 0).
// The GPU compares integer keys (shaders/common/candidates.glsl): order(z)
// increases with the sanitized logit, and (order desc, id asc) is a total
// order, so the maximum does not depend on how threads or workgroups combine.
//
//   ArgmaxPartial: workgroup g takes logits [g·kItemsPerGroup, …) (the last
//     one ragged), threads stride over them, then a shared-memory tree keeps
//     the best key; writes partial[2g] = order, partial[2g+1] = id.
//   ArgmaxFinal: one workgroup reduces the argmax_partials(n) keys the same
//     way and writes token[0] = id, token[1] = the sanitized logit's bits.
// Record both for the same n, Partial first (vk::record puts the barrier
// between them). No atomics, no state carried between tokens: the command
// buffer can be replayed as is.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"

namespace qvk::ops {

// Logits per workgroup of the first pass (mapping only: the result is the same for any value).
inline constexpr std::uint32_t kArgmaxItemsPerGroup = 4096;

// Keys the first pass writes (one per workgroup).
inline constexpr std::uint32_t argmax_partials(std::uint32_t n) {
  return (n + kArgmaxItemsPerGroup - 1) / kArgmaxItemsPerGroup;
}

struct ArgmaxProblem {
  std::uint32_t n = 0;  // vocabulary size
};

inline constexpr bool argmax_valid(const ArgmaxProblem& p) {
  return p.n >= 1 && p.n <= 0x7fffffffu && argmax_partials(p.n) <= kMaxGroupsPerDim;
}

template <std::uint32_t WorkgroupSize>
struct ArgmaxPartial {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = "argmax_partial_f32";
  static constexpr std::string_view kSource = "argmax.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_ARGMAX_FINAL", 0}}};
  static constexpr std::array<SpecConstant, 2> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"ITEMS_PER_GROUP", 1, kArgmaxItemsPerGroup},
  }};

  struct PushConstants {
    std::uint32_t n;
  };
  static_assert(sizeof(PushConstants) == 4, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 1> kPushFields{{{"n", Scalar::U32, offsetof(PushConstants, n)}}};

  // logits [n] f32, partial [2·argmax_partials(n)] (order, id) pairs.
  static constexpr std::array<Binding, 2> kBindings{{{"logits", 0, Access::ReadOnly, Scalar::F32},
                                                     {"partial", 1, Access::WriteOnly, Scalar::U32}}};

  using Problem = ArgmaxProblem;
  static constexpr bool valid(const Problem& p) { return argmax_valid(p); }
  static constexpr Groups groups(const Problem& p) { return {argmax_partials(p.n), 1, 1}; }
  static constexpr PushConstants push_constants(const Problem& p) { return {p.n}; }
  static constexpr std::array<std::uint64_t, 2> elements(const Problem& p) {
    return {p.n, 2ull * argmax_partials(p.n)};
  }
};

template <std::uint32_t WorkgroupSize>
struct ArgmaxFinal {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = "argmax_final";
  static constexpr std::string_view kSource = "argmax.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_ARGMAX_FINAL", 1}}};
  static constexpr std::array<SpecConstant, 2> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"ITEMS_PER_GROUP", 1, kArgmaxItemsPerGroup},
  }};

  struct PushConstants {
    std::uint32_t partials;
  };
  static_assert(sizeof(PushConstants) == 4, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 1> kPushFields{
      {{"partials", Scalar::U32, offsetof(PushConstants, partials)}}};

  // partial [2·argmax_partials(n)] from ArgmaxPartial, token [2]: id, logit bits.
  static constexpr std::array<Binding, 2> kBindings{{{"partial", 0, Access::ReadOnly, Scalar::U32},
                                                     {"token", 1, Access::WriteOnly, Scalar::U32}}};

  using Problem = ArgmaxProblem;
  static constexpr bool valid(const Problem& p) { return argmax_valid(p); }
  static constexpr Groups groups(const Problem&) { return {1, 1, 1}; }
  static constexpr PushConstants push_constants(const Problem& p) { return {argmax_partials(p.n)}; }
  static constexpr std::array<std::uint64_t, 2> elements(const Problem& p) {
    return {2ull * argmax_partials(p.n), 2};
  }
};

// Qwen3 vocabularies: 151,936 -> 38 partials, 248,320 -> 61.
static_assert(ArgmaxPartial<256>::groups({151936}) == Groups{38, 1, 1});
static_assert(ArgmaxPartial<256>::groups({248320}) == Groups{61, 1, 1});
static_assert(ArgmaxFinal<256>::push_constants({4097}).partials == 2);

}  // namespace qvk::ops
