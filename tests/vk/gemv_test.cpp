// GEMV (every weight type), activation quantization and embedding gather on the
// Vulkan device vs the reference interpreter, bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>

#include "gemv_runner.hpp"

namespace qvk::vk::test::gemv {
namespace {

constexpr std::uint64_t kSeed = 0x47'45'4d'56;  // "GEMV"

bool quantized(Type t) { return ops::weight_format(t).act != ops::ActKind::Float; }
std::uint32_t block_of(Type t) { return quantized(t) ? ops::weight_format(t).block_elems : 8; }

GemvResult expect_gemv(const GemvCase& c, std::uint64_t seed) {
  GemvResult r = run_gemv(c);
  EXPECT_TRUE(r.cmp.ok) << describe(c) << " seed=" << seed << ": " << r.cmp.message;
  return r;
}

GemvCase make_case(Type t, std::uint32_t rows, std::uint32_t cols, std::uint64_t seed, int x_class = 0,
                   bool specials = false, bool nonfinite = false) {
  GemvCase c;
  c.type = t;
  c.rows = rows;
  c.cols = cols;
  c.w = raw_weights(t, rows, cols, seed, specials, nonfinite);
  c.x = make_x(cols, seed + 1, x_class);
  return c;
}

// ---------------------------------------------------------------- activation quantization

TEST(QuantizeAct, BlocksEqualQuantizeQ8ActBitForBitForEveryInputClass) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  for (std::uint32_t block : {32u, 256u})
    for (int cls = 0; cls < 4; ++cls)
      for (std::uint32_t n : {block, 4096u, 3u * 1024u + 256u}) {
        const auto x = make_x(n, ++seed, cls);
        for (std::uint32_t wg : {64u, 128u, 256u}) {
          const Comparison cmp = run_quantize_act(block, x, wg);
          EXPECT_TRUE(cmp.ok) << "block " << block << " class " << cls << " n " << n << " wg " << wg << " seed " << seed
                              << ": " << cmp.message;
        }
      }
  expect_validation_clean();
}

// Blocks chosen by hand: all zero, ±inf/NaN (d = canonical NaN), all |x| <= FLT_MIN
// (counted as 0), d = amax/127 <= FLT_MIN (zero block), one huge value with tiny
// others (subnormal products x·(1/d) round to code 0), FLT_MAX, and exact codes.
TEST(QuantizeAct, HandlesZeroNonFiniteTinyAndHugeBlocks) {
  for (std::uint32_t block : {32u, 256u}) {
    const std::uint32_t kBlocks = 10;
    std::vector<float> x(block * kBlocks, 0.0f);
    auto blk = [&](std::uint32_t k) { return x.data() + k * block; };
    // block 0: zeros (with a -0)
    blk(0)[3] = -0.0f;
    // block 1: +inf; block 2: NaN; block 3: -inf among ordinary values
    for (std::uint32_t k = 1; k <= 3; ++k)
      for (std::uint32_t i = 0; i < block; ++i) blk(k)[i] = float(int(i % 17) - 8) * 0.25f;
    blk(1)[5] = std::bit_cast<float>(0x7f800000u);
    blk(2)[block - 1] = std::bit_cast<float>(0x7fc00001u);
    blk(3)[0] = std::bit_cast<float>(0xff800000u);
    // block 4: subnormals and ±FLT_MIN only
    for (std::uint32_t i = 0; i < block; ++i)
      blk(4)[i] = std::bit_cast<float>((i % 2 ? 0x80000000u : 0u) | (i % 3 ? 0x00800000u : (1u + i)));
    // block 5: amax = 2^-120: d = 2^-120/127 is below FLT_MIN -> zero block
    blk(5)[7] = std::ldexp(1.0f, -120);
    blk(5)[9] = -std::ldexp(1.0f, -121);
    // block 6: one huge value, the rest tiny (x·(1/d) subnormal)
    blk(6)[0] = 1e38f;
    for (std::uint32_t i = 1; i < block; ++i) blk(6)[i] = std::ldexp(1.0f, -100) * float(i);
    // block 7: ±FLT_MAX
    blk(7)[1] = 3.4028235e38f;
    blk(7)[2] = -3.4028235e38f;
    blk(7)[3] = 1.0f;
    // block 8: integers up to 127 (codes exact or one off from recip's rounding)
    for (std::uint32_t i = 0; i < block; ++i) blk(8)[i] = float(int(i % 255) - 127);
    // block 9: halves: x = c + 0.5 with amax 127
    for (std::uint32_t i = 0; i < block; ++i) blk(9)[i] = float(int(i % 254) - 127) + 0.5f;
    blk(9)[0] = 127.0f;
    for (std::uint32_t wg : {64u, 256u}) {
      const Comparison cmp = run_quantize_act(block, x, wg);
      EXPECT_TRUE(cmp.ok) << "block " << block << " wg " << wg << ": " << cmp.message;
    }
    quant::Q8Act32 a;  // the reference pins what these blocks become
    quant::quantize_q8_act(blk(1), a);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(a.d), kCanonicalNan);
    quant::quantize_q8_act(blk(5), a);
    EXPECT_EQ(a.d, 0.0f);
  }
  expect_validation_clean();
}

