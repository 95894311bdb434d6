// GEMV property: for a random weight type, random rows and cols (whole blocks,
// with ragged lane tails: blocks per row not a multiple of 32), random block
// bytes (some zero, f16-subnormal, near-65504 and inf/NaN scales) or weights
// from qvk's quantizers, random activations (ordinary, wide, zero/FLT_MIN,
// non-finite), a random physical mapping (workgroup, rows per workgroup,
// threads per block, items, OpSDot or not) and every subgroup size the device
// allows, the GPU output equals ref::gemm_portable bit for bit (a NaN as the
// canonical NaN), every row is written and the guard after y is untouched.
// Also: activation quantization vs quant::quantize_q8_act, and the embedding
// gather vs ref::embed. Case counts: rapidcheck's default (100); more with
// RC_PARAMS="max_success=N". Failing cases are appended to
// <build>/property/gemv_failures.txt.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gemv_runner.hpp"

namespace qvk::vk::test::gemv {
namespace {

// A fixed, logged default seed (rapidcheck prints its configuration); an
// RC_PARAMS set by the caller wins, e.g. RC_PARAMS="max_success=5000".
const bool kDefaultParams = [] { return setenv("RC_PARAMS", "seed=20261122", 0) == 0; }();

// rapidcheck's inRange shrinks its range at small sizes; choices that are not
// "bigger" or "smaller" (mapping, input class) are drawn uniformly instead.
template <class T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

void dump_failure(const std::string& what, const std::string& message) {
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "gemv_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << what << " : " << message << "\n";
}

std::uint32_t gen_subgroup() {
  Device& d = device();
  std::vector<std::uint32_t> sizes{0};
  if (d.can_pin_subgroup_size()) {
    const auto allowed = d.features().allowed_subgroup_sizes();
    sizes.insert(sizes.end(), allowed.begin(), allowed.end());
  }
  return *rc::gen::elementOf(sizes);
}

RC_GTEST_PROP(GemvProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  Device& d = device();
  GemvCase c;
  c.type = *rc::gen::elementOf(std::vector<Type>(std::begin(kTypes), std::end(kTypes)));
  const ops::WeightFormat f = ops::weight_format(c.type);
  const bool quantized = f.act != ops::ActKind::Float;
  const std::uint32_t unit = quantized ? f.block_elems : f.parts;  // cols granularity
  // Blocks (or 16-byte vectors) per row: tiny, ragged, or a Qwen3 width (1024..5120; 25600 for K-quants).
  std::vector<std::uint32_t> widths{1024 / unit, 2048 / unit, 4096 / unit, 5120 / unit};
  if (f.block_elems == 256) widths.push_back(25600 / unit);
  const std::uint32_t units = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 8),
                                              rc::gen::resize(100, rc::gen::inRange<std::uint32_t>(1, quantized && unit == 32 ? 200 : 80)),
                                              rc::gen::elementOf(widths));
  c.cols = units * unit;
  const std::uint32_t max_rows = std::max<std::uint32_t>(2, std::min<std::uint32_t>(300, 1500000 / c.cols));
  c.rows = uniform<std::uint32_t>(1, max_rows + 1);
  c.config = uniform<std::uint32_t>(0, std::uint32_t(kConfigCount));
  if (config_of(c.type, c.config).int_dot && !d.features().integer_dot_product) c.config = 0;
  c.subgroup = gen_subgroup();
  const int x_class = uniform(0, 4);
  const int w_kind = uniform(0, 4);  // 0: quantizer, 1: raw, 2: raw + special scales, 3: + inf/NaN
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  c.w = w_kind == 0 && c.rows * std::uint64_t(c.cols) <= 300000 ? quantized_weights(c.type, c.rows, c.cols, seed)
                                                                   : raw_weights(c.type, c.rows, c.cols, seed, w_kind >= 2, w_kind == 3);
  c.x = make_x(c.cols, seed ^ 0x9e3779b97f4a7c15ull, x_class);
  const std::uint32_t lane_units = quantized ? c.cols / f.block_elems : c.cols;
  RC_CLASSIFY(lane_units % 32 == 0, "lanes aligned");
  RC_CLASSIFY(lane_units % 32 != 0, "ragged lane tail");
  RC_CLASSIFY(config_of(c.type, c.config).int_dot, "OpSDot");
  RC_CLASSIFY(w_kind >= 2, "special scales");
  RC_CLASSIFY(std::uint64_t(c.rows) * c.cols >= 100000, ">= 100k weights");
  RC_TAG(std::string(quant::name(c.type)));
  RC_TAG(d.features().name);

  const GemvResult r = run_gemv(c);
  if (!r.cmp.ok) dump_failure(describe(c) + " x_class=" + std::to_string(x_class) + " w_kind=" + std::to_string(w_kind) +
                                  " seed=" + std::to_string(seed),
                              r.cmp.message);
  RC_ASSERT(r.cmp.ok);  // the message is in the dump file
  RC_ASSERT(d.validation_failures() == 0);
}

RC_GTEST_PROP(QuantizeActProp, BlocksEqualQuantizeQ8Act, ()) {
  RC_PRE(kDefaultParams);
  const std::uint32_t block = *rc::gen::element(32u, 256u);
  const std::uint32_t blocks = uniform<std::uint32_t>(1, block == 32 ? 200 : 40);
  const std::uint32_t wg = *rc::gen::element(64u, 128u, 256u);
  const int cls = uniform(0, 4);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const std::uint32_t subgroup = gen_subgroup();
  const auto x = make_x(std::size_t(block) * blocks, seed, cls);
  const Comparison cmp = run_quantize_act(block, x, wg, subgroup);
  if (!cmp.ok)
    dump_failure("quantize_act block=" + std::to_string(block) + " blocks=" + std::to_string(blocks) + " wg=" +
                     std::to_string(wg) + " class=" + std::to_string(cls) + " seed=" + std::to_string(seed),
                 cmp.message);
  RC_ASSERT(cmp.ok);
}

RC_GTEST_PROP(EmbedRowProp, GatherEqualsReferenceEmbed, ()) {
  RC_PRE(kDefaultParams);
  const Type t = *rc::gen::elementOf(std::vector<Type>(std::begin(kTypes), std::end(kTypes)));
  const ops::WeightFormat f = ops::weight_format(t);
  const std::uint32_t cols = f.block_elems * uniform<std::uint32_t>(1, f.block_elems == 1 ? 3000 : 4096 / f.block_elems + 1);
  const std::uint32_t rows = uniform<std::uint32_t>(1, 40);
  const bool specials = *rc::gen::arbitrary<bool>();
  const bool from_buffer = *rc::gen::arbitrary<bool>();
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto w = raw_weights(t, rows, cols, seed, specials, specials);
  const std::vector<std::uint32_t> tokens{std::uint32_t(seed % rows), rows - 1};
  const Comparison cmp = from_buffer ? run_embed<true>(t, rows, cols, w, tokens) : run_embed<false>(t, rows, cols, w, tokens);
  if (!cmp.ok)
    dump_failure("embed " + std::string(quant::name(t)) + " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                     " seed=" + std::to_string(seed),
                 cmp.message);
  RC_ASSERT(cmp.ok);
}

TEST(GemvProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "GEMV property tests ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::test::gemv
