// shaders/common/numerics.glsl on the device vs include/qvk/numerics bit for bit:
// exp, recip, rsqrt and f32 -> f16 over a dense sweep of the whole f32 bit space
// (every 64th pattern, the low 6 bits varied) plus structured edge cases; the
// f16 -> f32 and bf16 -> f32 widenings over all 65,536 patterns. Runs through
// the test-only op ops::NumericsProbe.
#include "qvk/ops/numerics_probe.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <vector>

#include "ops_harness.hpp"
#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/numerics/recip.hpp"
#include "qvk/numerics/rsqrt.hpp"

namespace qvk::vk::opstest {
namespace {

using ops::ProbeFn;
using Probe = ops::NumericsProbe<256>;

constexpr std::uint64_t kSeed = 0x4e'55'4d'45'52'49'43ULL;  // "NUMERIC"
constexpr std::uint32_t kBatch = 1u << 23;                  // words per dispatch (32 MiB)
constexpr std::uint32_t kSweepStride = 64;                  // the dense sweep: every 64th pattern

std::uint32_t reference(ProbeFn fn, std::uint32_t w) {
  const float x = std::bit_cast<float>(w);
  switch (fn) {
    case ProbeFn::Exp:
      return std::bit_cast<std::uint32_t>(numerics::exp(x));
    case ProbeFn::Recip:
      return std::bit_cast<std::uint32_t>(numerics::recip(x));
    case ProbeFn::Rsqrt:
      return std::bit_cast<std::uint32_t>(numerics::rsqrt(x));
    case ProbeFn::F32ToF16:
      return numerics::f32_to_f16_bits(x);
    case ProbeFn::F16ToF32:
      return std::bit_cast<std::uint32_t>(numerics::f16_bits_to_f32(std::uint16_t(w)));
    case ProbeFn::Bf16ToF32:
      return std::bit_cast<std::uint32_t>(numerics::bf16_bits_to_f32(std::uint16_t(w)));
  }
  return 0;
}

const char* name(ProbeFn fn) {
  constexpr const char* kNames[] = {"exp", "recip", "rsqrt", "f32_to_f16", "f16_to_f32", "bf16_to_f32"};
  return kNames[static_cast<std::uint32_t>(fn)];
}

// Buffers reused by every batch (allocation and page faults of fresh 32 MiB
// buffers would dominate the run time on lavapipe): one host-visible staging
// buffer for the input and then the output, device-local x and y (y plus guard).
struct ProbeBuffers {
  Buffer staging{device(), (kBatch + kGuardWords) * 4ull, Buffer::Kind::Staging};
  Buffer x{device(), kBatch * 4ull};
  Buffer y{device(), (kBatch + kGuardWords) * 4ull};
};

ProbeBuffers& probe_buffers() {
  static ProbeBuffers b;
  return b;
}

void barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access, VkPipelineStageFlags dst,
             VkAccessFlags dst_access) {
  auto mb = make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  mb.srcAccessMask = src_access;
  mb.dstAccessMask = dst_access;
  device().fn().vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

// One batch in one submission: staging -> x, y (and guard) filled with NaN
// patterns, the probe, y -> staging. Returns y and the guard.
Comparison run_batch(ProbeFn fn, const std::uint32_t* x, std::uint32_t n, std::vector<std::uint32_t>& got) {
  ProbeBuffers& b = probe_buffers();
  const auto& f = device().fn();
  std::memcpy(b.staging.mapped(), x, n * 4ull);
  Recorder rec(device(), pipelines());
  submit_and_wait(device(), [&](VkCommandBuffer cmd) {
    barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_TRANSFER_READ_BIT);
    const VkBufferCopy in{0, 0, n * 4ull};
    f.vkCmdCopyBuffer(cmd, b.staging.handle(), b.x.handle(), 1, &in);
    f.vkCmdFillBuffer(cmd, b.y.handle(), 0, n * 4ull, kUnwrittenBits);
    f.vkCmdFillBuffer(cmd, b.y.handle(), n * 4ull, kGuardWords * 4ull, kGuardBits);
    record<Probe>(rec, cmd, {BufferRange{b.x.handle(), 0, n * 4ull}, BufferRange{b.y.handle(), 0, n * 4ull}}, {n, fn});
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    const VkBufferCopy out{0, 0, (n + kGuardWords) * 4ull};
    f.vkCmdCopyBuffer(cmd, b.y.handle(), b.staging.handle(), 1, &out);
    barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
            VK_ACCESS_HOST_READ_BIT);
  });
  if (rec.dispatches() != 1) return {false, "the recorder did not dispatch"};
  got.resize(n + kGuardWords);
  std::memcpy(got.data(), b.staging.mapped(), got.size() * 4);
  return {};
}

