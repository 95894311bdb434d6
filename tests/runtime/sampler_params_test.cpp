// Tests for qvk/runtime/sampler_params.hpp: validation and inv_temperature.
#include "qvk/runtime/sampler_params.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

using qvk::runtime::inv_temperature;
using qvk::runtime::SamplerParams;
using qvk::runtime::validate;

namespace {

// what() of the std::invalid_argument that validate(p) throws ("" if none).
std::string rejection(const SamplerParams& p) {
  try {
    validate(p);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST(SamplerParams, DefaultsAreValid) { EXPECT_NO_THROW(validate(SamplerParams{})); }

TEST(SamplerParams, BoundaryValuesAreAccepted) {
  SamplerParams p;
  p.temperature = 0.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_last_n = 0;
  EXPECT_NO_THROW(validate(p));
  p.min_p = 1.0f;
  p.top_p = 1e-6f;
  p.repeat_penalty = 1e-3f;
  EXPECT_NO_THROW(validate(p));
}

TEST(SamplerParams, RejectsEachBadValueNamingFieldAndValue) {
  struct Case {
    SamplerParams p;
    std::string field, value;
  };
  auto with = [](auto set) {
    SamplerParams p;
    set(p);
    return p;
  };
  const Case cases[] = {
      {with([](SamplerParams& p) { p.temperature = -0.5f; }), "temperature", "-0.5"},
      {with([](SamplerParams& p) { p.temperature = kNan; }), "temperature", "nan"},
      {with([](SamplerParams& p) { p.temperature = kInf; }), "temperature", "inf"},
      {with([](SamplerParams& p) { p.top_k = -1; }), "top_k", "-1"},
      {with([](SamplerParams& p) { p.top_p = 0.0f; }), "top_p", "0"},
      {with([](SamplerParams& p) { p.top_p = 1.5f; }), "top_p", "1.5"},
      {with([](SamplerParams& p) { p.top_p = kNan; }), "top_p", "nan"},
      {with([](SamplerParams& p) { p.min_p = -0.25f; }), "min_p", "-0.25"},
      {with([](SamplerParams& p) { p.min_p = 2.0f; }), "min_p", "2"},
      {with([](SamplerParams& p) { p.repeat_penalty = 0.0f; }), "repeat_penalty", "0"},
      {with([](SamplerParams& p) { p.repeat_penalty = -1.25f; }), "repeat_penalty", "-1.25"},
      {with([](SamplerParams& p) { p.repeat_penalty = kInf; }), "repeat_penalty", "inf"},
      {with([](SamplerParams& p) { p.repeat_last_n = -1; }), "repeat_last_n", "-1"},
  };
  for (const Case& c : cases) {
    const std::string what = rejection(c.p);
    EXPECT_NE(what.find("SamplerParams." + c.field + " "), std::string::npos) << what;
    EXPECT_NE(what.find("got " + c.value), std::string::npos) << what;
  }
}

TEST(SamplerParams, GreedyWhenTemperatureIsZeroOrTinyOrTopKIsOne) {
  SamplerParams p;
  EXPECT_FALSE(is_greedy(p));
  p.temperature = 0.0f;
  EXPECT_TRUE(is_greedy(p));
  p.temperature = std::numeric_limits<float>::min();  // FLT_MIN is 0 by the tiny-value rule
  EXPECT_TRUE(is_greedy(p));
  p.temperature = std::nextafter(std::numeric_limits<float>::min(), 1.0f);
  EXPECT_FALSE(is_greedy(p));
  p.temperature = 1.0f;
  p.top_k = 1;
  EXPECT_TRUE(is_greedy(p));
}

TEST(InvTemperature, IsTheNearestFloatToTheReciprocal) {
  EXPECT_EQ(inv_temperature(1.0f), 1.0f);
  EXPECT_EQ(inv_temperature(0.5f), 2.0f);
  EXPECT_EQ(inv_temperature(0.8f), 1.25f);  // 1/0.8f = 1.2499999813..., nearest f32 is 1.25
  // Against long double (64-bit mantissa) rounded once, over seeded random t:
  // the f32 whose distance to 1/t is smallest.
  std::mt19937 rng(7);  // seed 7
  std::uniform_real_distribution<float> mant(1.0f, 2.0f);
  std::uniform_int_distribution<int> ex(-60, 60);
  for (int i = 0; i < 200000; ++i) {
    const float t = std::ldexp(mant(rng), ex(rng));
    const float y = inv_temperature(t);
    const long double exact = 1.0L / static_cast<long double>(t);
    const long double err = std::fabs(static_cast<long double>(y) - exact);
    ASSERT_LE(err, std::fabs(static_cast<long double>(std::nextafter(y, 0.0f)) - exact)) << t;
    ASSERT_LE(err, std::fabs(static_cast<long double>(std::nextafter(y, kInf)) - exact)) << t;
  }
}

TEST(InvTemperature, StaysAboveFltMinForHugeTemperatures) {
  const float y = inv_temperature(1e38f);
  EXPECT_GT(y, std::numeric_limits<float>::min());
  EXPECT_EQ(std::bit_cast<std::uint32_t>(y), qvk::runtime::kMinInvTempBits);
}
