// Hand-built blocks with exactly representable values: checks each format's
// bit layout (which byte/nibble/bit feeds which element) and its formula.
#include <gtest/gtest.h>

#include <cstring>

#include "qvk/quant/formats.hpp"
#include "test_util.hpp"

using namespace qvk::quant;

namespace {
constexpr std::uint16_t kF16Quarter = 0x3400, kF16Half = 0x3800, kF16One = 0x3c00, kF16Two = 0x4000;
}

TEST(BlockF32F16Bf16, DequantizeSingleElements) {
  float out = 0;
  F32::dequantize(F32::Block{-3.5f}, &out);
  EXPECT_EQ(out, -3.5f);
  F16::dequantize(F16::Block{0xc500}, &out);  // -5.0
  EXPECT_EQ(out, -5.0f);
  BF16::dequantize(BF16::Block{0x4049}, &out);  // 3.140625
  EXPECT_EQ(out, 3.140625f);
  F16::Block h{};
  const float in = 0.333251953125f;  // exactly representable in f16 (0x3555)
  F16::quantize(&in, h);
  EXPECT_EQ(h.bits, 0x3555);
}

TEST(BlockQ8_0, DequantizesCodeTimesScale) {
  Q8_0::Block b{};
  b.d = kF16Half;
  for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<std::int8_t>(i * 8 - 128);
  float out[32];
  Q8_0::dequantize(b, out);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], static_cast<float>(i * 8 - 128) * 0.5f) << i;
}

TEST(BlockQ8_0, QuantizesWithRoundHalfAwayFromZero) {
  float x[32] = {127, -127, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0, 3.25f, 126.5f};
  Q8_0::Block b{};
  Q8_0::quantize(x, b);
  EXPECT_EQ(b.d, kF16One);  // 127 / 127
  const int expected[10] = {127, -127, 1, -1, 2, 3, -3, 0, 3, 127};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.qs[i], expected[i]) << i;
}

TEST(BlockQ4_0, LowNibblesAreFirstHalfHighNibblesSecondHalf) {
  Q4_0::Block b{};
  b.d = kF16Two;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<std::uint8_t>(j | ((15 - j) << 4));
  float out[32];
  Q4_0::dequantize(b, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], static_cast<float>((j - 8) * 2)) << j;
    EXPECT_EQ(out[j + 16], static_cast<float>((7 - j) * 2)) << j + 16;
  }
}

TEST(BlockQ4_0, QuantizesAgainstSignedLargestMagnitude) {
  float x[32] = {};
  x[3] = -8;  // first element of largest magnitude: d = -8 / -8 = 1
  x[5] = 8;   // same magnitude, opposite sign: code 16 clamps to 15
  x[6] = 0.5f;
  x[7] = -0.5f;
  x[20] = 1.4f;
  Q4_0::Block b{};
  Q4_0::quantize(x, b);
  EXPECT_EQ(b.d, kF16One);
  EXPECT_EQ(b.qs[3] & 0x0f, 0);   // trunc(-8 + 8.5)
  EXPECT_EQ(b.qs[5] & 0x0f, 15);  // trunc(16.5) clamped
  EXPECT_EQ(b.qs[6] & 0x0f, 9);   // trunc(9.0)
  EXPECT_EQ(b.qs[7] & 0x0f, 8);   // trunc(8.0)
  EXPECT_EQ(b.qs[4] >> 4, 9);     // element 20: trunc(9.9)
  EXPECT_EQ(b.qs[0] & 0x0f, 8);   // zero -> 8
}

namespace {
// sc = {1,2,3,4,17,18,19,63}, m = {0,1,2,3,16,32,48,63}, packed by hand.
constexpr std::uint8_t kPackedScales[12] = {0x41, 0x42, 0x43, 0xc4, 0x40, 0x81, 0xc2, 0xc3, 0x01, 0x02, 0x03, 0xff};
constexpr int kSc[8] = {1, 2, 3, 4, 17, 18, 19, 63};
constexpr int kMin[8] = {0, 1, 2, 3, 16, 32, 48, 63};
}  // namespace