// Runs fn over the patterns make(i), i < count, in batches; returns the first
// mismatch (with its input) and the mismatch count, or ok.
template <class Make>
Comparison run(ProbeFn fn, std::size_t count, Make make) {
  std::size_t mismatches = 0;
  Comparison first;
  std::vector<std::uint32_t> x, got, want;
  for (std::size_t b0 = 0; b0 < count; b0 += kBatch) {
    const std::uint32_t n = std::uint32_t(std::min<std::size_t>(kBatch, count - b0));
    x.resize(n);
    want.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      x[i] = make(b0 + i);
      want[i] = reference(fn, x[i]);
    }
    const Comparison d = run_batch(fn, x.data(), n, got);
    if (!d.ok) return d;
    const Comparison c = compare(name(fn), got, want);
    if (!c.ok) {
      for (std::uint32_t i = 0; i < n; ++i) mismatches += got[i] != want[i];
      if (first.ok) {
        std::size_t i = 0;
        while (i < n && got[i] == want[i]) ++i;
        first = {false, c.message + " for input " + hex(i < n ? x[i] : 0) + " (" + as_float(i < n ? x[i] : 0) + ")"};
      }
    }
  }
  if (!first.ok) first.message += "; " + std::to_string(mismatches) + " mismatches of " + std::to_string(count);
  return first;
}

void push_around(std::vector<std::uint32_t>& v, std::uint32_t center, int radius) {
  for (int d = -radius; d <= radius; ++d) v.push_back(center + std::uint32_t(d));
}

// Specials, subnormals, FLT_MIN/FLT_MAX neighbours, every power of two and its
// neighbours, both signs; 1M random patterns.
std::vector<std::uint32_t> structured_common() {
  std::vector<std::uint32_t> v;
  for (std::uint32_t sign : {0u, 0x80000000u}) {
    for (std::uint32_t m : {0x0u, 0x1u, 0x2u, 0x3u, 0x400000u, 0x7ffffeu, 0x7fffffu, 0x123456u})
      v.push_back(sign | m);                                                       // zero and subnormals
    for (std::uint32_t e = 0; e <= 255; ++e) push_around(v, sign | (e << 23), 3);  // powers of two, inf
    for (std::uint32_t nan : {0x7f800001u, 0x7fa00000u, 0x7fbfffffu, 0x7fc00000u, 0x7fc00001u, 0x7fffffffu})
      v.push_back(sign | nan);
    push_around(v, sign | 0x00800000u, 8);  // FLT_MIN
    push_around(v, sign | 0x7f7fffffu, 8);  // FLT_MAX (and inf, NaN above it)
  }
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 1'000'000; ++i) v.push_back(std::uint32_t(rng()));
  return v;
}

// Every 64th pattern of the whole 2^32 range; the offset within each block of
// 64 varies (a multiplicative hash), so the low mantissa bits are all exercised.
constexpr std::size_t kSweepCount = (std::size_t(1) << 32) / kSweepStride;
std::uint32_t sweep(std::size_t i) {
  const auto k = std::uint32_t(i);
  return k * kSweepStride + ((k * 2654435761u) >> 26);
}

// exp: the overflow and underflow thresholds, and x where x·log2(e) is near
// k + 1/2 (the round-half-away step of n) for every k in range.
std::vector<std::uint32_t> exp_edges() {
  std::vector<std::uint32_t> v;
  push_around(v, std::bit_cast<std::uint32_t>(numerics::kExpOverflow), 256);
  push_around(v, std::bit_cast<std::uint32_t>(numerics::kExpUnderflow), 256);
  for (int k = -130; k <= 130; ++k)
    for (double h : {-0.5, 0.5}) {
      const float x = static_cast<float>((k + h) / 1.4426950408889634);
      if (x != 0.0f) push_around(v, std::bit_cast<std::uint32_t>(x), 64);
    }
  return v;
}