// ---------------------------------------------------------------- GEMV shapes

TEST(Gemv, MatchesReferenceOnQwen3ProjectionShapesForEveryType) {
  struct Shape {
    std::uint32_t rows, cols;
  };
  // 0.6B q (2048x1024) and k/o/ffn shapes, 4B/8B-like 4096x4096.
  constexpr Shape kShapes[] = {{1024, 1024}, {2048, 1024}, {3072, 1024}, {1024, 3072}, {4096, 4096}};
  std::uint64_t seed = kSeed + 100;
  for (Type t : kTypes)
    for (const Shape s : kShapes) {
      GemvCase c = make_case(t, s.rows, s.cols, ++seed);
      c.config = 3;
      const GemvResult r = expect_gemv(c, seed);
      EXPECT_GT(r.nonzero, s.rows * 9 / 10) << describe(c) << ": output mostly zero";
      EXPECT_EQ(r.nan, 0u) << describe(c);
    }
  expect_validation_clean();
}

TEST(Gemv, MatchesReferenceOnTheQwen3_8BFfnUpShape) {
  // 12288x4096 (8B gate/up), Q4_K (the common 8B quant) and F16.
  std::uint64_t seed = kSeed + 150;
  for (Type t : {Type::Q4_K, Type::Q6_K, Type::F16}) {
    GemvCase c = make_case(t, 12288, 4096, ++seed);
    c.config = 3;
    const GemvResult r = expect_gemv(c, seed);
    EXPECT_GT(r.nonzero, 12288u * 9 / 10) << describe(c);
  }
  expect_validation_clean();
}

// The vocabulary projections: more rows than 65,535 workgroups of one row (a 2-D
// grid). On a device whose storage range cannot bind the whole matrix (lavapipe:
// 128 MiB) the runner splits the rows over several dispatches, as a runtime must.
TEST(Gemv, WritesEveryLogitOfTheQwen3LmHeads) {
  std::uint64_t seed = kSeed + 200;
  {
    GemvCase c = make_case(Type::Q6_K, 151936, 1024, ++seed);
    c.config = 4;  // 16 rows per workgroup
    const GemvResult r = expect_gemv(c, seed);
    EXPECT_GT(r.nonzero, 151936u * 9 / 10);
  }
  {
    GemvCase c = make_case(Type::Q4_K, 248320, 1024, ++seed);
    c.config = 0;  // one row per workgroup: 248,320 workgroups, a 2-D grid
    const GemvResult r = expect_gemv(c, seed);
    EXPECT_GT(r.nonzero, 248320u * 9 / 10);
    EXPECT_GE(r.dispatches, 2u);  // activation quantization + at least one GEMV
  }
  {
    GemvCase c = make_case(Type::Q8_0, 151936, 1024, ++seed);
    c.config = 2;
    expect_gemv(c, seed);
  }
  expect_validation_clean();
}

TEST(Gemv, WritesEveryRowAndNoMoreWhenShapesAreRagged) {
  std::uint64_t seed = kSeed + 300;
  for (Type t : kTypes) {
    const std::uint32_t b = block_of(t);
    // blocks per row: 1, 3, 31, 33 (lanes wrap), 37; rows: 1, 5, 17, 33
    for (std::uint32_t nb : {1u, 3u, 31u, 33u, 37u})
      for (std::uint32_t rows : {1u, 5u, 17u, 33u}) {
        if (!quantized(t) && nb * b > 300 && rows > 5) continue;
        GemvCase c = make_case(t, rows, nb * b, ++seed);
        c.config = std::uint32_t(seed % kConfigCount);
        expect_gemv(c, seed);
      }
  }
  expect_validation_clean();
}

