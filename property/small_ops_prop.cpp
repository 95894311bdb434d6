// Properties of the small ops of a decode step: for random shapes (tiny,
// ragged, real Qwen3/Qwen2 shapes), random inputs (huge, tiny, subnormal-
// producing, zeros), random workgroup sizes and every subgroup size the device
// allows, the GPU output equals the reference bit for bit, every output
// element is written and the guard after it is untouched:
//   RoPE (push-constant and buffer positions, plain and YaRN tables), KV-cache
//   append, SwiGLU, Add / QKV bias, QK-norm (RmsNorm per head), greedy argmax,
//   top-k candidates and the sampler's draw after them (vs the CPU sampler).
// Case counts: rapidcheck's default (100) per property, from the fixed seed;
// RC_PARAMS="max_success=N" for more, RC_PARAMS="seed=S" to reproduce.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "select_ops_runner.hpp"
#include "small_ops_runner.hpp"

namespace qvk::vk::opstest {
namespace {

// A fixed, logged default seed (rapidcheck prints its configuration); an
// RC_PARAMS set by the caller wins.
const bool kDefaultParams = [] { return setenv("RC_PARAMS", "seed=20261122", 0) == 0; }();

template <class Case>
void dump_failure(const Case& c, std::uint64_t seed, const std::string& message) {
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "small_ops_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << describe(c) << " seed=" << seed << " : " << message << "\n";
}

// Workgroup and subgroup size of a case: any instantiated size, any allowed subgroup.
template <class Case>
void gen_mapping(Case& c) {
  c.workgroup = *rc::gen::elementOf(std::vector<std::uint32_t>(std::begin(kWorkgroupSizes), std::end(kWorkgroupSizes)));
  c.subgroup = *rc::gen::elementOf(subgroup_choices());
}

template <class Case>
void check(const Case& c, std::uint64_t seed, const Comparison& cmp) {
  if (!cmp.ok) dump_failure(c, seed, cmp.message);
  RC_ASSERT(cmp.ok);  // the message is in the dump file
  RC_ASSERT(device().validation_failures() == 0);
}

rc::Gen<std::uint32_t> gen_head_dim() {
  return rc::gen::oneOf(rc::gen::element<std::uint32_t>(64, 128, 256),
                        rc::gen::map(rc::gen::inRange<std::uint32_t>(1, 160), [](std::uint32_t h) { return 2 * h; }));
}

RC_GTEST_PROP(RopeNeoxProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  RopeCase c;
  c.head_dim = *gen_head_dim();
  c.heads =
      *rc::gen::oneOf(rc::gen::element<std::uint32_t>(2, 4, 8, 16, 32, 40, 64), rc::gen::inRange<std::uint32_t>(1, 70));
  c.rows = *rc::gen::inRange<std::uint32_t>(1, c.heads * c.head_dim >= 4096 ? 4 : 12);
  c.pos0 = *rc::gen::inRange<std::uint32_t>(0, 3000);
  c.table_positions = c.pos0 + c.rows + *rc::gen::inRange<std::uint32_t>(0, 40);
  c.from = *rc::gen::element(ops::PositionFrom::PushConstant, ops::PositionFrom::Buffer);
  if (c.from == ops::PositionFrom::Buffer) {
    c.pos0 = *rc::gen::inRange<std::uint32_t>(0, c.table_positions - c.rows + 1);
    c.buffer_pos = *rc::gen::inRange<std::uint32_t>(0, c.table_positions - c.pos0 + 3);  // some rows past the table
  }
  if (*rc::gen::arbitrary<bool>())
    c.scaling = {model::RopeScalingType::Yarn, *rc::gen::element(2.0f, 4.0f, 8.0f), 4096};
  c.base = *rc::gen::element(10000.0f, 1e6f);
  gen_mapping(c);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.x = activations(rng, std::size_t(c.rows) * c.heads * c.head_dim, random_class(rng));
  RC_CLASSIFY(c.head_dim % 64 == 0, "head_dim multiple of 64");
  RC_CLASSIFY(c.from == ops::PositionFrom::Buffer, "position from buffer");
  RC_TAG(device().features().name);
  check(c, seed, run_on_gpu(c));
}

RC_GTEST_PROP(KvAppendProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  KvCase c;
  c.kv_dim =
      *rc::gen::oneOf(rc::gen::element<std::uint32_t>(128, 256, 512, 1024, 2048),
                      rc::gen::map(rc::gen::inRange<std::uint32_t>(1, 1500), [](std::uint32_t h) { return 2 * h; }));
  c.rows = *rc::gen::inRange<std::uint32_t>(1, 9);
  c.capacity = c.rows + *rc::gen::inRange<std::uint32_t>(0, 20);
  c.pos0 = *rc::gen::inRange<std::uint32_t>(0, c.capacity - c.rows + 1);
  c.from = *rc::gen::element(ops::PositionFrom::PushConstant, ops::PositionFrom::Buffer);
  if (c.from == ops::PositionFrom::Buffer) c.buffer_pos = *rc::gen::inRange<std::uint32_t>(0, c.capacity + 2);
  gen_mapping(c);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.k = activations(rng, std::size_t(c.rows) * c.kv_dim, random_class(rng));
  c.v = activations(rng, std::size_t(c.rows) * c.kv_dim, Values::Ordinary);
  RC_CLASSIFY(c.from == ops::PositionFrom::Buffer, "position from buffer");
  RC_TAG(device().features().name);
  check(c, seed, run_on_gpu(c));
}

RC_GTEST_PROP(SwiGluProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  SwiGluCase c;
  c.n = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 41), rc::gen::inRange<std::uint32_t>(1, 30001),
                        rc::gen::element<std::uint32_t>(3072, 12288, 25600, 18944));
  gen_mapping(c);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.g = gates(rng, c.n);
  c.u = activations(rng, c.n, random_class(rng));
  RC_CLASSIFY(c.n % 32 == 0, "aligned");
  RC_TAG(device().features().name);
  check(c, seed, run_on_gpu(c));
}

