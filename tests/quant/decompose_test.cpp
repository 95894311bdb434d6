// The integer-dot decomposition reproduces dequantize bit for bit, and its codes
// stay in each format's range, for random blocks of every quantized type.
#include <gtest/gtest.h>

#include <string>

#include "qvk/quant/formats.hpp"
#include "test_util.hpp"

using namespace qvk::quant;
using qvk::quant::test::bits;
using qvk::quant::test::hex;

namespace {

// Random finite f16: random bits with an all-ones exponent cleared to zero.
std::uint16_t finite_f16(std::mt19937_64& rng) {
  auto h = static_cast<std::uint16_t>(rng());
  if ((h & 0x7c00u) == 0x7c00u) h = static_cast<std::uint16_t>(h & ~0x7c00u);
  return h;
}

template <class Q>
void check_decomposition(int lo, int hi, std::uint64_t seed) {
  auto rng = qvk::quant::test::seeded_rng(seed);
  for (int n = 0; n < 20'000; ++n) {
    auto b = qvk::quant::test::random_block<typename Q::Block>(rng);
    b.d = finite_f16(rng);
    if constexpr (requires { b.dmin; }) b.dmin = finite_f16(rng);
    typename Q::Decomposed dec;
    Q::decompose(b, dec);
    float out[Q::kBlockElems];
    Q::dequantize(b, out);
    for (std::size_t i = 0; i < Q::kBlockElems; ++i) {
      ASSERT_EQ(bits(dec.value(i)), bits(out[i])) << name(Q::kType) << " block " << n << " element " << i;
      ASSERT_GE(dec.q[i], lo);
      ASSERT_LE(dec.q[i], hi);
    }
  }
}

}  // namespace

TEST(Decompose, Q8_0ValueEqualsDequantize) { check_decomposition<Q8_0>(-128, 127, 801); }
TEST(Decompose, Q4_0ValueEqualsDequantize) { check_decomposition<Q4_0>(-8, 7, 402); }
TEST(Decompose, Q4_KValueEqualsDequantize) { check_decomposition<Q4_K>(0, 15, 412); }
TEST(Decompose, Q5_KValueEqualsDequantize) { check_decomposition<Q5_K>(0, 31, 512); }
TEST(Decompose, Q6_KValueEqualsDequantize) { check_decomposition<Q6_K>(-32, 31, 612); }

TEST(Decompose, IntegerDotMatchesDequantizedDotForExactInputs) {
  // With small power-of-two scales every product and sum below is exact, so the
  // integer route (codes·codes per sub-block, then scales) must equal the float route.
  auto rng = qvk::quant::test::seeded_rng(77);
  for (int n = 0; n < 200; ++n) {
    auto b = qvk::quant::test::random_block<Q4_K::Block>(rng);
    b.d = 0x3c00;     // 1.0
    b.dmin = 0x3800;  // 0.5
    Q4_K::Decomposed dec;
    Q4_K::decompose(b, dec);
    std::int8_t act[256];
    for (auto& a : act) a = static_cast<std::int8_t>(static_cast<int>(rng() % 255) - 127);
    double float_dot = 0;
    std::int64_t int_dot_x2 = 0;  // twice the dot, to stay integral with dmin = 0.5
    for (std::size_t j = 0; j < 8; ++j) {
      std::int32_t qc = 0, c = 0;
      for (std::size_t i = 32 * j; i < 32 * j + 32; ++i) {
        qc += dec.q[i] * act[i];
        c += act[i];
        float_dot += static_cast<double>(dec.value(i)) * act[i];
      }
      int_dot_x2 += 2 * static_cast<std::int64_t>(dec.scale[j]) * qc - static_cast<std::int64_t>(dec.min[j]) * c;
    }
    ASSERT_EQ(float_dot * 2, static_cast<double>(int_dot_x2)) << "block " << n;
  }
}
