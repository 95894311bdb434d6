// The fused SwiGLU + activation quantization (QuantizeAct<.., ActInput::SwiGlu>,
// the runtime's "swiglu+quantize") on the Vulkan device vs the reference:
// quant::quantize_q8_act of ref::swiglu(flush(g), flush(u)), bit for bit, and
// the same words as the unfused GPU path (SwiGlu, then QuantizeAct).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>

#include "swiglu_quantize_runner.hpp"

namespace qvk::vk::test::swiglu_quantize {
namespace {

constexpr std::uint64_t kSeed = 0x53'57'51'41;  // "SWQA"

// Qwen3 FFN widths: 3072 (0.6B), 9728 (4B), 12288 (8B), 25600 (32B); and small
// ones that leave a workgroup partly idle (3 blocks of 32, 5 of 256) or are one block.
TEST(SwiGluQuantize, BlocksEqualQuantizeQ8ActOfSwiGluBitForBitOnQwenFfnWidths) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  std::size_t runs = 0;
  BlockKinds seen;
  for (std::uint32_t block : {32u, 256u}) {
    std::vector<std::uint32_t> widths{3072u, 9728u, 12288u, 25600u, block, block == 32 ? 96u : 1280u};
    for (std::uint32_t n : widths)
      for (int cls = 0; cls < kClasses; ++cls) {
        const Inputs in = make_gu(n, ++seed, cls);
        const BlockKinds k = block_kinds(block, reference_h(in));
        seen.nan += k.nan;
        seen.zero += k.zero;
        seen.ordinary += k.ordinary;
        for (std::uint32_t wg : kWorkgroups) {
          // The unfused GPU path too, once per width and class.
          const Comparison cmp = run(block, wg, in, {0, wg == 64});
          ++runs;
          EXPECT_TRUE(cmp.ok) << "block " << block << " n " << n << " class " << cls << " wg " << wg << " seed " << seed
                              << ": " << cmp.message;
        }
      }
  }
  EXPECT_EQ(runs, 2u * 6 * kClasses * 3);
  EXPECT_GT(seen.nan, 0u) << "no block met a non-finite value";
  EXPECT_GT(seen.zero, 0u) << "no all-zero block";
  EXPECT_GT(seen.ordinary, 100u);
  expect_validation_clean();
}

// Blocks chosen by hand (one block each, so each outcome is pinned):
TEST(SwiGluQuantize, HandlesZeroNonFiniteTinyAndHugeBlocks) {
  const auto f = [](std::uint32_t w) { return std::bit_cast<float>(w); };
  for (std::uint32_t block : {32u, 256u}) {
    constexpr std::uint32_t kBlocks = 12;
    Inputs in{std::vector<float>(block * kBlocks, 1.0f), std::vector<float>(block * kBlocks, 1.0f)};
    auto g = [&](std::uint32_t k) { return in.g.data() + k * block; };
    auto u = [&](std::uint32_t k) { return in.u.data() + k * block; };
    for (std::uint32_t i = 0; i < block; ++i) {
      const float ramp = float(int(i % 23) - 11) * 0.375f;
      for (std::uint32_t k = 0; k < kBlocks; ++k) g(k)[i] = ramp;
      // 0: g = 0 (h = ±0 everywhere, d = 0), one -0
      g(0)[i] = 0.0f;
      // 1: u = 0
      u(1)[i] = 0.0f;
      // 2: g·sig·u overflows to +inf in one element (g = u = 2^80), d = canonical NaN
      // 3: NaN in u; 4: g = -inf (exp(+inf) = inf, recip 0, -inf·0 = NaN)
      // 5: g = +inf, u = 0 (inf·0 = NaN); 6: u = -inf
      // 7: subnormal g and u only: flushed at load to ±0, so d = 0
      g(7)[i] = f((i & 1 ? 0x80000000u : 0u) | (1u + i * 977u) % 0x00800000u);
      u(7)[i] = f((i & 2 ? 0x80000000u : 0u) | (7u + i * 131u) % 0x00800000u);
      // 8: huge g (sig = 1, h = g·u) with subnormal u: flushed u gives h = ±0;
      //    an unflushed u would give 2^100·2^-127 = 2^-27 on lavapipe
      g(8)[i] = std::ldexp(1.0f, 100 + int(i % 20));
      u(8)[i] = f(0x00400000u + i);
      // 9: |h| ~ 2^-121: normal, but d = amax·(1/127) <= FLT_MIN: zero block
      g(9)[i] = std::ldexp(1.0f, -60);
      u(9)[i] = (i % 3 ? 1.0f : -1.0f) * std::ldexp(1.0f, -60);
      // 10: g at exp's thresholds and far past them both ways (sig = 0 or 1 exactly; -FLT_MAX)
      const std::uint32_t gw[] = {0x42b17218u, 0x42b17217u, 0x42b17219u, 0xc2b17218u, 0x42aeac50u, 0xc2aeac50u,
                                  0xc2aeac4fu, 0xc2aeac51u, 0x461c4000u, 0xff7fffffu, 0x3f800000u, 0xbf800000u};
      g(10)[i] = f(gw[i % 12]);
      u(10)[i] = (i % 5) ? 3.0f : -1e30f;  // one huge u: -1e30·g ~ -3e31, others quantize to small codes
      // 11: sig = 1 exactly (exp(-100) = 0): h = 100·u, codes across -127..127
      g(11)[i] = 100.0f;
      u(11)[i] = float(int(i % 255) - 127) * 0.01f;
    }
    g(0)[3] = -0.0f;
    g(2)[5] = std::ldexp(1.0f, 80);
    u(2)[5] = std::ldexp(1.0f, 80);
    u(3)[block - 1] = f(0x7fc00001u);
    g(4)[0] = f(0xff800000u);
    g(5)[1] = f(0x7f800000u);
    u(5)[1] = 0.0f;
    u(6)[2] = f(0xff800000u);

    // The reference pins what these blocks are: NaN d for 2..6, zero d for 0, 1, 7, 8, 9.
    const std::vector<float> h = reference_h(in);
    for (std::uint32_t k = 0; k < kBlocks; ++k) {
      quant::Q8Act32 a;
      float d = 0;
      if (block == 32) {
        quant::quantize_q8_act(h.data() + k * 32, a);
        d = a.d;
      } else {
        quant::Q8Act256 b;
        quant::quantize_q8_act(h.data() + k * 256, b);
        d = b.d;
      }
      const std::uint32_t db = std::bit_cast<std::uint32_t>(d);
      if (k >= 2 && k <= 6) EXPECT_EQ(db, gemv::kCanonicalNan) << "block " << k;
      else if (k <= 1 || (k >= 7 && k <= 9)) EXPECT_EQ(db, 0u) << "block " << k;
      else EXPECT_GT(db & 0x7fffffffu, 0x00800000u) << "block " << k;
    }
    for (std::uint32_t wg : kWorkgroups)
      for (std::uint32_t sg : subgroup_choices()) {
        const Comparison cmp = run(block, wg, in, {sg, true});
        EXPECT_TRUE(cmp.ok) << "block " << block << " wg " << wg << " subgroup " << sg << ": " << cmp.message;
      }
  }
  expect_validation_clean();
}

TEST(SwiGluQuantize, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 100;
  for (std::uint32_t block : {32u, 256u})
    for (int cls : {0, 1, 3}) {
      const Inputs in = make_gu(12288, ++seed, cls);
      for (std::uint32_t wg : kWorkgroups)
        for (std::uint32_t sg : subgroup_choices()) {
          const Comparison cmp = run(block, wg, in, {sg, false});
          EXPECT_TRUE(cmp.ok) << "block " << block << " class " << cls << " wg " << wg << " subgroup " << sg << " seed "
                              << seed << ": " << cmp.message;
        }
    }
  std::cerr << "subgroup sizes tried: " << subgroup_choices().size() - 1 << " pinned + the driver's choice\n";
  expect_validation_clean();
}

// One descriptor, one geometry: the SwiGLU input changes the bindings and the
// variant, never groups() or the layout (the GEMV reads the blocks unchanged).
TEST(SwiGluQuantize, SharesQuantizeActsGeometryLayoutAndLimits) {
  using F32 = ops::QuantizeAct<256, 128>;
  using Fused = ops::QuantizeAct<256, 128, ops::ActInput::SwiGlu>;
  for (std::uint32_t n : {256u, 3072u, 9728u, 12288u, 25600u}) {
    EXPECT_EQ(Fused::groups({n}), F32::groups({n})) << n;
    EXPECT_EQ(Fused::elements({n})[2], F32::elements({n})[1]) << n;
    EXPECT_EQ(Fused::elements({n})[0], n);
    EXPECT_EQ(Fused::elements({n})[1], n);
  }
  EXPECT_FALSE(Fused::valid({256 + 32}));
  EXPECT_FALSE(Fused::valid({0}));
  EXPECT_TRUE((ops::QuantizeAct<32, 64, ops::ActInput::SwiGlu>::valid({32})));
  EXPECT_EQ(Fused::kVariant, "quantize_swiglu_act256");
  EXPECT_EQ((ops::QuantizeAct<32, 64, ops::ActInput::SwiGlu>::kVariant), "quantize_swiglu_act32");
  EXPECT_EQ(F32::kVariant, "quantize_act256");
  EXPECT_EQ(Fused::kBindings.size(), 3u);
}

}  // namespace
}  // namespace qvk::vk::test::swiglu_quantize
