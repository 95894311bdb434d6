// Tests for qvk/quant/row.hpp: runtime dispatch over whole rows.
#include "qvk/quant/row.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_util.hpp"

using namespace qvk::quant;

namespace {
template <class Fn>
std::string invalid_argument_message(Fn&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no exception>";
}
}  // namespace

TEST(RowBytes, CountsWholeBlocksForEveryKnownType) {
  EXPECT_EQ(row_bytes(Type::F32, 3), 12u);
  EXPECT_EQ(row_bytes(Type::F16, 5), 10u);
  EXPECT_EQ(row_bytes(Type::Q8_0, 64), 68u);
  EXPECT_EQ(row_bytes(Type::Q4_K, 512), 288u);
  EXPECT_EQ(row_bytes(Type::Q6_K, 4096), 16u * 210u);
  EXPECT_EQ(row_bytes(Type::IQ2_XXS, 256), 66u);  // geometry known even without a trait
  EXPECT_EQ(row_bytes(Type::Q4_K, 0), 0u);
}

TEST(RowBytes, RejectsPartialBlocksOverflowAndUnknownIds) {
  EXPECT_NE(invalid_argument_message([] { row_bytes(Type::Q4_K, 300); }).find("Q4_K"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { row_bytes(Type::Q8_0, 33); }).find("block size 32"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { row_bytes(Type::F32, ~0ull); }).find("overflow"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { row_bytes(static_cast<Type>(99), 32); }).find("type id 99"), std::string::npos);
}

TEST(RowDispatch, RejectsUnsupportedTypesByName) {
  std::vector<std::byte> bytes(20);
  std::vector<float> floats(32);
  EXPECT_NE(invalid_argument_message([&] { dequantize_row(Type::Q4_1, bytes, floats); }).find("Q4_1"), std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { quantize_row(Type::IQ4_XS, floats, bytes); }).find("IQ4_XS"), std::string::npos);
}

TEST(RowDispatch, RejectsMismatchedSpanSizes) {
  std::vector<std::byte> bytes(143);
  std::vector<float> floats(256);
  EXPECT_NE(invalid_argument_message([&] { dequantize_row(Type::Q4_K, bytes, floats); }).find("needs 144 bytes, got 143"),
            std::string::npos);
  std::vector<float> partial(100);
  EXPECT_NE(invalid_argument_message([&] { quantize_row(Type::Q6_K, partial, bytes); }).find("Q6_K"), std::string::npos);
}

TEST(RowDispatch, MatchesPerBlockTraitCallsOnUnalignedSpans) {
  auto rng = qvk::quant::test::seeded_rng(31);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(512);
  for (auto& v : x) v = dist(rng);
  std::vector<std::byte> storage(1 + row_bytes(Type::Q5_K, 512));
  const std::span<std::byte> q(storage.data() + 1, storage.size() - 1);  // odd address
  quantize_row(Type::Q5_K, x, q);
  std::vector<float> y(512);
  dequantize_row(Type::Q5_K, q, y);
  for (std::size_t b = 0; b < 2; ++b) {
    Q5_K::Block blk;
    Q5_K::quantize(x.data() + 256 * b, blk);
    ASSERT_EQ(std::memcmp(&blk, q.data() + 176 * b, 176), 0) << "block " << b;
    float out[256];
    Q5_K::dequantize(blk, out);
    ASSERT_EQ(std::memcmp(out, y.data() + 256 * b, sizeof out), 0) << "block " << b;
  }
}
