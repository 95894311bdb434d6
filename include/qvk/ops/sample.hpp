// qvk/ops/sample.hpp — the sampler's draw on the GPU: from the first k
// candidates (TopKMerge's values and ids, in candidate order) and a draw u, the
// token runtime::sample_candidates picks — top-p, min-p, the temperature softmax
// and the weighted draw, in the canonical arithmetic (sampler_filters.hpp).
//
// Definition, with z_i = values[i] (sanitized logits, z_0 the best):
//   z_0 = -inf (every logit NaN / -inf)      -> ids[0]
//   n = k; if top_p < 1 or min_p > 0:
//     w1_i = exp(z_i - z_0)                    (every op numerics::sub/exp)
//     top_p < 1: n = the shortest prefix whose running sum (numerics::add in
//       order, from +0) is >= top_p * total(w1[0, k)), else k
//     min_p > 0: keep, in order, the i < n with w1_i >= min_p
//   one candidate left                         -> ids[0]
//   w_i = exp((z_i - z_0) * inv_temp) over the kept candidates; the first kept
//   index whose running sum exceeds u * total(w), else the last with w_i > 0.
// total() is numerics::strided_sum over kSampleLanes lanes (lane l sums terms
// l, l+32, … from +0, then the pairwise tree). u is read from a device word
// (its f32 bits), so a command buffer recorded once samples every step with
// that step's draw; k, top_p, min_p and inv_temp are push constants.
//
// One workgroup: the weights in parallel (one per thread), the lane sums on
// kSampleLanes threads, the prefix scans on one thread (k <= kTopKMaxK, so a
// scan is at most 128 adds). Writes token[0] = the id. Record it after
// TopKPartial and TopKMerge for the same k.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"
#include "qvk/ops/topk.hpp"

namespace qvk::ops {

// Logical lanes of every sampler total (runtime::kSamplerLanes).
inline constexpr std::uint32_t kSampleLanes = 32;

struct SampleProblem {
  std::uint32_t k = 0;       // candidates in values/ids: 1 <= k <= kTopKMaxK
  float top_p = 1.0f;        // 0 or in (FLT_MIN, 1]; 1: off (0: the first candidate only)
  float min_p = 0.0f;        // 0 or in (FLT_MIN, 1]; 0: off
  float inv_temp = 1.0f;     // runtime::inv_temperature(t): > FLT_MIN
  friend constexpr bool operator==(const SampleProblem&, const SampleProblem&) = default;
};

template <std::uint32_t WorkgroupSize>
struct SampleCandidates {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::string_view kVariant = "sample_candidates";
  static constexpr std::string_view kSource = "sample.comp";
  static constexpr std::array<Define, 0> kDefines{};
  static constexpr std::array<SpecConstant, 3> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"LANES", 1, kSampleLanes},
      {"MAX_K", 2, kTopKMaxK},
  }};

  struct PushConstants {
    std::uint32_t k;
    float top_p;
    float min_p;
    float inv_temp;
  };
  static_assert(sizeof(PushConstants) == 16, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 4> kPushFields{{
      {"k", Scalar::U32, offsetof(PushConstants, k)},
      {"top_p", Scalar::F32, offsetof(PushConstants, top_p)},
      {"min_p", Scalar::F32, offsetof(PushConstants, min_p)},
      {"inv_temp", Scalar::F32, offsetof(PushConstants, inv_temp)},
  }};

  // values [k] f32 and ids [k] from TopKMerge, draw [1] (u's f32 bits), token [1] out.
  static constexpr std::array<Binding, 4> kBindings{{{"values", 0, Access::ReadOnly, Scalar::F32},
                                                     {"ids", 1, Access::ReadOnly, Scalar::U32},
                                                     {"draw", 2, Access::ReadOnly, Scalar::F32},
                                                     {"token", 3, Access::WriteOnly, Scalar::U32}}};

  using Problem = SampleProblem;

  // The settings as runtime::make_sample_config() makes them (NaN fails every
  // test): top_p and min_p 0 or normal — no subnormal, which a device might
  // flush when it compares or multiplies a push constant — and inv_temp as
  // runtime::inv_temperature() returns it (above FLT_MIN, finite).
  static constexpr bool fraction(float x) {
    return x == 0.0f || (x > std::numeric_limits<float>::min() && x <= 1.0f);
  }
  static constexpr bool valid(const Problem& p) {
    return p.k >= 1 && p.k <= kTopKMaxK && fraction(p.top_p) && fraction(p.min_p) &&
           p.inv_temp > std::numeric_limits<float>::min() && p.inv_temp <= std::numeric_limits<float>::max();
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem&) { return {1, 1, 1}; }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.k, p.top_p, p.min_p, p.inv_temp}; }

  static constexpr std::array<std::uint64_t, 4> elements(const Problem& p) { return {p.k, p.k, 1, 1}; }
};

static_assert(SampleCandidates<128>::valid({40, 0.95f, 0.05f, 1.25f}));
static_assert(!SampleCandidates<128>::valid({kTopKMaxK + 1, 1.0f, 0.0f, 1.0f}) &&
              !SampleCandidates<128>::valid({40, 1e-40f, 0.0f, 1.0f}) &&
              !SampleCandidates<128>::valid({40, 1.0f, 1e-40f, 1.0f}) &&
              !SampleCandidates<128>::valid({40, 1.0f, 0.0f, 0.0f}));

}  // namespace qvk::ops