RC_GTEST_PROP(AddProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  AddCase c;
  c.broadcast = *rc::gen::arbitrary<bool>();
  c.n = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 41), rc::gen::inRange<std::uint32_t>(1, 6001),
                        rc::gen::element<std::uint32_t>(128, 512, 896, 3584, 4096, 5120));
  c.rows = *rc::gen::inRange<std::uint32_t>(1, c.n >= 1024 ? 5 : 17);
  gen_mapping(c);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.x = activations(rng, std::size_t(c.rows) * c.n, random_class(rng));
  c.y.resize(c.broadcast ? c.n : std::size_t(c.rows) * c.n);
  for (auto& v : c.y) {  // a bias as stored may be subnormal; an added activation is flushed
    v = rng() % 8 == 0 ? std::bit_cast<float>(std::uint32_t(rng() & 0x807fffffu)) : draw(rng, Values::Mixed);
    if (!c.broadcast) v = numerics::flush(v);
  }
  RC_CLASSIFY(c.broadcast, "bias");
  RC_TAG(device().features().name);
  check(c, seed, run_on_gpu(c));
}

RC_GTEST_PROP(QkNormProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  QkNormCase c;
  c.head_dim = *rc::gen::oneOf(rc::gen::element<std::uint32_t>(64, 128, 256), rc::gen::inRange<std::uint32_t>(1, 300));
  c.heads = *rc::gen::element<std::uint32_t>(1, 2, 4, 8, 14, 16, 28, 32, 40, 64);
  c.tokens = *rc::gen::inRange<std::uint32_t>(1, 4);
  c.eps = *rc::gen::element(1e-6f, 1e-5f);
  gen_mapping(c);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.x = activations(rng, std::size_t(c.tokens) * c.heads * c.head_dim, random_class(rng));
  c.w.resize(c.head_dim);
  for (auto& v : c.w) v = rng() % 16 == 0 ? std::ldexp(1.0f, -130) : draw(rng, Values::Ordinary);
  RC_CLASSIFY(c.head_dim == 64 || c.head_dim == 128 || c.head_dim == 256, "Qwen head_dim");
  RC_TAG(device().features().name);
  check(c, seed, run_on_gpu(c));
}

