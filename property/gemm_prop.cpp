// GEMM property: for a random weight type, random rows, cols (whole blocks,
// with ragged lane tails: blocks per row not a multiple of 32) and batch
// (1..40, rarely a multiple of the tile's columns), random block bytes (some
// zero, f16-subnormal, near-65504 and inf/NaN scales) or weights from qvk's
// quantizers, a random activation class per column (ordinary, wide,
// zero/FLT_MIN, non-finite: mixed across the batch), a random tile (workgroup,
// rows per thread, columns per workgroup, OpSDot or not) and every subgroup
// size the device allows for it, the GPU output equals ref::gemm_portable bit
// for bit (a NaN as the canonical NaN), every (column, row) is written and
// the guard after y is untouched. A quarter of the quantized cases take their
// activations from ops::QuantizeAct on the GPU (the runtime's chain) instead of
// the CPU's quant::quantize_q8_act. Case counts: rapidcheck's default (100);
// more with RC_PARAMS="max_success=N". Failing cases are appended to
// <build>/property/gemm_failures.txt.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gemm_runner.hpp"

namespace qvk::vk::test::gemm {
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
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "gemm_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << what << " : " << message << "\n";
}

// Multiply-adds per case: keeps 100 cases well under a minute on lavapipe.
constexpr std::uint64_t kMacBudget = 6'000'000;

RC_GTEST_PROP(GemmProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  Device& d = device();
  GemmCase c;
  c.type = *rc::gen::elementOf(std::vector<Type>(std::begin(kTypes), std::end(kTypes)));
  const ops::WeightFormat f = ops::weight_format(c.type);
  const bool quantized = f.act != ops::ActKind::Float;
  const std::uint32_t unit = quantized ? f.block_elems : f.parts;  // cols granularity
  // Blocks (or 16-byte vectors) per row: tiny, ragged, or a Qwen3 width (1024..4096).
  const std::vector<std::uint32_t> widths{1024 / unit, 2048 / unit, 4096 / unit};
  const std::uint32_t units = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 8),
                                              rc::gen::resize(100, rc::gen::inRange<std::uint32_t>(1, quantized && unit == 32 ? 200 : 80)),
                                              rc::gen::elementOf(widths));
  c.cols = units * unit;
  // Up to 140 columns: more than one 64-column tile of the cooperative-matrix shader.
  c.batch = *rc::gen::oneOf(rc::gen::just<std::uint32_t>(1), rc::gen::resize(100, rc::gen::inRange<std::uint32_t>(1, 41)),
                            rc::gen::inRange<std::uint32_t>(41, 141));
  const std::uint64_t max_rows = std::clamp<std::uint64_t>(kMacBudget / (std::uint64_t(c.cols) * c.batch), 2, 400);
  c.rows = uniform<std::uint32_t>(1, std::uint32_t(max_rows) + 1);
  c.config = uniform<std::uint32_t>(0, std::uint32_t(kConfigCount));
  if (quantized && d.cooperative_matrix_int8() && uniform(0, 2) == 0)  // half the cases: 4 or 8 subgroups
    c.config = uniform(0, 2) == 0 ? kCoopmatConfig : kCoopmatConfig256;
  if (!config_runnable(c.type, c.config)) c.config = 0;  // OpSDot or cooperative matrices missing
  c.subgroup = *rc::gen::elementOf(subgroup_sizes(config_of(c.type, c.config).workgroup));
  const int w_kind = uniform(0, 4);  // 0: quantizer, 1: raw, 2: raw + special scales, 3: + inf/NaN
  // Activation classes: one for the whole batch, or cycled per column (0..3 from a random start).
  const bool mixed = *rc::gen::arbitrary<bool>();
  const int cls0 = uniform(0, 4);
  std::vector<int> classes{cls0};
  if (mixed) classes = {cls0, (cls0 + 1) % 4, (cls0 + 2) % 4, (cls0 + 3) % 4};
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  c.w = w_kind == 0 && c.rows * std::uint64_t(c.cols) <= 300000
            ? gemv::quantized_weights(c.type, c.rows, c.cols, seed)
            : gemv::raw_weights(c.type, c.rows, c.cols, seed, w_kind >= 2, w_kind == 3);
  c.x = make_batch_x(c.cols, c.batch, seed ^ 0x9e3779b97f4a7c15ull, classes);
  c.quantize_on_gpu = quantized && uniform(0, 4) == 0;  // a quarter: the runtime's QuantizeAct -> GEMM chain

  const GemmConfig cfg = config_of(c.type, c.config);
  const std::uint32_t lane_units = quantized ? c.cols / f.block_elems : c.cols;
  const std::uint32_t tile_rows = cfg.workgroup / 32 * cfg.items;
  RC_CLASSIFY(lane_units % 32 != 0, "ragged lane tail");
  RC_CLASSIFY(c.batch == 1, "batch 1");
  RC_CLASSIFY(c.batch % cfg.cols != 0, "ragged column tile");
  RC_CLASSIFY(c.rows % tile_rows != 0, "ragged row tile");
  RC_CLASSIFY(cfg.int_dot, "OpSDot");
  RC_CLASSIFY(cfg.coopmat, "cooperative matrix");
  RC_CLASSIFY(w_kind >= 2, "special scales");
  RC_CLASSIFY(mixed && c.batch >= 4, "every activation class in one batch");
  RC_CLASSIFY(std::uint64_t(c.rows) * c.cols * c.batch >= 1000000, ">= 1M multiply-adds");
  RC_CLASSIFY(c.quantize_on_gpu, "act from QuantizeAct");
  RC_TAG(std::string(quant::name(c.type)));

  const GemmResult r = run_gemm(c);
  if (!r.cmp.ok)
    dump_failure(describe(c) + " classes=" + std::to_string(cls0) + (mixed ? "+" : "") + " w_kind=" + std::to_string(w_kind) +
                     " seed=" + std::to_string(seed),
                 r.cmp.message);
  RC_ASSERT(r.cmp.ok);  // the message is in the dump file
  RC_ASSERT(d.validation_failures() == 0);
}

TEST(GemmProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "GEMM property tests ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::test::gemm