TEST(Gemv, BitsDoNotDependOnWorkgroupRowsBlockThreadsOrSubgroupSize) {
  std::uint64_t seed = kSeed + 400;
  auto sizes = device().features().allowed_subgroup_sizes();
  if (!device().can_pin_subgroup_size()) sizes = {0};
  for (Type t : kTypes) {
    // 37 blocks per row: several chunks, a ragged lane tail; 13 rows: ragged workgroups.
    GemvCase c = make_case(t, 13, 37 * block_of(t), ++seed, 1);
    const std::vector<float> want = reference_gemv(c);
    for (std::uint32_t cfg = 0; cfg < kConfigCount; ++cfg)
      for (std::uint32_t sg : sizes) {
        c.config = cfg;
        c.subgroup = sg;
        const GemvResult r = run_gemv(c, want);
        EXPECT_TRUE(r.cmp.ok) << describe(c) << ": " << r.cmp.message;
      }
  }
  expect_validation_clean();
}

// Weights with zero, f16-subnormal (tiny da·d products flush to 0), near-65504
// and (some) inf/NaN scales, against wide, zero/FLT_MIN and non-finite activations.
TEST(Gemv, MatchesReferenceWithExtremeScalesAndActivations) {
  std::uint64_t seed = kSeed + 500;
  for (Type t : kTypes)
    for (int cls = 0; cls < 4; ++cls)
      for (bool nonfinite : {false, true}) {
        GemvCase c = make_case(t, 40, 35 * block_of(t), ++seed, cls, true, nonfinite);
        c.config = std::uint32_t(seed % kConfigCount);
        expect_gemv(c, seed);
      }
  expect_validation_clean();
}

// Values that only the contract's flush turns into zeros: subnormal F32/BF16
// weights times huge activations (and huge weights times subnormal activations),
// F16 subnormals times tiny activations (a subnormal product), and quantized
// Q8_0/Q4_0 blocks whose da·d is subnormal (f16-subnormal d, activations near 2^-118).
// Without the flushes each output would be a nonzero number; with them it is 0.
TEST(Gemv, FlushesSubnormalInputsAndProductsToZeroAsTheReference) {
  std::uint64_t seed = kSeed + 550;
  for (Type t : kTypes) {
    const std::uint32_t rows = 16, cols = 4 * (quantized(t) ? ops::weight_format(t).block_elems : 64);
    GemvCase c = make_case(t, rows, cols, ++seed);
    std::mt19937_64 rng(seed);
    const std::uint32_t half = cols / 2;
    for (std::uint32_t i = 0; i < cols; ++i) {
      const float sign = (rng() & 1) ? -1.0f : 1.0f;
      if (t == Type::F32 || t == Type::BF16) c.x[i] = sign * std::ldexp(1.0f + float(rng() % 100) / 100.0f, i < half ? 100 : -130);
      else c.x[i] = sign * std::ldexp(1.0f + float(rng() % 100) / 100.0f, t == Type::F16 ? -115 : -118 - int(i % 3));
    }
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t i = 0; i < cols; ++i) {
        std::byte* row = c.w.data() + ops::weight_bytes(t, r, cols);
        const auto sub16 = std::uint16_t(((rng() & 1) ? 0x8000 : 0) | (1 + rng() % 0x3ff));  // f16/bf16 subnormal bits
        if (t == Type::F32) {
          const float v = i < half ? std::bit_cast<float>(std::uint32_t((1 + rng() % 0x7fffff) | (rng() & 0x80000000u)))
                                   : std::ldexp(1.0f, 100);
          std::memcpy(row + 4 * i, &v, 4);
        } else if (t == Type::BF16) {
          const std::uint16_t v = i < half ? std::uint16_t(sub16 & 0x807f ? sub16 & 0x807f : 1) : std::uint16_t(0x7180);  // 2^100
          std::memcpy(row + 2 * i, &v, 2);
        } else if (t == Type::F16) {
          std::memcpy(row + 2 * i, &sub16, 2);
        } else if (i % ops::weight_format(t).block_elems == 0) {  // every super-block scale f16-subnormal
          const ops::WeightFormat f = ops::weight_format(t);
          std::byte* blk = row + (i / f.block_elems) * f.block_bytes;
          std::memcpy(blk + (t == Type::Q6_K ? 208 : 0), &sub16, 2);
          if (f.mins) std::memcpy(blk + 2, &sub16, 2);
        }
      }
    c.config = std::uint32_t(seed % kConfigCount);
    const std::vector<float> want = reference_gemv(c);
    // K-quants apply da last (da·(d·A − dmin·B)): their terms stay normal here, only compared.
    if (!ops::weight_format(t).mins && t != Type::Q6_K) {
      for (float v : want) ASSERT_EQ(v, 0.0f) << quant::name(t) << ": the reference should flush every term";
    }
    const GemvResult r = run_gemv(c, want);
    EXPECT_TRUE(r.cmp.ok) << describe(c) << ": " << r.cmp.message;
  }
  expect_validation_clean();
}

