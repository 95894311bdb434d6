// GEMM (batched prefill, every weight type) on the Vulkan device vs the
// reference interpreter, bit for bit, and column by column vs the GEMV.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <iostream>
#include <tuple>

#include "gemm_runner.hpp"

namespace qvk::vk::test::gemm {
namespace {

constexpr std::uint64_t kSeed = 0x47'45'4d'4d;  // "GEMM"
constexpr int kAllClasses[] = {0, 1, 2, 3};
constexpr int kOrdinary[] = {0};

bool quantized(Type t) { return ops::weight_format(t).act != ops::ActKind::Float; }
// Columns of one logical-lane unit: a block (quantized) or 8 elements (float: whole F16/BF16 words).
std::uint32_t block_of(Type t) { return quantized(t) ? ops::weight_format(t).block_elems : 8; }
// The subgroup size config i runs with, cycling through the allowed ones (0
// included): every size is covered and each (variant, config) compiles once
// (a cold llvmpipe compiles a GEMM pipeline in ~0.4 s: the pipeline count is
// most of this executable's time on a fresh machine).
std::uint32_t subgroup_for(Type t, std::uint32_t config) {
  const auto sizes = subgroup_sizes(config_of(t, config).workgroup);
  return sizes[config % sizes.size()];
}

GemmCase make_case(Type t, std::uint32_t rows, std::uint32_t cols, std::uint32_t batch, std::uint64_t seed,
                   std::span<const int> classes = kOrdinary, bool specials = false, bool nonfinite = false) {
  GemmCase c;
  c.type = t;
  c.rows = rows;
  c.cols = cols;
  c.batch = batch;
  c.w = gemv::raw_weights(t, rows, cols, seed, specials, nonfinite);
  c.x = make_batch_x(cols, batch, seed + 1, classes);
  return c;
}

GemmResult expect_gemm(const GemmCase& c, std::uint64_t seed) {
  GemmResult r = run_gemm(c);
  EXPECT_TRUE(r.cmp.ok) << describe(c) << " seed=" << seed << ": " << r.cmp.message;
  return r;
}

// ---------------------------------------------------------------- geometry (no GPU)

// Row tiles past 65,535 go to z; the shader skips the spare tiles of the last z slice.
static_assert(ops::Gemm<Type::Q8_0, GemmConfig{32, 1, 1}>::groups({65535, 32, 1}) == ops::Groups{1, 65535, 1});
static_assert(ops::Gemm<Type::Q8_0, GemmConfig{32, 1, 1}>::groups({65536, 32, 3}) == ops::Groups{3, 32768, 2});
static_assert(ops::Gemm<Type::F32, GemmConfig{32, 1, 1}>::groups({65537, 4, 2}) == ops::Groups{2, 32769, 2});
static_assert(ops::Gemm<Type::Q4_K, GemmConfig{64, 2, 3}>::groups({4 * 65535 * 3 + 1, 256, 7}) == ops::Groups{3, 49152, 4});
static_assert(ops::Gemm<Type::F16, GemmConfig{96, 3, 5}>::groups({10, 8, 11}) == ops::Groups{3, 2, 1});
static_assert(ops::Gemm<Type::Q6_K, GemmConfig{128, 4, 8}>::kSharedBytes == 16384);

TEST(GemmGroups, CoverEveryRowTileAndBatchColumnWithinTheGridLimits) {
  auto check = [](auto op, std::uint32_t rows, std::uint32_t batch) {
    using Op = decltype(op);
    const ops::Groups g = Op::groups({rows, 256, batch});
    const std::uint64_t tiles = (std::uint64_t(rows) + Op::kRows - 1) / Op::kRows;
    EXPECT_LE(g.x, 65535u);
    EXPECT_LE(g.y, 65535u);
    EXPECT_LE(g.z, 65535u);
    EXPECT_EQ(std::uint64_t(g.x) * Op::kConfig.cols, (batch + Op::kConfig.cols - 1) / Op::kConfig.cols * Op::kConfig.cols);
    EXPECT_GE(std::uint64_t(g.y) * g.z, tiles) << rows;                   // every row tile has a workgroup
    EXPECT_LT(std::uint64_t(g.y) * g.z - tiles, std::uint64_t(g.z)) << rows;  // spare tiles: fewer than one per z slice
  };
  for (std::uint32_t rows : {1u, 65535u, 65536u, 131071u, 131072u, 131073u, 4000000u, 0xffffffffu / 2})
    for (std::uint32_t batch : {1u, 7u, 512u, 65535u}) {
      check(ops::Gemm<Type::Q8_0, GemmConfig{32, 1, 1}>{}, rows, batch);
      check(ops::Gemm<Type::F32, GemmConfig{96, 3, 5}>{}, rows, batch);
      check(ops::Gemm<Type::Q4_K>{}, rows, batch);
    }
}

// A 3-D grid on the GPU: 66,535 one-row tiles (two z slices, one spare tile) and
// 65,537 rows of F32 (cols 4). Small matrices, so lavapipe can run them.
TEST(Gemm, WritesEveryRowOfA3DGridAndSkipsItsSpareTiles) {
  std::uint64_t seed = kSeed + 50;
  for (auto [t, rows, cols] : {std::tuple{Type::Q8_0, 66535u, 32u}, std::tuple{Type::F32, 65537u, 4u}}) {
    GemmCase c = make_case(t, rows, cols, 2, ++seed);
    c.config = 0;  // {32, 1, 1}: one row per workgroup
    c.subgroup = subgroup_for(t, c.config);
    ASSERT_EQ(config_of(t, 0).workgroup, 32u);
    ASSERT_EQ(config_of(t, 0).items * config_of(t, 0).cols, 1u);
    const GemmResult r = expect_gemm(c, seed);
    EXPECT_GT(r.nonzero, std::size_t(rows) * 2 * 9 / 10) << describe(c);
  }
  expect_validation_clean();
}

// ---------------------------------------------------------------- shapes

TEST(GemmReference, SimdPathEqualsPortablePathOnTheTestShapes) {
  std::uint64_t seed = kSeed + 80;
  for (Type t : kTypes)
    for (std::uint32_t batch : {1u, 5u, 17u}) {
      const GemmCase c = make_case(t, 37, 35 * block_of(t), batch, ++seed, kAllClasses, true, true);
      const Comparison cmp = compare_references(reference_gemm(c, true), reference_gemm(c));
      EXPECT_TRUE(cmp.ok) << describe(c) << ": " << cmp.message;
    }
}

TEST(Gemm, WritesEveryColumnAndRowAndNoMoreWhenShapesAreRagged) {
  std::uint64_t seed = kSeed + 100;
  // blocks per row: 1, 3, 33 (lanes wrap), 37, 97 (three or four blocks per lane:
  // their order matters); rows: 1, 5, 17 (tile rows 1..32 rarely divide them);
  // batch: 1, 2, 9, 13 (tile columns 1..8).
  constexpr std::uint32_t kBlocks[] = {1, 3, 33, 37, 97};
  constexpr std::uint32_t kRows[] = {1, 5, 17};
  constexpr std::uint32_t kBatch[] = {1, 2, 9, 13};
  for (Type t : kTypes)
    for (std::uint32_t cfg = 0; cfg < kConfigCount; ++cfg) {
      if (!config_runnable(t, cfg)) continue;
      for (std::uint32_t i = 0; i < 3; ++i) {
        const std::uint32_t nb = kBlocks[(cfg + i) % 5], rows = kRows[(cfg / 2 + i) % 3], batch = kBatch[(cfg + 2 * i) % 4];
        GemmCase c = make_case(t, rows, nb * block_of(t), batch, ++seed, kAllClasses);
        c.config = cfg;
        c.subgroup = subgroup_for(t, cfg);
        expect_gemm(c, seed);
      }
    }
  expect_validation_clean();
}

// One case per type through every tile and every allowed subgroup size (a
// device with several sizes runs each config with each size: the bits must not move).
TEST(Gemm, BitsDoNotDependOnTileShapeOrSubgroupSize) {
  std::uint64_t seed = kSeed + 200;
  for (Type t : kTypes) {
    // 37 blocks per row: a ragged lane tail; 13 rows and 11 columns: ragged tiles.
    GemmCase c = make_case(t, 13, 37 * block_of(t), 11, ++seed, kAllClasses);
    const std::vector<float> want = reference_gemm(c);
    for (std::uint32_t cfg = 0; cfg < kConfigCount; ++cfg) {
      if (!config_runnable(t, cfg)) continue;
      auto sizes = subgroup_sizes(config_of(t, cfg).workgroup);
      if (sizes.size() == 2) sizes = {subgroup_for(t, cfg)};  // one pinnable size (lavapipe: 8): 0 or 8, alternating
      for (std::uint32_t sg : sizes) {
        c.config = cfg;
        c.subgroup = sg;
        const GemmResult r = run_gemm(c, want);
        EXPECT_TRUE(r.cmp.ok) << describe(c) << ": " << r.cmp.message;
      }
    }
  }
  expect_validation_clean();
}

// A prefill chunk of 17 tokens through Qwen3-like projections: 512 rows of a
// 2048-wide (0.6B's hidden: ffn_up/gate input) and a 4096-wide (4B/8B) matrix.
TEST(Gemm, MatchesReferenceOnAQwen3PrefillShapeForEveryType) {
  std::uint64_t seed = kSeed + 300;
  for (Type t : kTypes)
    for (std::uint32_t cols : {2048u, 4096u}) {
      GemmCase c = make_case(t, 512, cols, 17, ++seed);
      c.config = 2;  // {128, 2, 8}: 8 rows × 8 columns
      c.subgroup = subgroup_for(t, c.config);
      const std::vector<float> want = reference_gemm(c);
      const Comparison refs = compare_references(reference_gemm(c, true), want);
      EXPECT_TRUE(refs.ok) << describe(c) << ": " << refs.message;
      const GemmResult r = run_gemm(c, want);
      EXPECT_TRUE(r.cmp.ok) << describe(c) << " seed=" << seed << ": " << r.cmp.message;
      EXPECT_GT(r.nonzero, std::size_t(512) * 17 * 9 / 10) << describe(c) << ": output mostly zero";
      EXPECT_EQ(r.nan, 0u) << describe(c);
    }
  expect_validation_clean();
}

// Batch invariance, what chunked prefill relies on: column b of the GEMM is
// bit for bit the GEMV of x[b], whatever the GEMM's tile and the GEMV's mapping.
TEST(Gemm, ColumnBEqualsTheGemvOfXbBitForBit) {
  std::uint64_t seed = kSeed + 400;
  for (Type t : kTypes) {
    GemmCase c = make_case(t, 21, 35 * block_of(t), 9, ++seed, kAllClasses, true, true);
    for (std::uint32_t cfg : {1u, 3u, 5u}) {
      c.config = cfg;
      c.subgroup = subgroup_for(t, cfg);
      const GemmResult r = expect_gemm(c, seed);
      for (std::uint32_t b = 0; b < c.batch; ++b) {
        gemv::GemvCase g;
        g.type = t;
        g.rows = c.rows;
        g.cols = c.cols;
        g.config = b % 2 == 0 ? 3 : 7;  // two GEMV mappings (7: OpSDot for quantized types)
        if (gemv::config_of(t, g.config).int_dot && !device().features().integer_dot_product) g.config = 0;
        g.w = c.w;
        g.x.assign(c.x.begin() + std::ptrdiff_t(b) * c.cols, c.x.begin() + std::ptrdiff_t(b + 1) * c.cols);
        const gemv::GemvResult gr = gemv::run_gemv(g);
        EXPECT_TRUE(gr.cmp.ok) << gemv::describe(g) << ": " << gr.cmp.message;
        ASSERT_EQ(gr.y.size(), c.rows);
        EXPECT_EQ(std::memcmp(gr.y.data(), r.y.data() + std::size_t(b) * c.rows, c.rows * 4), 0)
            << describe(c) << " column " << b << " differs from " << gemv::describe(g);
      }
    }
  }
  expect_validation_clean();
}

// Weights with zero, f16-subnormal, near-65504 and (some) inf/NaN scales, each
// column a different activation class (ordinary, wide, zero/FLT_MIN, non-finite).
TEST(Gemm, MatchesReferenceWithExtremeScalesAndActivations) {
  std::uint64_t seed = kSeed + 500;
  for (Type t : kTypes)
    for (bool nonfinite : {false, true}) {
      GemmCase c = make_case(t, 40, 35 * block_of(t), 10, ++seed, kAllClasses, true, nonfinite);
      c.config = std::uint32_t(seed % kConfigCount);
      if (!config_runnable(t, c.config)) c.config = 0;
      c.subgroup = subgroup_for(t, c.config);
      expect_gemm(c, seed);
    }
  expect_validation_clean();
}

// Lanes start from +0: a row whose every term is -0 (negative weights or
// scales times zero activations) sums to +0, as the reference's lanes do.
// Columns: +0, -0, ordinary; even rows negative (float: every element; quantized: d < 0, dmin > 0).
TEST(Gemm, SumsAllNegativeZeroTermsToPositiveZeroAsTheReference) {
  std::uint64_t seed = kSeed + 560;
  for (Type t : kTypes) {
    const ops::WeightFormat f = ops::weight_format(t);
    const std::uint32_t rows = 6, cols = 3 * block_of(t);
    GemmCase c = make_case(t, rows, cols, 3, ++seed);
    std::fill(c.x.begin(), c.x.begin() + cols, 0.0f);
    std::fill(c.x.begin() + cols, c.x.begin() + 2 * cols, -0.0f);
    for (std::uint32_t r = 0; r < rows; r += 2) {
      std::byte* row = c.w.data() + ops::weight_bytes(t, r, cols);
      auto set_sign = [&](std::uint64_t off, bool negative) {  // of the f16/bf16/f32 at byte off (little-endian)
        const std::uint64_t top = off + (t == Type::F32 ? 3 : 1);
        row[top] = negative ? (row[top] | std::byte{0x80}) : (row[top] & std::byte{0x7f});
      };
      if (!quantized(t)) {
        const std::uint32_t bytes = t == Type::F32 ? 4 : 2;
        for (std::uint32_t i = 0; i < cols; ++i) set_sign(std::uint64_t(i) * bytes, true);
      } else {
        for (std::uint32_t k = 0; k < cols / f.block_elems; ++k) {
          const std::uint64_t b = std::uint64_t(k) * f.block_bytes;
          set_sign(b + (t == Type::Q6_K ? 208 : 0), true);
          if (f.mins) set_sign(b + 2, false);
        }
      }
    }
    c.config = std::uint32_t(seed % kConfigCount);
    if (!config_runnable(t, c.config)) c.config = 0;
    c.subgroup = subgroup_for(t, c.config);
    const std::vector<float> want = reference_gemm(c);
    for (std::uint32_t r = 0; r < rows; r += 2) {
      if (std::isnan(want[r])) continue;  // a non-finite weight (raw bytes) makes the row NaN
      ASSERT_EQ(bits(want[r]), 0u) << quant::name(t) << " row " << r << ": the reference should sum to +0";
    }
    const GemmResult r = run_gemm(c, want);
    EXPECT_TRUE(r.cmp.ok) << describe(c) << " seed=" << seed << ": " << r.cmp.message;
  }
  expect_validation_clean();
}

// Values only the contract's flushes turn into zeros, per column: F32/BF16
// subnormal weights times huge activations and huge weights times subnormal
// activations; F16 subnormals times tiny activations (subnormal products);
// quantized blocks with f16-subnormal scales and activations near 2^-118
// (da·d subnormal). Without the flushes each output would be a nonzero number.
TEST(Gemm, FlushesSubnormalInputsAndProductsToZeroAsTheReference) {
  std::uint64_t seed = kSeed + 570;
  for (Type t : kTypes) {
    const ops::WeightFormat f = ops::weight_format(t);
    const std::uint32_t rows = 9, cols = 4 * (quantized(t) ? f.block_elems : 64), batch = 3, half = cols / 2;
    GemmCase c = make_case(t, rows, cols, batch, ++seed);
    std::mt19937_64 rng(seed);
    for (std::uint32_t b = 0; b < batch; ++b)
      for (std::uint32_t i = 0; i < cols; ++i) {
        const float sign = (rng() & 1) ? -1.0f : 1.0f, m = 1.0f + float(rng() % 100) / 100.0f;
        float& v = c.x[std::size_t(b) * cols + i];
        if (t == Type::F32 || t == Type::BF16) v = sign * std::ldexp(m, i < half ? 100 : -130);
        else v = sign * std::ldexp(m, t == Type::F16 ? -115 : -118 - int((i + b) % 3));
      }
    for (std::uint32_t r = 0; r < rows; ++r) {
      std::byte* row = c.w.data() + ops::weight_bytes(t, r, cols);
      for (std::uint32_t i = 0; i < cols; ++i) {
        const auto sub16 = std::uint16_t(((rng() & 1) ? 0x8000 : 0) | (1 + rng() % 0x3ff));  // f16 subnormal bits
        if (t == Type::F32) {
          const float v = i < half ? std::bit_cast<float>(std::uint32_t((1 + rng() % 0x7fffff) | (rng() & 0x80000000u)))
                                   : std::ldexp(1.0f, 100);
          std::memcpy(row + 4 * i, &v, 4);
        } else if (t == Type::BF16) {
          const std::uint16_t v = i < half ? std::uint16_t((sub16 & 0x807f) ? (sub16 & 0x807f) : 1) : std::uint16_t(0x7180);
          std::memcpy(row + 2 * i, &v, 2);
        } else if (t == Type::F16) {
          std::memcpy(row + 2 * i, &sub16, 2);
        } else if (i % f.block_elems == 0) {  // every super-block scale f16-subnormal
          std::byte* blk = row + (i / f.block_elems) * f.block_bytes;
          std::memcpy(blk + (t == Type::Q6_K ? 208 : 0), &sub16, 2);
          if (f.mins) std::memcpy(blk + 2, &sub16, 2);
        }
      }
    }
    c.config = std::uint32_t(seed % kConfigCount);
    if (!config_runnable(t, c.config)) c.config = 0;
    c.subgroup = subgroup_for(t, c.config);
    const std::vector<float> want = reference_gemm(c);
    // K-quants apply da last (da·(d·A − dmin·B)): their terms stay normal here, only compared.
    if (!f.mins && t != Type::Q6_K) {
      for (float v : want) ASSERT_EQ(v, 0.0f) << quant::name(t) << ": the reference should flush every term";
    }
    const GemmResult r = run_gemm(c, want);
    EXPECT_TRUE(r.cmp.ok) << describe(c) << " seed=" << seed << ": " << r.cmp.message;
  }
  expect_validation_clean();
}

TEST(Gemm, MatchesReferenceOnWeightsFromQvksQuantizers) {
  std::uint64_t seed = kSeed + 600;
  for (Type t : kTypes) {
    GemmCase c;
    c.type = t;
    c.rows = 96;
    c.cols = 1536;
    c.batch = 5;
    c.w = gemv::quantized_weights(t, c.rows, c.cols, ++seed);
    c.x = make_batch_x(c.cols, c.batch, seed + 1, kOrdinary);
    c.config = 5;  // {128, 4, 8}: the largest tile, 3 of its 8 columns spare
    c.subgroup = subgroup_for(t, c.config);
    const GemmResult r = expect_gemm(c, seed);
    EXPECT_GT(r.nonzero, std::size_t(80) * 5) << describe(c);
  }
  expect_validation_clean();
}

// The runtime's chain: ops::QuantizeAct on the whole batch as one vector, then the GEMM.
TEST(Gemm, MatchesReferenceWhenFedByQuantizeActOfTheWholeBatch) {
  std::uint64_t seed = kSeed + 650;
  for (Type t : kTypes) {
    if (!quantized(t)) continue;
    GemmCase c = make_case(t, 33, 12 * block_of(t), 7, ++seed, kAllClasses, true, false);
    c.quantize_on_gpu = true;
    c.config = 3;  // {96, 3, 5}
    c.subgroup = subgroup_for(t, c.config);
    expect_gemm(c, seed);
  }
  expect_validation_clean();
}

// The cooperative-matrix shader at Qwen3 projection widths: 4096 (16 K-quant
// super-blocks: half its lanes empty), 12,288 (ffn_down: lanes of 1 and 2
// blocks; with 8 subgroups) and 1,024 + 32 (Q8_0/Q4_0: a ragged lane tail); 70 rows and 133
// columns (ragged 32-row and 64-column tiles), ordinary and zero/FLT_MIN
// activations (the wide and non-finite classes below, with extreme scales: wide
// ones overflow to inf - inf = NaN in Q5_K/Q6_K rows, as the reference). Runs
// where the device has int8 cooperative matrices (the H100), skipped elsewhere.
TEST(GemmCoopmat, MatchesReferenceOnQwen3WidthsWithRaggedTilesForEveryQuantizedType) {
  if (!device().cooperative_matrix_int8()) GTEST_SKIP() << "no int8 cooperative matrices on " << device().features().name;
  std::uint64_t seed = kSeed + 900;
  for (Type t : kTypes) {
    if (!quantized(t)) continue;
    std::vector<std::uint32_t> widths{4096, 12288};
    if (block_of(t) == 32) widths.push_back(1024 + 32);
    for (std::uint32_t cols : widths) {
      constexpr int kFinite[] = {0, 2};
      GemmCase c = make_case(t, 70, cols, 133, ++seed, kFinite);
      c.config = cols == 12288 ? kCoopmatConfig256 : kCoopmatConfig;
      const GemmResult r = expect_gemm(c, seed);
      EXPECT_EQ(r.nan, 0u) << describe(c);
      EXPECT_GT(r.nonzero, std::size_t(70) * 133 / 2) << describe(c) << ": output mostly zero";
    }
    // Extreme scales (zero, subnormal, huge, inf/NaN) through the same path.
    for (std::uint32_t cfg : {kCoopmatConfig, kCoopmatConfig256}) {
      GemmCase e = make_case(t, 40, 35 * block_of(t), 65, ++seed, kAllClasses, true, true);
      e.config = cfg;
      expect_gemm(e, seed);
    }
  }
  expect_validation_clean();
}

// A device that did not enable int8 cooperative matrices (lavapipe has none;
// here: the test device adopted without AdoptedDevice::nv_cooperative_matrix_enabled)
// refuses to record the cooperative-matrix GEMM and names what is missing,
// instead of handing the driver SPIR-V it cannot run.
TEST(GemmCoopmat, RecordingOnADeviceWithoutCooperativeMatricesThrowsNamingThem) {
  Device& owner = device();
  Device adopted(AdoptedDevice{owner.instance(), owner.physical(), owner.handle(), owner.queue(), owner.queue_family()});
  EXPECT_FALSE(adopted.cooperative_matrix_int8());
  PipelineCache cache(adopted);
  Recorder rec(adopted, cache);
  using Op = ops::Gemm<Type::Q4_K, ops::kCoopmatGemm256>;
  const Op::Problem prob{32, 256, 64};
  const auto el = Op::elements(prob);
  Buffer w(adopted, el[0] * 4), x(adopted, el[1] * 4), y(adopted, el[2] * 4);
  try {
    submit_and_wait(adopted, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(w), whole(x), whole(y)}, prob); });
    FAIL() << "expected vk::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gemm_q4_k_cm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("VK_NV_cooperative_matrix"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rec.dispatches(), 0u);
}