rc::Gen<std::uint32_t> gen_vocab() {
  return rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 300), rc::gen::inRange<std::uint32_t>(1, 20000),
                        rc::gen::element<std::uint32_t>(151936, 248320));
}

SelectCase gen_select(bool topk) {
  SelectCase c;
  c.n = *gen_vocab();
  c.k = topk ? *rc::gen::inRange<std::uint32_t>(1, std::min(c.n, ops::kTopKMaxK) + 1) : 1;
  c.kind = static_cast<Logits>(*rc::gen::inRange(0, kLogitKinds));
  gen_mapping(c);
  return c;
}

RC_GTEST_PROP(ArgmaxProp, EqualsTheCpuGreedyToken, ()) {
  RC_PRE(kDefaultParams);
  SelectCase c = gen_select(false);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.logits = make_logits(rng, c.n, c.kind);
  RC_CLASSIFY(c.n >= 151936, "Qwen vocabulary");
  RC_TAG(name(c.kind));
  check(c, seed, run_argmax(c));
}

RC_GTEST_PROP(TopKProp, EqualsTheCpuCandidateList, ()) {
  RC_PRE(kDefaultParams);
  SelectCase c = gen_select(true);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.logits = make_logits(rng, c.n, c.kind);
  RC_CLASSIFY(c.n >= 151936, "Qwen vocabulary");
  RC_TAG(name(c.kind));
  check(c, seed, run_topk(c));
}

// The sampler's settings: llama.cpp's defaults and the ends of every range
// (top_p and min_p at 0+ and 1, temperatures whose inv_temp is huge or at its
// floor), else random; u on the 2^-24 grid, its ends included.
SampleCase gen_sample() {
  const SelectCase s = gen_select(true);
  SampleCase c;
  c.n = s.n;
  c.k = s.k;
  c.kind = s.kind;
  c.workgroup = s.workgroup;
  c.subgroup = s.subgroup;
  auto grid = [](std::uint32_t lo) {  // (lo .. 2^24] * 2^-24: in (0, 1]
    return rc::gen::map(rc::gen::inRange<std::uint32_t>(lo, (1u << 24) + 1),
                        [](std::uint32_t m) { return float(m) * 0x1p-24f; });
  };
  c.top_p = *rc::gen::oneOf(rc::gen::element(1.0f, 0.95f, 0.5f, 1e-30f, 1.0f - 0x1p-24f), grid(1));
  c.min_p = *rc::gen::oneOf(rc::gen::element(0.0f, 0.05f, 0.2f, 1.0f, 1e-30f), grid(0));
  c.temperature = *rc::gen::oneOf(
      rc::gen::element(0.8f, 1.0f, 1e-30f, 2e-38f, 1e30f, 3e38f),
      rc::gen::map(rc::gen::inRange(-40, 41), [](int e) { return std::ldexp(1.0f, e / 4) * (1.0f + float(e & 3) / 8); }));
  c.u = *rc::gen::oneOf(rc::gen::element(0.0f, 0.5f, 1.0f - 0x1p-24f),
                        rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 1u << 24),
                                     [](std::uint32_t m) { return float(m) * 0x1p-24f; }));
  return c;
}

RC_GTEST_PROP(SampleProp, EqualsTheCpuSamplersToken, ()) {
  RC_PRE(kDefaultParams);
  SampleCase c = gen_sample();
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::mt19937_64 rng(seed);
  c.logits = make_logits(rng, c.n, c.kind);
  const SamplePath path = sample_path(c);
  RC_CLASSIFY(c.n >= 151936, "Qwen vocabulary");
  RC_CLASSIFY(path.after_top_p < path.k, "top-p cut");
  RC_CLASSIFY(path.after_min_p < path.after_top_p, "min-p cut");
  RC_CLASSIFY(path.single, "one candidate left");
  RC_CLASSIFY(!path.single && path.pick > 0, "pick > 0");
  RC_CLASSIFY(path.fallback && !path.single, "last-positive fallback");
  RC_TAG(name(c.kind));
  check(c, seed, run_sample_chain(c));
}

TEST(SmallOpsProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "property tests ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::opstest
