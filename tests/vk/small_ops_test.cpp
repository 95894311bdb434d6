// RoPE, KV-cache append, SwiGLU, Add / QKV bias and QK-norm on the Vulkan
// device vs the reference interpreter, bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <random>

#include "small_ops_runner.hpp"

namespace qvk::vk::opstest {
namespace {

constexpr std::uint64_t kSeed = 0x53'4d'41'4c'4c'4f'50ULL;  // "SMALLOP"

template <class Case>
void expect_ok(const Case& c, std::uint64_t seed, const Comparison& cmp) {
  EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
}

// ---- RoPE ----

RopeCase rope_case(std::uint32_t rows, std::uint32_t heads, std::uint32_t head_dim, std::uint32_t pos0,
                   std::uint32_t table, std::uint64_t seed, Values cls = Values::Mixed) {
  std::mt19937_64 rng(seed);
  RopeCase c;
  c.rows = rows;
  c.heads = heads;
  c.head_dim = head_dim;
  c.pos0 = pos0;
  c.table_positions = table;
  c.x = activations(rng, std::size_t(rows) * heads * head_dim, cls);
  return c;
}

TEST(RopeNeox, RotatesQwen3QueryAndKeyHeadsBitForBit) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  struct Shape {
    std::uint32_t rows, heads, head_dim, pos0, table;
  };
  // Qwen3-0.6B/8B/32B q and kv heads (head_dim 128), decode and a prefill chunk;
  // head_dim 64 and 256; ragged head counts and dims.
  for (const Shape s : {Shape{1, 16, 128, 37, 64}, Shape{1, 8, 128, 4095, 4096}, Shape{1, 32, 128, 1000, 2048},
                        Shape{7, 64, 128, 0, 16}, Shape{5, 8, 64, 3, 8}, Shape{3, 4, 256, 60, 64}, Shape{2, 3, 2, 1, 4},
                        Shape{4, 5, 30, 9, 13}, Shape{1, 1, 6, 0, 1}})
    for (Values cls : {Values::Ordinary, Values::Mixed, Values::Huge}) {
      const RopeCase c = rope_case(s.rows, s.heads, s.head_dim, s.pos0, s.table, ++seed, cls);
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(RopeNeox, YarnTablesRotateBitForBit) {
  std::uint64_t seed = kSeed + 100;
  RopeCase c = rope_case(3, 8, 128, 4000, 4100, ++seed);
  c.scaling = {model::RopeScalingType::Yarn, 4.0f, 1024};  // mscale > 1: |c|, |s| up to 1.14
  expect_ok(c, seed, run_on_gpu(c));
  c.scaling = {model::RopeScalingType::Linear, 2.0f, 0};
  expect_ok(c, seed, run_on_gpu(c));
  expect_validation_clean();
}

TEST(RopeNeox, ReadsThePositionFromABufferWhenAskedTo) {
  std::uint64_t seed = kSeed + 200;
  RopeCase c = rope_case(3, 8, 128, 2, 100, ++seed);
  c.from = ops::PositionFrom::Buffer;
  for (std::uint32_t p : {0u, 50u, 95u}) {  // rows at 2+p .. 4+p
    c.buffer_pos = p;
    expect_ok(c, seed, run_on_gpu(c));
  }
  // Rows past the table get the canonical NaN instead of reading out of bounds.
  for (std::uint32_t p : {96u, 97u, 1000u, 0xfffffffeu}) {
    c.buffer_pos = p;
    expect_ok(c, seed, run_on_gpu(c));
  }
  expect_validation_clean();
}

TEST(RopeNeox, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 300;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices()) {
      RopeCase c = rope_case(3, 9, 128, 5, 8, seed);
      c.workgroup = wg;
      c.subgroup = sg;
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(RopeNeox, SubnormalInputsAreFlushedAtLoad) {
  // GPU(x) = ref(flush(x)) for any x; with YaRN's mscale > 1 a subnormal times
  // cos could otherwise round to a normal number on one device and not another.
  RopeCase c = rope_case(1, 2, 64, 7, 8, kSeed + 400);
  c.scaling = {model::RopeScalingType::Yarn, 8.0f, 512};
  std::mt19937_64 rng(kSeed + 401);
  std::vector<float> raw(c.x.size());
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = std::bit_cast<float>(std::uint32_t(rng() & 0x807fffffu) | 1u);
  c.x = raw;  // all subnormal: the GPU sees them, the reference gets them flushed
  RopeCase flushed = c;
  for (auto& v : flushed.x) v = numerics::flush(v);
  const ops::RopeTable t = rope_table(c);
  const std::vector<std::uint32_t> want = words(reference(flushed, t)), x0 = words(c.x);
  Buffer x = output(x0.size(), &x0), cs = input(words(t.cos)), sn = input(words(t.sin));
  ASSERT_TRUE((dispatch<ops::RopeNeox<64>>({whole(x), whole(cs), whole(sn)}, {1, 2, 64, 7, 8}).ok));
  const Comparison cmp = compare("x", read(x), want);
  EXPECT_TRUE(cmp.ok) << cmp.message;
  expect_validation_clean();
}

TEST(RopeNeox, RejectsPositionsPastTheTable) {
  using Op = ops::RopeNeox<64>;
  Buffer b(device(), 1 << 20);
  Recorder rec(device(), pipelines());
  EXPECT_THROW(submit_and_wait(device(),
                               [&](VkCommandBuffer cmd) {
                                 record<Op>(rec, cmd, {whole(b), whole(b), whole(b)}, {2, 8, 128, 63, 64});
                               }),
               Error);
  EXPECT_EQ(rec.dispatches(), 0u);
}

// ---- KV-cache append ----

KvCase kv_case(std::uint32_t rows, std::uint32_t kv_dim, std::uint32_t pos0, std::uint32_t capacity,
               std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  KvCase c;
  c.rows = rows;
  c.kv_dim = kv_dim;
  c.pos0 = pos0;
  c.capacity = capacity;
  c.k = activations(rng, std::size_t(rows) * kv_dim, Values::Ordinary);  // mostly within f16 range
  c.v = activations(rng, std::size_t(rows) * kv_dim, Values::Mixed);
  return c;
}

TEST(KvAppend, WritesF16RowsAtTheirPositionsAndNothingElse) {
  std::uint64_t seed = kSeed + 500;
  struct Shape {
    std::uint32_t rows, kv_dim, pos0, capacity;
  };
  // Qwen3 kv_dim 1024 (8 KV heads of 128), Qwen2.5-0.5B 128, 512, 2048 (head_dim 256), ragged.
  for (const Shape s :
       {Shape{1, 1024, 0, 4}, Shape{1, 1024, 17, 32}, Shape{1, 512, 31, 32}, Shape{9, 1024, 3, 16},
        Shape{3, 2048, 1, 8}, Shape{5, 2, 0, 5}, Shape{2, 130, 6, 9}, Shape{4, 1022, 2, 7}, Shape{2, 128, 0, 2}}) {
    const KvCase c = kv_case(s.rows, s.kv_dim, s.pos0, s.capacity, ++seed);
    expect_ok(c, seed, run_on_gpu(c));
  }
  expect_validation_clean();
}

TEST(KvAppend, RoundsEveryF16BoundaryLikeTheReference) {
  // Every f16 rounding midpoint (±1 f32 ulp), overflow to inf, subnormal f16,
  // underflow to ±0, f32 subnormals, NaN payloads: as K and as V.
  std::vector<float> vals;
  for (std::uint32_t h = 0; h < 0x7c00u; h += 7) {
    const double a = numerics::f16_bits_to_f32(std::uint16_t(h));
    const double b = h == 0x7bffu ? 65536.0 : numerics::f16_bits_to_f32(std::uint16_t(h + 1));
    const std::uint32_t mid = std::bit_cast<std::uint32_t>(static_cast<float>((a + b) / 2));
    for (std::uint32_t w : {mid - 1, mid, mid + 1, mid | 0x80000000u}) vals.push_back(std::bit_cast<float>(w));
  }
  for (std::uint32_t w : {0x477ff000u, 0x477fefffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u, 0xffbfffffu,
                          0x00000001u, 0x807fffffu, 0x33000000u, 0x33000001u, 0x80000000u})
    vals.push_back(std::bit_cast<float>(w));
  if (vals.size() % 2) vals.push_back(1.0f);
  KvCase c;
  c.rows = 1;
  c.kv_dim = std::uint32_t(vals.size());
  c.pos0 = 1;
  c.capacity = 3;
  c.k = vals;
  c.v.assign(vals.rbegin(), vals.rend());
  expect_ok(c, 0, run_on_gpu(c));
  expect_validation_clean();
}

TEST(KvAppend, ReadsThePositionFromABufferAndSkipsRowsOutsideTheCache) {
  std::uint64_t seed = kSeed + 600;
  KvCase c = kv_case(3, 1024, 1, 12, ++seed);
  c.from = ops::PositionFrom::Buffer;
  for (std::uint32_t p : {0u, 5u, 8u, 9u, 10u, 11u, 0xffffffffu}) {
    c.buffer_pos = p;
    expect_ok(c, seed, run_on_gpu(c));
  }
  expect_validation_clean();
}

TEST(KvAppend, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 700;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices()) {
      KvCase c = kv_case(2, 1024 + 18, 3, 6, seed);
      c.workgroup = wg;
      c.subgroup = sg;
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(KvAppend, RejectsAnOddKvDimOrRowsPastTheCache) {
  EXPECT_FALSE(ops::KvAppend<64>::valid({1, 1023, 0, 4}));
  EXPECT_FALSE(ops::KvAppend<64>::valid({2, 1024, 3, 4}));
  EXPECT_TRUE(ops::KvAppend<64>::valid({1, 1024, 3, 4}));
}

// ---- SwiGLU ----

SwiGluCase swiglu_case(std::uint32_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  SwiGluCase c;
  c.n = n;
  c.g = gates(rng, n);
  c.u = activations(rng, n, Values::Mixed);
  return c;
}

TEST(SwiGlu, MatchesReferenceBitForBitOnQwenAndRaggedSizes) {
  std::uint64_t seed = kSeed + 800;
  // Qwen3 ffn sizes 3072 (0.6B), 12288 (8B), 25600 (32B); two rows of 8B; ragged.
  for (std::uint32_t n : {3072u, 12288u, 25600u, 2u * 12288u, 1u, 7u, 1000u, 4097u}) {
    const SwiGluCase c = swiglu_case(n, ++seed);
    expect_ok(c, seed, run_on_gpu(c));
  }
  expect_validation_clean();
}

TEST(SwiGlu, SaturatesExactlyAtExpBoundariesAndHandlesSpecials) {
  // g where exp(−g) overflows / underflows / is exactly at its thresholds, ±0,
  // huge, FLT_MAX; u = 1, huge, tiny. Non-finite g or u: NaN compared as a class.
  std::vector<float> gs;
  for (std::uint32_t w : {0x42b17218u, 0x42b17217u, 0x42b17219u, 0xc2b17218u, 0x42aeac50u, 0x42aeac4fu, 0x42aeac51u,
                          0xc2aeac50u, 0x00000000u, 0x80000000u, 0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0xbf800000u,
                          0x00800001u, 0x80800001u, 0x7149f2cau, 0xf149f2cau})
    gs.push_back(std::bit_cast<float>(w));
  SwiGluCase c;
  for (float u : {1.0f, -3.0f, 1e30f, 1e-30f, 0.0f})
    for (float g : gs) {
      c.g.push_back(g);
      c.u.push_back(u);
    }
  c.n = std::uint32_t(c.g.size());
  expect_ok(c, 0, run_on_gpu(c));

  SwiGluCase s;
  for (std::uint32_t gw : {0x7f800000u, 0xff800000u, 0x7fc00000u, 0x3f800000u})
    for (std::uint32_t uw : {0x7f800000u, 0xff800000u, 0x7fc00001u, 0x3f800000u, 0x00000000u}) {
      s.g.push_back(std::bit_cast<float>(gw));
      s.u.push_back(std::bit_cast<float>(uw));
    }
  s.n = std::uint32_t(s.g.size());
  expect_ok(s, 0, run_on_gpu(s, /*nan_class=*/true));
  expect_validation_clean();
}

TEST(SwiGlu, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 900;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices()) {
      SwiGluCase c = swiglu_case(5000, seed);
      c.workgroup = wg;
      c.subgroup = sg;
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(SwiGlu, SubnormalInputsAreFlushedAtLoad) {
  // u subnormal and g·sig huge: without the load flush lavapipe would keep a
  // normal product that the H100 (DAZ) makes 0.
  SwiGluCase c;
  for (int i = 0; i < 64; ++i) {
    c.g.push_back(std::ldexp(1.0f, 100 + i % 20));
    c.u.push_back(std::bit_cast<float>(0x00400000u + std::uint32_t(i)));
  }
  c.n = 64;
  SwiGluCase flushed = c;
  for (auto& v : flushed.u) v = numerics::flush(v);
  std::vector<float> want(c.n);
  ref::portable::swiglu(flushed.g.data(), flushed.u.data(), want.data(), c.n);
  Buffer g = input(words(c.g)), u = input(words(c.u)), out = output(c.n);
  ASSERT_TRUE((dispatch<ops::SwiGlu<64>>({whole(g), whole(u), whole(out)}, {c.n}).ok));
  const Comparison cmp = compare("out", read(out), words(want));
  EXPECT_TRUE(cmp.ok) << cmp.message;
}

// ---- Add / QKV bias ----

AddCase add_case(std::uint32_t rows, std::uint32_t n, bool broadcast, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  AddCase c;
  c.rows = rows;
  c.n = n;
  c.broadcast = broadcast;
  c.x = activations(rng, std::size_t(rows) * n, Values::Mixed);
  // Biases as stored in a file: not flushed, some subnormal (the op flushes them).
  c.y.resize(broadcast ? n : std::size_t(rows) * n);
  for (auto& v : c.y)
    v = rng() % 8 == 0 ? std::bit_cast<float>(std::uint32_t(rng() & 0x807fffffu)) : draw(rng, Values::Mixed);
  if (!broadcast)
    for (auto& v : c.y) v = numerics::flush(v);  // add_inplace adds activations: already flushed
  return c;
}

TEST(AddBias, AddsTheQwen2QkvBiasToEveryRowBitForBit) {
  std::uint64_t seed = kSeed + 1000;
  // Qwen2.5-7B: q 3584, k/v 512; 0.5B: q 896, k/v 128; decode and prefill rows; ragged.
  for (std::uint32_t rows : {1u, 6u})
    for (std::uint32_t n : {3584u, 512u, 896u, 128u, 1u, 33u}) {
      const AddCase c = add_case(rows, n, true, ++seed);
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(Add, AddsRowsInPlaceBitForBit) {
  std::uint64_t seed = kSeed + 1100;
  for (std::uint32_t rows : {1u, 3u})
    for (std::uint32_t n : {4096u, 5120u, 1u, 1000u}) {
      const AddCase c = add_case(rows, n, false, ++seed);
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

TEST(Add, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 1200;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices())
      for (bool broadcast : {true, false}) {
        AddCase c = add_case(3, 700, broadcast, seed);
        c.workgroup = wg;
        c.subgroup = sg;
        expect_ok(c, seed, run_on_gpu(c));
      }
  expect_validation_clean();
}

// ---- QK-norm ----

QkNormCase qk_case(std::uint32_t tokens, std::uint32_t heads, std::uint32_t head_dim, std::uint64_t seed,
                   Values cls = Values::Mixed) {
  std::mt19937_64 rng(seed);
  QkNormCase c;
  c.tokens = tokens;
  c.heads = heads;
  c.head_dim = head_dim;
  c.x = activations(rng, std::size_t(tokens) * heads * head_dim, cls);
  c.w.resize(head_dim);
  for (auto& v : c.w) v = rng() % 16 == 0 ? std::ldexp(1.0f, -130) : draw(rng, Values::Ordinary);
  return c;
}

TEST(QkNorm, RmsNormOverHeadsEqualsTheForwardPerHeadLoop) {
  std::uint64_t seed = kSeed + 1300;
  // Qwen3 q (16/32/64 heads) and k (8 heads) at head_dim 128; head_dim 64 and 256.
  for (std::uint32_t hd : {64u, 128u, 256u})
    for (std::uint32_t heads : {8u, 16u, 32u, 64u})
      for (std::uint32_t tokens : {1u, 3u})
        for (Values cls : {Values::Ordinary, Values::Mixed}) {
          const QkNormCase c = qk_case(tokens, heads, hd, ++seed, cls);
          expect_ok(c, seed, run_on_gpu(c));
        }
  expect_validation_clean();
}

TEST(QkNorm, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 1400;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices()) {
      QkNormCase c = qk_case(2, 8, 128, seed);
      c.workgroup = wg;
      c.subgroup = sg;
      expect_ok(c, seed, run_on_gpu(c));
    }
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::opstest