TEST(BlockQ4_K, UnpacksSixBitScalesAndNibbleLayout) {
  Q4_K::Block b{};
  b.d = kF16One;
  b.dmin = kF16Half;
  std::memcpy(b.scales, kPackedScales, 12);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<std::uint8_t>((l & 15) | (((l + c) & 15) << 4));
  float out[256];
  Q4_K::dequantize(b, out);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int j0 = 2 * c, j1 = 2 * c + 1;
      EXPECT_EQ(out[64 * c + l], static_cast<float>(kSc[j0] * (l & 15)) - 0.5f * static_cast<float>(kMin[j0]));
      EXPECT_EQ(out[64 * c + 32 + l], static_cast<float>(kSc[j1] * ((l + c) & 15)) - 0.5f * static_cast<float>(kMin[j1]));
    }
}

TEST(BlockQ5_K, FifthBitComesFromQhBitPairs) {
  Q5_K::Block b{};
  b.d = kF16One;
  b.dmin = kF16Half;
  std::memcpy(b.scales, kPackedScales, 12);
  for (int l = 0; l < 32; ++l) b.qh[l] = (l % 2 == 0) ? 0x55 : 0xaa;  // even l: bits 0,2,4,6; odd l: 1,3,5,7
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<std::uint8_t>((l & 15) | (((l + c) & 15) << 4));
  float out[256];
  Q5_K::dequantize(b, out);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int q0 = (l & 15) + (l % 2 == 0 ? 16 : 0), q1 = ((l + c) & 15) + (l % 2 == 1 ? 16 : 0);
      EXPECT_EQ(out[64 * c + l], static_cast<float>(kSc[2 * c] * q0) - 0.5f * static_cast<float>(kMin[2 * c]));
      EXPECT_EQ(out[64 * c + 32 + l], static_cast<float>(kSc[2 * c + 1] * q1) - 0.5f * static_cast<float>(kMin[2 * c + 1]));
    }
}

TEST(BlockQ6_K, CombinesLowNibblesAndHighBitPairs) {
  Q6_K::Block b{};
  b.d = kF16Quarter;
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<std::int8_t>(j - 8);
  std::memset(b.ql, 0x21, sizeof b.ql);  // low nibble 1 (r < 64), high nibble 2 (r >= 64)
  std::memset(b.qh, 0xe4, sizeof b.qh);  // bit pair t = 0,1,2,3 for r/32 = t
  b.ql[64 + 5] = 0x3f;                   // half 1: r = 5 gets low 15, r = 69 gets low 3
  b.qh[32 + 7] = 0x03;                   // half 1: r = 7 high 3; r = 39, 71, 103 high 0
  int q[256];
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < 128; ++r) q[128 * h + r] = (r < 64 ? 1 : 2) + 16 * (r / 32) - 32;
  q[128 + 5] = 15 + 0 - 32;
  q[128 + 69] = 3 + 32 - 32;
  q[128 + 7] = 1 + 48 - 32;
  q[128 + 39] = 1 + 0 - 32;
  q[128 + 71] = 2 + 0 - 32;
  q[128 + 103] = 2 + 0 - 32;
  float out[256];
  Q6_K::dequantize(b, out);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(out[e], 0.25f * static_cast<float>((e / 16 - 8) * q[e])) << e;
}

TEST(BlockKQuants, AllZeroInputGivesZeroScalesAndZeroOutput) {
  const float zeros[256] = {};
  float out[256];
  Q4_K::Block b4{};
  Q4_K::quantize(zeros, b4);
  EXPECT_EQ(b4.d, 0);
  Q4_K::dequantize(b4, out);
  for (float v : out) EXPECT_EQ(v, 0.0f);
  Q5_K::Block b5{};
  Q5_K::quantize(zeros, b5);
  EXPECT_EQ(b5.d, 0);
  Q6_K::Block b6;
  std::memset(&b6, 0xab, sizeof b6);
  Q6_K::quantize(zeros, b6);
  const Q6_K::Block zero_block{};
  EXPECT_EQ(std::memcmp(&b6, &zero_block, sizeof b6), 0);  // llama.cpp writes an all-zero block
}
