// Fused SwiGLU + activation quantization property (beside gemv_prop.cpp's
// QuantizeActProp): for a random block size (32, 256), a random width (tiny,
// ragged in workgroups, or a Qwen3 FFN width), random (g, u) of every input
// class of swiglu_quantize_runner.hpp (ordinary, wide, zero/tiny/subnormal,
// non-finite, overflowing), a random workgroup size and every subgroup size
// the device allows, QuantizeAct<.., ActInput::SwiGlu> writes exactly
// quant::quantize_q8_act(ref::swiglu(flush(g), flush(u))) — codes, d, sums,
// sums16 — and nothing past the layout. A quarter of the cases also compare
// with the unfused GPU path word for word. Case counts: rapidcheck's default
// (100); more with RC_PARAMS="max_success=N". Failing cases are appended to
// <build>/property/swiglu_quantize_failures.txt.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "swiglu_quantize_runner.hpp"

namespace qvk::vk::test::swiglu_quantize {
namespace {

// A fixed, logged default seed; an RC_PARAMS set by the caller wins.
const bool kDefaultParams = [] { return setenv("RC_PARAMS", "seed=20261122", 0) == 0; }();

// rapidcheck's inRange shrinks its range at small sizes; choices that are not
// "bigger" or "smaller" are drawn uniformly instead.
template <class T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

void dump_failure(const std::string& what, const std::string& message) {
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "swiglu_quantize_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << what << " : " << message << "\n";
}

RC_GTEST_PROP(SwiGluQuantizeProp, BlocksEqualQuantizeQ8ActOfSwiGlu, ()) {
  RC_PRE(kDefaultParams);
  const std::uint32_t block = *rc::gen::element(32u, 256u);
  const std::uint32_t blocks =
      *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 9),
                      rc::gen::resize(100, rc::gen::inRange<std::uint32_t>(1, block == 32 ? 200 : 40)),
                      rc::gen::element(3072 / block, 9728 / block, 12288 / block, 25600 / block));
  const std::uint32_t n = block * blocks;
  const std::uint32_t wg = *rc::gen::elementOf(std::vector<std::uint32_t>(std::begin(kWorkgroups), std::end(kWorkgroups)));
  const int cls = uniform(0, kClasses);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const std::uint32_t subgroup = *rc::gen::elementOf(subgroup_choices());
  const bool two = uniform(0, 4) == 0;
  RC_CLASSIFY(n % (4 * wg) == 0, "whole workgroups");
  RC_CLASSIFY(n % (4 * wg) != 0, "ragged last workgroup");
  RC_CLASSIFY(n >= 3072, "Qwen FFN width");
  RC_TAG(block == 32 ? "Q8Act32" : "Q8Act256");
  RC_TAG(device().features().name);

  const Inputs in = make_gu(n, seed, cls);
  const Comparison cmp = run(block, wg, in, {subgroup, two});
  if (!cmp.ok) RC_LOG() << cmp.message << "\n";
  if (!cmp.ok)
    dump_failure("swiglu+quantize block=" + std::to_string(block) + " n=" + std::to_string(n) + " wg=" +
                     std::to_string(wg) + " subgroup=" + std::to_string(subgroup) + " class=" + std::to_string(cls) +
                     " seed=" + std::to_string(seed),
                 cmp.message);
  RC_ASSERT(cmp.ok);  // the message is in the dump file
}

TEST(SwiGluQuantizeProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "swiglu+quantize property ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::test::swiglu_quantize
