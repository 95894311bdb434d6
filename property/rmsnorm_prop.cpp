// RMSNorm property: for random shapes (tiny, ragged, Qwen3 hidden and head
// sizes), random inputs (huge, tiny, subnormal-producing), random workgroup
// sizes and every subgroup size the device allows, the GPU output equals
// ref::rmsnorm (with ref::add_inplace for the fused residual) bit for bit,
// every output element is written and the guard after it is untouched.
// Case count: rapidcheck's default (100); more with RC_PARAMS="max_success=N".
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "rmsnorm_runner.hpp"

namespace qvk::vk::test {
namespace {

// A fixed, logged default seed (rapidcheck prints its configuration); an
// RC_PARAMS set by the caller wins, e.g. RC_PARAMS="max_success=5000".
const bool kDefaultParams = [] { return setenv("RC_PARAMS", "seed=20261122", 0) == 0; }();

rc::Gen<std::uint32_t> gen_n() {
  return rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 41),          // tiny
                        rc::gen::inRange<std::uint32_t>(1, 6001),        // ragged
                        rc::gen::element<std::uint32_t>(128, 1024, 4096, 5120));  // Qwen3 head / hidden sizes
}

void dump_failure(const RmsNormCase& c, std::uint64_t seed, const std::string& message) {
  const auto path = std::filesystem::path(QVK_BINARY_DIR) / "property" / "rmsnorm_failures.txt";
  std::ofstream f(path, std::ios::app);
  f << describe(c) << " seed=" << seed << " : " << message << "\n";
}

RC_GTEST_PROP(RmsNormProp, BitExactVsReference, ()) {
  RC_PRE(kDefaultParams);
  Device& d = device();
  RmsNormCase c;
  c.n = *gen_n();
  c.rows = *rc::gen::inRange<std::uint32_t>(1, c.n >= 1024 ? 5 : 17);
  c.eps = *rc::gen::element(1e-6f, 1e-5f);
  c.residual = *rc::gen::arbitrary<bool>();
  c.workgroup = *rc::gen::elementOf(std::vector<std::uint32_t>(std::begin(kWorkgroupSizes), std::end(kWorkgroupSizes)));
  std::vector<std::uint32_t> sizes{0};
  if (d.can_pin_subgroup_size()) {
    for (std::uint32_t s : d.features().allowed_subgroup_sizes())
      if (d.features().workgroup_fits_subgroup(c.workgroup, s)) sizes.push_back(s);  // Vulkan forbids the others
  }
  c.subgroup = *rc::gen::elementOf(sizes);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  RC_CLASSIFY(c.n % 32 == 0, "aligned");
  RC_CLASSIFY(c.n % 32 != 0, "ragged");
  RC_CLASSIFY(c.residual, "residual");
  RC_TAG(d.features().name);

  fill_inputs(c, seed);
  const Comparison cmp = run_on_gpu(c);
  if (!cmp.ok) dump_failure(c, seed, cmp.message);
  RC_ASSERT(cmp.ok);  // the message is in the dump file and below
  RC_ASSERT(d.validation_failures() == 0);
}

TEST(RmsNormProp, RanOnANamedDeviceWithCleanValidation) {
  std::cerr << "property tests ran on: " << device().features().name << "\n";
  EXPECT_FALSE(device().features().name.empty());
  expect_validation_clean();
}

}  // namespace
}  // namespace qvk::vk::test