// K-quant integer parts beyond 2^24 (large codes and scales, positive activations):
// float(A) must round like the reference's conversion (correctly rounded).
TEST(Gemv, RoundsIntegerPartsAbove2To24LikeTheReference) {
  std::uint64_t seed = kSeed + 580;
  for (Type t : {Type::Q4_K, Type::Q5_K, Type::Q6_K}) {
    GemvCase c = make_case(t, 24, 1024, ++seed);
    std::mt19937_64 rng(seed);
    for (auto& v : c.x) v = 0.8f + float(rng() % 1000) / 5000.0f;
    const ops::WeightFormat f = ops::weight_format(t);
    auto* bytes = reinterpret_cast<std::uint8_t*>(c.w.data());
    for (std::uint64_t b = 0; b < ops::weight_bytes(t, c.rows, c.cols) / f.block_bytes; ++b) {
      std::uint8_t* blk = bytes + b * f.block_bytes;
      if (t == Type::Q6_K) {
        for (int i = 0; i < 192; ++i) blk[i] |= std::uint8_t(0xee);  // q in {46, 47, 62, 63}: q − 32 >= 14
        for (int j = 0; j < 16; ++j) blk[192 + j] = std::uint8_t(96 + rng() % 32);
      } else {
        for (int i = 4; i < 8; ++i) blk[i] |= std::uint8_t(0xf0);     // scales 0..3 >= 48 (their high bits feed 4..7)
        for (int i = 12; i < 16; ++i) blk[i] |= std::uint8_t(0x0c);   // scales 4..7: low nibble >= 12
        for (std::uint32_t i = 16; i < f.block_bytes; ++i) blk[i] |= std::uint8_t(t == Type::Q5_K && i < 48 ? 0xff : 0xcc);
      }
    }
    // The first block's integer part, as the reference computes it, is above 2^24 and not a multiple of 2^8.
    std::int64_t A = 0;
    quant::Q8Act256 a;
    quant::quantize_q8_act(c.x.data(), a);
    if (t == Type::Q6_K) {
      quant::Q6_K::Block blk;
      std::memcpy(&blk, c.w.data(), sizeof blk);
      quant::Q6_K::Decomposed dec;
      quant::Q6_K::decompose(blk, dec);
      for (int i = 0; i < 256; ++i) A += std::int64_t(dec.scale[i / 16]) * dec.q[i] * a.qs[i];
    } else {
      quant::Q4_K::Decomposed dec;
      if (t == Type::Q4_K) {
        quant::Q4_K::Block blk;
        std::memcpy(&blk, c.w.data(), sizeof blk);
        quant::Q4_K::decompose(blk, dec);
      } else {
        quant::Q5_K::Block blk;
        std::memcpy(&blk, c.w.data(), sizeof blk);
        quant::Q5_K::decompose(blk, dec);
      }
      for (int i = 0; i < 256; ++i) A += std::int64_t(dec.scale[i / 32]) * dec.q[i] * a.qs[i];
    }
    EXPECT_GT(A, std::int64_t(1) << 24) << quant::name(t);
    c.config = std::uint32_t(seed % kConfigCount);
    expect_gemv(c, seed);
  }
  expect_validation_clean();
}

TEST(Gemv, MatchesReferenceOnWeightsFromQvksQuantizers) {
  std::uint64_t seed = kSeed + 600;
  for (Type t : kTypes) {
    GemvCase c;
    c.type = t;
    c.rows = 96;
    c.cols = 1536;
    c.w = quantized_weights(t, c.rows, c.cols, ++seed);
    c.x = make_x(c.cols, seed + 1, 0);
    c.config = 2;
    const GemvResult r = expect_gemv(c, seed);
    EXPECT_GT(r.nonzero, 80u) << describe(c);
  }
  expect_validation_clean();
}

// The configs docs/vulkan.md suggests per shape (chunk = a whole row where it fits), each on
// its shape with a few rows: what an H100 benchmark should time (with more rows).
template <Type T, GemvConfig C>
void expect_tuned(std::uint32_t cols, std::uint64_t seed) {
  GemvCase c = make_case(T, 67, cols, seed);
  const std::vector<float> want = reference_gemv(c);
  const GemvResult r = run_gemv_with<T, C>(c, want);
  EXPECT_TRUE(r.cmp.ok) << quant::name(T) << " cols " << cols << " " << describe(C) << ": " << r.cmp.message;
  if (C.int_dot) {
    constexpr GemvConfig plain{C.workgroup, C.rows, C.block_threads, C.items, false};
    const GemvResult p = run_gemv_with<T, plain>(c, want);
    EXPECT_TRUE(p.cmp.ok) << quant::name(T) << " cols " << cols << " " << describe(plain) << ": " << p.cmp.message;
  }
}

