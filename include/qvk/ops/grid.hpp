// qvk/ops/grid.hpp — dispatch geometry shared by the element-wise ops.
//
// Element-wise ops (SwiGLU, Add, the numerics probe) run a grid-stride loop:
// invocation g of G = groups·WorkgroupSize handles elements g, g+G, g+2G, …
// Each element is computed by exactly one invocation with no cross-element
// arithmetic, so the split never changes a bit; capping the group count keeps
// any n within Vulkan's guaranteed 65,535 workgroups per dimension.
#pragma once

#include <cstdint>

#include "qvk/ops/descriptor.hpp"

namespace qvk::ops {

// Vulkan guarantees at least 65,535 workgroups per dispatch dimension.
inline constexpr std::uint32_t kMaxGroupsPerDim = 65535;

// Groups of a grid-stride loop over n elements (at least one group, so an
// n = 0 problem, if a descriptor allowed it, would still be a valid dispatch).
inline constexpr Groups grid_stride_groups(std::uint64_t n, std::uint32_t workgroup_size) {
  const std::uint64_t g = (n + workgroup_size - 1) / workgroup_size;
  return {static_cast<std::uint32_t>(g < 1 ? 1 : (g > kMaxGroupsPerDim ? kMaxGroupsPerDim : g)), 1, 1};
}

static_assert(grid_stride_groups(1, 64) == Groups{1, 1, 1});
static_assert(grid_stride_groups(65, 64) == Groups{2, 1, 1});
static_assert(grid_stride_groups(1ull << 32, 64) == Groups{kMaxGroupsPerDim, 1, 1});

}  // namespace qvk::ops