// f32 -> f16: the midpoint between every pair of adjacent finite f16 values (and
// 65520, the overflow point), with f32 neighbours ±2, both signs; the subnormal
// and underflow boundaries.
std::vector<std::uint32_t> f16_edges() {
  std::vector<std::uint32_t> v;
  for (std::uint32_t h = 0; h < 0x7c00u; ++h) {
    const double a = numerics::f16_bits_to_f32(std::uint16_t(h));
    const double b = h == 0x7bffu ? 65536.0 : numerics::f16_bits_to_f32(std::uint16_t(h + 1));
    const std::uint32_t mid = std::bit_cast<std::uint32_t>(static_cast<float>((a + b) / 2));  // exact in f32
    push_around(v, mid, 2);
    push_around(v, mid | 0x80000000u, 2);
  }
  for (std::uint32_t c : {0x33000000u, 0x33000001u, 0x32ffffffu, 0x38800000u, 0x387fffffu, 0x477ff000u})
    for (std::uint32_t sign : {0u, 0x80000000u}) push_around(v, sign | c, 4);
  return v;
}

class NumericsProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::cerr << "seed " << kSeed << " on " << device().features().name << "\n"; }
  void expect_fn(ProbeFn fn, const std::vector<std::uint32_t>& in) {
    expect_fn(fn, in.size(), [&](std::size_t i) { return in[i]; });
  }
  void expect_sweep(ProbeFn fn) { expect_fn(fn, kSweepCount, sweep); }
  template <class Make>
  void expect_fn(ProbeFn fn, std::size_t count, Make make) {
    const auto t0 = std::chrono::steady_clock::now();
    const Comparison c = run(fn, count, make);
    EXPECT_TRUE(c.ok) << c.message;
    std::cerr << name(fn) << ": " << count << " patterns in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  }
};

TEST_F(NumericsProbe, ExpMatchesTheCppSequenceOnEdgesAndADenseSweep) {
  expect_fn(ProbeFn::Exp, structured_common());
  expect_fn(ProbeFn::Exp, exp_edges());
  expect_sweep(ProbeFn::Exp);
  expect_validation_clean();
}

TEST_F(NumericsProbe, RecipMatchesTheCppSequenceOnEdgesAndADenseSweep) {
  expect_fn(ProbeFn::Recip, structured_common());
  expect_sweep(ProbeFn::Recip);
  expect_validation_clean();
}

TEST_F(NumericsProbe, RsqrtMatchesTheCppSequenceOnEdgesAndADenseSweep) {
  expect_fn(ProbeFn::Rsqrt, structured_common());
  expect_sweep(ProbeFn::Rsqrt);
  expect_validation_clean();
}

TEST_F(NumericsProbe, F32ToF16RoundsLikeTheIntegerCodeOnEveryBoundaryAndADenseSweep) {
  expect_fn(ProbeFn::F32ToF16, structured_common());
  expect_fn(ProbeFn::F32ToF16, f16_edges());
  expect_sweep(ProbeFn::F32ToF16);
  expect_validation_clean();
}

TEST_F(NumericsProbe, F16AndBf16WidenExactlyForAll65536Patterns) {
  std::vector<std::uint32_t> all(65536);
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i | 0xabcd0000u;  // high half must be ignored
  expect_fn(ProbeFn::F16ToF32, all);
  expect_fn(ProbeFn::Bf16ToF32, all);
  expect_validation_clean();
}

TEST_F(NumericsProbe, ProbeReallyComputes) {
  // Guards against a vacuous pass: exp(1) and recip(4) come back as expected values.
  std::vector<std::uint32_t> x{std::bit_cast<std::uint32_t>(1.0f), std::bit_cast<std::uint32_t>(4.0f)};
  Buffer xb = input(x), yb = output(2);
  ASSERT_TRUE((dispatch<Probe>({whole(xb), whole(yb)}, {2, ProbeFn::Recip}).ok));
  const auto got = read(yb);
  EXPECT_EQ(std::bit_cast<float>(got[0]), 1.0f);
  EXPECT_EQ(std::bit_cast<float>(got[1]), 0.25f);
}

}  // namespace
}  // namespace qvk::vk::opstest
