// RMSNorm on the Vulkan device vs the reference interpreter, bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>

#include "rmsnorm_runner.hpp"

namespace qvk::vk::test {
namespace {

constexpr std::uint64_t kSeed = 0x52'4d'53'4e'4f'52'4dULL;  // "RMSNORM"

struct Shape {
  std::uint32_t rows, n;
};
// Qwen3 hidden sizes (1024, 4096, 5120), head norm (128), tiny and ragged tails.
constexpr Shape kShapes[] = {{1, 1024}, {3, 4096}, {2, 5120}, {16, 128}, {5, 1},
                             {7, 33},   {1, 31},   {4, 1000}, {9, 257}, {2, 4097}};

void expect_case(RmsNormCase c, std::uint64_t seed) {
  fill_inputs(c, seed);
  const Comparison cmp = run_on_gpu(c);
  EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
}

TEST(RmsNorm, MatchesReferenceBitForBitOnQwenAndRaggedShapes) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  for (const Shape s : kShapes) expect_case({s.rows, s.n, 1e-6f, false, 64, 0, {}, {}, {}}, ++seed);
  expect_validation_clean();
}

TEST(RmsNormAddResidual, WritesTheSumBackAndNormalizesItBitForBit) {
  std::uint64_t seed = kSeed + 100;
  for (const Shape s : kShapes) expect_case({s.rows, s.n, 1e-5f, true, 128, 0, {}, {}, {}}, ++seed);
  expect_validation_clean();
}

TEST(RmsNorm, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 200;
  auto sizes = device().features().allowed_subgroup_sizes();
  if (!device().can_pin_subgroup_size()) sizes = {0};
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : sizes) {
      if (!device().features().workgroup_fits_subgroup(wg, sg)) continue;  // Vulkan forbids the pair
      for (bool residual : {false, true}) expect_case({3, 4096 + 7, 1e-6f, residual, wg, sg, {}, {}, {}}, seed);
    }
  expect_validation_clean();
}

TEST(RmsNorm, RefusesAWorkgroupTooLargeForThePinnedSubgroupSize) {
  const DeviceFeatures& f = device().features();
  if (!device().can_pin_subgroup_size() || f.max_compute_workgroup_subgroups == 0 ||
      std::uint64_t(f.min_subgroup_size) * f.max_compute_workgroup_subgroups >= 1024)
    GTEST_SKIP() << "every allowed subgroup size fits a workgroup of 1024 on this device";
  PipelineCache cache(device());
  EXPECT_THROW(cache.get<ops::RmsNorm<1024>>(f.min_subgroup_size), Error);
  expect_validation_clean();
}

TEST(RmsNorm, WritesEveryElementAndNoMoreWhenRowsAreRagged) {
  // The runner NaN-fills y and a guard after it; mismatches or a touched guard fail.
  std::uint64_t seed = kSeed + 300;
  for (std::uint32_t n : {1u, 2u, 31u, 33u, 63u, 65u, 255u, 257u, 1023u})
    for (std::uint32_t wg : {8u, 256u}) expect_case({11, n, 1e-6f, n % 2 == 1, wg, 0, {}, {}, {}}, ++seed);
  expect_validation_clean();
}

TEST(RmsNorm, HugeRowsNormalizeToZeroAndTinyRowsUseEps) {
  RmsNormCase c{2, 64, 1e-6f, false, 32, 0, {}, {}, {}};
  c.x.assign(128, 0.0f);
  for (std::uint32_t i = 0; i < 64; ++i) {
    c.x[i] = 1e30f;           // x² = inf: rs = rsqrt(inf) = 0
    c.x[64 + i] = 1e-30f;     // x² <= FLT_MIN: flushed, ss = 0, rs = rsqrt(eps)
  }
  c.w.assign(64, 1.0f);
  const Comparison cmp = run_on_gpu(c);
  EXPECT_TRUE(cmp.ok) << cmp.message;
  std::vector<float> x_out, y;
  reference(c, x_out, y);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_GT(y[64], 1e-30f * 999.0f);  // 1e-30 · rsqrt(1e-6) ≈ 1e-27
  expect_validation_clean();
}

TEST(RmsNorm, RejectsAProblemItsDescriptorCallsInvalid) {
  using Op = ops::RmsNorm<64>;
  Device& d = device();
  Buffer b(d, 1024);
  Recorder rec(d, pipelines());
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {0, 16, 1e-6f}); }),
               Error);
  // A binding smaller than the problem needs is refused before anything is recorded.
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {2, 256, 1e-6f}); }),
               Error);
  EXPECT_EQ(rec.dispatches(), 0u);
}

}  // namespace
}  // namespace qvk::vk::test
