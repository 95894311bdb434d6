// tests/vk/vk_test_device.hpp — the one Vulkan device a test process uses,
// created with validation (when the layer is installed) and described once
// on stderr, so every log names the device its results came from.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "qvk/vk/device.hpp"
#include "qvk/vk/pipeline_cache.hpp"

namespace qvk::vk::test {

inline Device& device() {
  static std::unique_ptr<Device> d = [] {
    DeviceOptions o;
    o.validation = true;
    auto dev = std::make_unique<Device>(o);
    std::cerr << "[qvk vk tests] " << dev->features().report() << "  validation layer: "
              << (dev->validation_enabled() ? "on (errors and SYNC hazards fail the tests)" : "NOT INSTALLED") << "\n";
    return dev;
  }();
  return *d;
}

inline PipelineCache& pipelines() {
  static PipelineCache cache(device());
  return cache;
}

// Fails the current test if the validation layer reported an error or a
// synchronization hazard since the process started.
inline void expect_validation_clean() {
  const Device& d = device();
  EXPECT_EQ(d.validation_failures(), 0) << [&] {
    std::string s;
    for (const auto& m : d.validation_messages()) s += m + "\n";
    return s;
  }();
}

}  // namespace qvk::vk::test
