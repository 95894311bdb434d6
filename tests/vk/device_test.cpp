// The Vulkan layer: device choice, adoption, pipeline cache, timestamps, shaders.
#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "../../tools/shadergen/spirv_check.hpp"
#include "../../tools/shadergen/variants.hpp"
#include "qvk/shaders/registry.hpp"
#include "rmsnorm_runner.hpp"

namespace qvk::vk::test {
namespace {

TEST(VkDevice, NamesTheDeviceAndItsSubgroupSizes) {
  const DeviceFeatures& f = device().features();
  std::cerr << f.report();
  EXPECT_FALSE(f.name.empty());
  EXPECT_GE(f.api_version, VK_API_VERSION_1_3);
  EXPECT_TRUE(f.push_descriptor);
  ASSERT_FALSE(f.allowed_subgroup_sizes().empty());
  for (std::uint32_t s : f.allowed_subgroup_sizes()) EXPECT_TRUE(s != 0 && (s & (s - 1)) == 0) << s;
  const char* want = std::getenv("QVK_DEVICE");
  if (want && *want && !std::isdigit(static_cast<unsigned char>(*want))) {
    auto lower = [](std::string v) {
      for (char& ch : v) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      return v;
    };
    EXPECT_NE(lower(f.name).find(lower(want)), std::string::npos) << "QVK_DEVICE=" << want;
  }
}

TEST(VkDevice, RejectsAnUnknownDeviceNameListingTheDevices) {
  DeviceOptions o;
  o.select = "no-such-device-qvk";
  try {
    Device d(o);
    FAIL() << "expected vk::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-device-qvk"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[0]"), std::string::npos) << e.what();
  }
}

// The bug this guards against: a Device destroyed its messenger and instance through
// volk's process-wide instance functions, which a second Device had repointed to an
// instance without debug utils (a null vkDestroyDebugUtilsMessengerEXT: segfault).
// With QVK_VALIDATION=1 the second device has debug utils too, and the test proves less.
TEST(VkDevice, OutlivesASecondDeviceThatRepointsVolksInstanceFunctions) {
  DeviceOptions with;
  with.validation = true;
  auto first = std::make_unique<Device>(with);
  if (!first->validation_enabled()) GTEST_SKIP() << "no validation layer: the first device has no messenger";
  {
    DeviceOptions without;
    without.validation = false;
    Device second(without);
    EXPECT_FALSE(second.validation_enabled() && std::getenv("QVK_VALIDATION") == nullptr);
  }
  first.reset();  // its own vkDestroyDebugUtilsMessengerEXT and vkDestroyInstance
  SUCCEED();
}

TEST(VkDevice, AdoptsACallersDeviceAndLeavesItAlive) {
  Device& owner = device();  // stands in for the caller: its handles are adopted by a second Device
  {
    Device adopted(AdoptedDevice{owner.instance(), owner.physical(), owner.handle(), owner.queue(), owner.queue_family()});
    EXPECT_FALSE(adopted.owns_device());
    PipelineCache cache(adopted);
    Recorder rec(adopted, cache);
    using Op = ops::RmsNorm<32>;
    Buffer x(adopted, 4 * 64), w(adopted, 4 * 64), y(adopted, 4 * 64);
    std::vector<float> ones(64, 1.0f), out(64, 0.0f);
    upload(adopted, x, std::span<const float>(ones));
    upload(adopted, w, std::span<const float>(ones));
    submit_and_wait(adopted, [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, {whole(x), whole(w), whole(y)}, {1, 64, 0.0f}); });
    download(adopted, y, std::span<float>(out));
    EXPECT_EQ(rec.dispatches(), 1u);
    std::vector<float> want(64);
    ref::rmsnorm(ones.data(), ones.data(), 64, 0.0f, want.data());
    EXPECT_TRUE(compare_bits("y", out, want).ok);
    EXPECT_NE(out[0], 0.0f);
  }
  // The adopter is gone; the caller's device still works.
  EXPECT_EQ(owner.fn().vkDeviceWaitIdle(owner.handle()), VK_SUCCESS);
  expect_validation_clean();
}

TEST(PipelineCache, CreatesEachPipelineOnceAndPersistsTheCacheFile) {
  // A temp path, not the build tree: the test binary also runs on the GPU machine, away from its build folder.
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "qvk_pipeline_cache_test.bin";
  std::filesystem::remove(file);
  {
    PipelineCache cache(device(), file);
    const Pipeline& a = cache.get<ops::RmsNorm<64>>();
    const Pipeline& b = cache.get<ops::RmsNorm<64>>();
    const Pipeline& c = cache.get<ops::RmsNorm<128>>();
    EXPECT_EQ(a.pipeline, b.pipeline);
    EXPECT_NE(a.pipeline, c.pipeline);
    EXPECT_EQ(cache.created(), 2u);
  }
  EXPECT_TRUE(std::filesystem::exists(file));
  PipelineCache reloaded(device(), file);  // a valid blob is accepted
  const VkPipeline p = reloaded.get<ops::RmsNorm<64, true>>().pipeline;
  EXPECT_TRUE(p != VK_NULL_HANDLE);
  expect_validation_clean();
}

TEST(PipelineCache, ReportsCompileStatisticsOnlyWhenTheDeviceCapturesThem) {
  {
    PipelineCache cache(device());  // the tests' device does not ask for them
    EXPECT_FALSE(device().pipeline_statistics());
    EXPECT_TRUE(cache.statistics(cache.get<ops::RmsNorm<64>>()).empty());
  }
  // A second owning Device repoints volk's process-wide instance functions to its
  // instance (here without debug utils). The tests' device must still destroy its own
  // messenger and instance at exit: it keeps their destroy functions itself.
  {
    DeviceOptions o;
    o.pipeline_statistics = true;
    Device d(o);
    EXPECT_EQ(d.pipeline_statistics(), d.features().pipeline_executable_properties);
    PipelineCache cache(d);
    const std::vector<std::string> st = cache.statistics(cache.get<ops::RmsNorm<64>>());
    EXPECT_EQ(!st.empty(), d.pipeline_statistics()) << d.features().name;
    for (const std::string& line : st) EXPECT_NE(line.find(" = "), std::string::npos) << line;
    for (const std::string& line : st) std::cerr << "  " << line << "\n";
  }
  expect_validation_clean();
}

TEST(Timestamps, ReportTheGpuTimeOfEachRecordedOp) {
  Device& d = device();
  if (!d.features().timestamps) GTEST_SKIP() << "no compute timestamps on " << d.features().name;
  Timestamps ts(d, 4);
  Recorder rec(d, pipelines());
  rec.set_timestamps(&ts);
  using Op = ops::RmsNorm<64>;
  Buffer x(d, 4 * 4096 * 8), w(d, 4 * 4096), y(d, 4 * 4096 * 8);
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    ts.reset(cmd);
    record<Op>(rec, cmd, {whole(x), whole(w), whole(y)}, {8, 4096, 1e-6f});
    record<Op>(rec, cmd, {whole(y), whole(w), whole(x)}, {8, 4096, 1e-6f});
  });
  const auto times = ts.results();
  ASSERT_EQ(times.size(), 2u);
  for (const auto& t : times) {
    EXPECT_EQ(t.name, "rmsnorm_f32");
    EXPECT_GT(t.ns, 0.0);
    std::cerr << t.name << ": " << t.ns / 1000.0 << " us\n";
  }
  expect_validation_clean();
}

