// qvk/ops/rmsnorm.hpp — the RMSNorm op descriptor (hidden-state norm and
// per-head QK-norm), optionally fused with the residual add before it.
//
// Computes, for each of `rows` independent rows of n floats:
//   AddResidual:  h = x + r, written back to x   (numerics::add)
//   otherwise:    h = x
//   ss = Σ h_i²      over Lanes logical lanes (docs/numerics.md): lane l sums
//                    h_l², h_{l+L}², … in increasing i from +0, then the
//                    pairwise tree s = L/2, …, 1
//   rs = rsqrt(ss·inv_n + eps)   (numerics::rsqrt; inv_n = f32(1/n) from the host)
//   y_i = (h_i·rs)·w_i
// Every float op is a rounded add/mul followed by the tiny-value flush; x, r
// and w are flushed as they are loaded, so subnormal inputs behave the same on
// every device. The reference twin is ref::add_inplace + ref::rmsnorm.
//
// Thread -> data mapping (free to change, the order above is not): one
// workgroup per row, walked in tiles of min(8·WorkgroupSize, 2048) elements:
// thread t loads elements t, t+WorkgroupSize, … of the tile into registers
// (all its loads in flight at once) and squares them into shared memory; the
// owner of logical lane l (thread l mod WorkgroupSize) adds the tile's squares
// of lane l in order. Then one thread runs the lane tree in registers, and
// thread t writes its elements — from registers when the row is one tile,
// else re-read (x holds h by then).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/plan.hpp"

namespace qvk::ops {

template <std::uint32_t WorkgroupSize, bool AddResidual = false, std::uint32_t Lanes = std::uint32_t(kNormLanes)>
struct RmsNorm {
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static_assert((WorkgroupSize & (WorkgroupSize - 1)) == 0, "workgroup size must be a power of two (chunks hold whole lanes)");
  static_assert(Lanes > 0 && (Lanes & (Lanes - 1)) == 0, "lane count must be a power of two");
  static_assert(Lanes <= 32, "rmsnorm.comp keeps the lanes in a 32-element register array for its tree");
  static_assert(Lanes <= 8 * WorkgroupSize, "a tile (min(8·workgroup, 2048) elements) must hold whole lanes");

  static constexpr std::uint32_t kWorkgroupSize = WorkgroupSize;
  static constexpr std::uint32_t kLanes = Lanes;
  static constexpr bool kAddResidual = AddResidual;

  // SPIR-V variant (types/structure) and its GLSL source in shaders/.
  static constexpr std::string_view kVariant = AddResidual ? "rmsnorm_add_f32" : "rmsnorm_f32";
  static constexpr std::string_view kSource = "rmsnorm.comp";

  static constexpr std::array<Define, 1> kDefines{{{"QVK_ADD_RESIDUAL", AddResidual ? 1 : 0}}};

  static constexpr std::array<SpecConstant, 2> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"LANES", 1, Lanes},
  }};

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t n;
    float eps;
    float inv_n;
  };
  static_assert(sizeof(PushConstants) == 16, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 4> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"n", Scalar::U32, offsetof(PushConstants, n)},
      {"eps", Scalar::F32, offsetof(PushConstants, eps)},
      {"inv_n", Scalar::F32, offsetof(PushConstants, inv_n)},
  }};

  // x [rows][n] (read, or read-write when AddResidual), r [rows][n] (only when
  // AddResidual), w [n], y [rows][n] (written).
  static constexpr auto kBindings = [] {
    if constexpr (AddResidual)
      return std::array<Binding, 4>{{{"x", 0, Access::ReadWrite, Scalar::F32},
                                     {"r", 1, Access::ReadOnly, Scalar::F32},
                                     {"w", 2, Access::ReadOnly, Scalar::F32},
                                     {"y", 3, Access::WriteOnly, Scalar::F32}}};
    else
      return std::array<Binding, 3>{{{"x", 0, Access::ReadOnly, Scalar::F32},
                                     {"w", 1, Access::ReadOnly, Scalar::F32},
                                     {"y", 2, Access::WriteOnly, Scalar::F32}}};
  }();

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t n = 0;
    float eps = 1e-6f;
  };

  // Vulkan guarantees 65,535 workgroups per dimension; one workgroup per row.
  static constexpr std::uint32_t kMaxRows = 65535;

  static constexpr bool valid(const Problem& p) {
    return p.rows >= 1 && p.rows <= kMaxRows && p.n >= 1 &&
           std::uint64_t(p.rows) * p.n <= 0xffffffffu &&  // element index fits a uint
           p.eps >= 0.0f && p.eps <= 3.4e38f;             // finite, not NaN
  }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) { return {p.rows, 1, 1}; }

  // inv_n is f32(1/n) computed in double and rounded once, exactly as the
  // reference's ref::inv_count(n).
  static constexpr PushConstants push_constants(const Problem& p) {
    return {p.rows, p.n, p.eps, static_cast<float>(1.0 / static_cast<double>(p.n))};
  }

  // Element counts of each binding, in binding order (for buffer sizing and
  // range checks by the recorder).
  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t m = std::uint64_t(p.rows) * p.n;
    if constexpr (AddResidual)
      return {m, m, p.n, m};
    else
      return {m, p.n, m};
  }
};

static_assert(RmsNorm<64>::groups({5120, 4096, 1e-6f}) == Groups{5120, 1, 1});
static_assert(RmsNorm<256, true>::groups({1, 1024, 1e-6f}) == Groups{1, 1, 1});
static_assert(RmsNorm<64>::valid({32, 128, 1e-6f}) && !RmsNorm<64>::valid({0, 128, 1e-6f}) &&
              !RmsNorm<64>::valid({70000, 128, 1e-6f}));

}  // namespace qvk::ops