TEST(Gemv, SuggestedConfigsPerShapeMatchReference) {
  std::uint64_t s = kSeed + 650;
  for (Type t : {Type::Q4_K, Type::Q5_K, Type::Q6_K}) {
    auto run = [&](auto tag) {
      constexpr Type T = decltype(tag)::value;
      expect_tuned<T, GemvConfig{256, 16, 8, 2, true}>(1024, ++s);
      expect_tuned<T, GemvConfig{256, 8, 8, 2, true}>(2048, ++s);
      expect_tuned<T, GemvConfig{256, 4, 8, 2, true}>(4096, ++s);
      expect_tuned<T, GemvConfig{256, 8, 8, 5, true}>(5120, ++s);
      expect_tuned<T, GemvConfig{256, 2, 8, 3, true}>(12288, ++s);
      expect_tuned<T, GemvConfig{256, 8, 8, 5, true}>(25600, ++s);
    };
    if (t == Type::Q4_K) run(std::integral_constant<Type, Type::Q4_K>{});
    if (t == Type::Q5_K) run(std::integral_constant<Type, Type::Q5_K>{});
    if (t == Type::Q6_K) run(std::integral_constant<Type, Type::Q6_K>{});
  }
  for (std::uint32_t cols : {1024u, 4096u, 12288u}) {
    expect_tuned<Type::Q8_0, GemvConfig{256, 8, 2, 2, true}>(cols, ++s);
    expect_tuned<Type::Q4_0, GemvConfig{256, 8, 1, 1, true}>(cols, ++s);
    expect_tuned<Type::F16, GemvConfig{64, 16}>(cols, ++s);
    expect_tuned<Type::BF16, GemvConfig{256, 64}>(cols, ++s);
    expect_tuned<Type::F32, GemvConfig{256, 32}>(cols, ++s);
  }
  expect_validation_clean();
}

TEST(Gemv, RejectsProblemsItsDescriptorCallsInvalidWithTheReason) {
  using Op = ops::Gemv<Type::Q4_K>;
  Device& d = device();
  Buffer b(d, 1 << 16);
  Recorder rec(d, pipelines());
  try {
    submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {4, 1000}); });
    ADD_FAILURE() << "cols = 1000 accepted for Q4_K";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of the block size"), std::string::npos) << e.what();
  }
  // A weight binding smaller than rows·row_bytes is refused before recording.
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {1024, 1024}); }),
               Error);
  EXPECT_FALSE(ops::Gemv<Type::F16>::valid({4, 12}));
  EXPECT_FALSE(ops::QuantizeAct<256>::valid({1024 + 32}));
  EXPECT_EQ(rec.dispatches(), 0u);
}

// ---------------------------------------------------------------- embedding gather

TEST(EmbedRow, GathersTheReferenceRowForEveryTypeByPushConstantAndByBuffer) {
  std::uint64_t seed = kSeed + 700;
  for (Type t : kTypes) {
    const std::uint32_t rows = 300, cols = 1024;
    const auto w = raw_weights(t, rows, cols, ++seed, false, false);
    const std::vector<std::uint32_t> tokens{0, 1, 137, rows - 1};
    Comparison c = run_embed<false>(t, rows, cols, w, tokens);
    EXPECT_TRUE(c.ok) << quant::name(t) << " push constant: " << c.message;
    c = run_embed<true>(t, rows, cols, w, {rows - 1, 5, rows, 0xffffffffu});  // the last two: out of range -> NaN
    EXPECT_TRUE(c.ok) << quant::name(t) << " token buffer: " << c.message;
  }
  expect_validation_clean();
}

TEST(EmbedRow, MatchesReferenceWithExtremeScales) {
  std::uint64_t seed = kSeed + 800;
  for (Type t : kTypes) {
    const std::uint32_t rows = 64, cols = 512;
    const auto w = raw_weights(t, rows, cols, ++seed, true, true);
    std::vector<std::uint32_t> tokens;
    for (std::uint32_t r = 0; r < rows; r += 3) tokens.push_back(r);
    const Comparison c = run_embed<false>(t, rows, cols, w, tokens);
    EXPECT_TRUE(c.ok) << quant::name(t) << ": " << c.message;
  }
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::test::gemv