TEST(ShaderRegistry, EmbedsEveryVariantAsSpirv) {
  ASSERT_EQ(shaders::kRegistry.size(), shadergen::kVariants.size());
  for (const auto& v : shadergen::kVariants) EXPECT_FALSE(shaders::find(v.name).empty()) << v.name;
  for (const auto& e : shaders::kRegistry) {
    ASSERT_GT(e.spirv.size(), 5u) << e.name;
    EXPECT_EQ(e.spirv[0], 0x07230203u) << e.name;
  }
  EXPECT_FALSE(shaders::find("rmsnorm_add_f32").empty());
  EXPECT_TRUE(shaders::find("no_such_variant").empty());
}

TEST(SpirvCheck, RejectsFloatArithmeticWithoutNoContraction) {
  const std::string ok = "OpDecorate %7 NoContraction\n%7 = OpFMul %6 %4 %5\n";
  EXPECT_TRUE(shadergen::check_disassembly(ok).empty());
  const std::string missing = "OpDecorate %7 NoContraction\n%7 = OpFMul %6 %4 %5\n%8 = OpFAdd %6 %7 %5\n";
  const auto errors = shadergen::check_disassembly(missing);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("OpFAdd %8"), std::string::npos) << errors[0];
}

TEST(SpirvCheck, RejectsFmaDivisionAndTranscendentalBuiltins) {
  EXPECT_EQ(shadergen::check_disassembly("%9 = OpExtInst %6 %1 Fma %4 %5 %7\n").size(), 1u);
  EXPECT_EQ(shadergen::check_disassembly("%9 = OpExtInst %6 %1 InverseSqrt %4\n").size(), 1u);
  EXPECT_EQ(shadergen::check_disassembly("%9 = OpFDiv %6 %4 %5\n").size(), 1u);
  EXPECT_TRUE(shadergen::check_disassembly("%9 = OpExtInst %6 %1 FClamp %4 %5 %7\n").empty());
}

}  // namespace
}  // namespace qvk::vk::test
