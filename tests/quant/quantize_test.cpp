// Quantize -> dequantize error bounds on seeded Gaussian data, and the K-quant
// row speed the model writer relies on.
#include <gtest/gtest.h>

#include <ctime>
#include <cmath>
#include <vector>

#include "qvk/quant/row.hpp"
#include "test_util.hpp"

using namespace qvk::quant;

namespace {

struct ErrorStats {
  double rms_rel;   // rms error / rms of the input
  double max_rel;   // max |error| / max |input| of its block
};

ErrorStats round_trip(Type t, const std::vector<float>& x) {
  const std::size_t block = info(t).block_elems;
  std::vector<std::byte> q(row_bytes(t, x.size()));
  std::vector<float> y(x.size());
  quantize_row(t, x, q);
  dequantize_row(t, q, y);
  double se = 0, sx = 0, max_rel = 0;
  for (std::size_t b0 = 0; b0 < x.size(); b0 += block) {
    double amax = 0, emax = 0;
    for (std::size_t i = b0; i < b0 + block; ++i) {
      const double e = static_cast<double>(y[i]) - x[i];
      se += e * e;
      sx += static_cast<double>(x[i]) * x[i];
      amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
      emax = std::max(emax, std::fabs(e));
    }
    if (amax > 0) max_rel = std::max(max_rel, emax / amax);
  }
  return {std::sqrt(se / sx), max_rel};
}

std::vector<float> gaussian(std::size_t n, std::uint64_t seed) {
  auto rng = qvk::quant::test::seeded_rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

}  // namespace

// Max bounds: BF16/Q8_0/Q4_0 from their definitions (half a step, plus the f16
// rounding of d; Q4_0's clamp at +amax costs a whole step; F16 rounds tiny
// values into subnormals, so only its rms is meaningful). Rms bounds and the
// K-quant max bounds are measured values (Q8_0 0.0053, Q4_0 0.086, Q4_K 0.071 /
// 0.081, Q5_K 0.036 / 0.047, Q6_K 0.018 / 0.016) with ~15-25 % headroom: they
// catch a broken search, not a one-ulp change.
TEST(QuantizeRoundTrip, ErrorsStayWithinFormatBounds) {
  const auto x = gaussian(256 * 512, 2024);
  struct Case {
    Type type;
    double rms_bound, max_bound;
  } cases[] = {
      {Type::F16, 2.5e-4, 1.0},
      {Type::BF16, 2.0e-3, 1.0 / 256},
      {Type::Q8_0, 0.0065, 0.5 / 127 + 1.0 / 1024},
      {Type::Q4_0, 0.10, 1.0 / 8 + 1.0 / 256},
      {Type::Q4_K, 0.085, 0.10},
      {Type::Q5_K, 0.043, 0.06},
      {Type::Q6_K, 0.021, 0.02},
  };
  for (const Case& c : cases) {
    const ErrorStats s = round_trip(c.type, x);
    std::printf("%-5s rms_rel %.5f max_rel %.5f\n", std::string(name(c.type)).c_str(), s.rms_rel, s.max_rel);
    EXPECT_LE(s.rms_rel, c.rms_bound) << name(c.type);
    EXPECT_LE(s.max_rel, c.max_bound) << name(c.type);
    EXPECT_GT(s.rms_rel, 0.0) << name(c.type);  // really quantized, not a copy
  }
  EXPECT_EQ(round_trip(Type::F32, x).rms_rel, 0.0);
}

TEST(QuantizeRoundTrip, KQuantRowsAreFastEnoughForTheModelWriter) {
  // 4M floats per type; the writer needs ~40M in a few seconds on one core.
  const auto x = gaussian(256 * 16384, 7);
  std::vector<std::byte> q(row_bytes(Type::Q4_K, x.size()));
  for (Type t : {Type::Q4_K, Type::Q5_K, Type::Q6_K}) {
    q.resize(row_bytes(t, x.size()));
    // Process CPU time (the test is single-threaded), so other processes on a shared machine do not count.
    const std::clock_t t0 = std::clock();
    quantize_row(t, x, q);
    const double s = static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC;
    std::printf("%-5s %.3f s CPU per 4M floats\n", std::string(name(t)).c_str(), s);
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(s * 10, 6.0) << name(t);  // 40M floats in < 6 s (measured ~2.5 s for Q4_K)
#endif
  }
}