TEST(Gemm, RejectsProblemsItsDescriptorCallsInvalidWithTheReason) {
  using Op = ops::Gemm<Type::Q4_K>;
  EXPECT_FALSE(Op::valid({16, 1000, 2}));                                // cols not whole 256-blocks
  EXPECT_FALSE(Op::valid({16, 1024 + 32, 2}));
  EXPECT_FALSE(Op::valid({16, 1024, 0}));                                // batch 0
  EXPECT_FALSE(Op::valid({0, 1024, 1}));                                 // rows 0
  EXPECT_FALSE((ops::Gemm<Type::Q8_0, GemmConfig{32, 1, 1}>::valid({4, 32, 65536})));  // 65,536 column tiles
  EXPECT_TRUE((ops::Gemm<Type::Q8_0, GemmConfig{32, 1, 1}>::valid({4, 32, 65535})));
  EXPECT_FALSE(ops::Gemm<Type::Q8_0>::valid({4, 48, 1}));
  EXPECT_FALSE(ops::Gemm<Type::F16>::valid({4, 12, 1}));                 // F16: whole 8-element groups
  EXPECT_FALSE(ops::Gemm<Type::F32>::valid({4, 6, 1}));
  EXPECT_TRUE(ops::Gemm<Type::F32>::valid({4, 4, 1}));
  EXPECT_NE(Op::why_invalid({16, 1000, 2}).find("multiple of the block size"), std::string_view::npos);
  EXPECT_NE(Op::why_invalid({16, 1024, 0}).find("batch"), std::string_view::npos);

  Device& d = device();
  Buffer b(d, 1 << 16);
  Recorder rec(d, pipelines());
  try {
    submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {4, 1000, 2}); });
    ADD_FAILURE() << "cols = 1000 accepted for Q4_K";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of the block size"), std::string::npos) << e.what();
  }
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {4, 256, 0}); }),
               Error);
  // An activation binding one word short of the batch's layout is refused before recording.
  Buffer act(d, Op::act_words(1024, 3) * 4 - 4);
  EXPECT_THROW(submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(b), whole(act), whole(b)}, {4, 1024, 3}); }),
               Error);
  EXPECT_EQ(rec.dispatches(), 0u);
}

}  // namespace
}  // namespace qvk::vk::test::gemm
