// qvk/vk/features.hpp — what a physical device offers that qvk cares about,
// queried once and printed in every test log (so a result always names the
// device and its numerics-relevant properties).
//
// Required by qvk (vk::require_features): Vulkan 1.3, a compute queue,
// VK_KHR_push_descriptor (the recorder binds buffers with push descriptors, so
// it never owns descriptor pools tied to the caller's command buffers).
// Everything else is reported and used where present.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qvk/vk/error.hpp"
#include "qvk/vk/volk.hpp"

namespace qvk::vk {

struct DeviceFeatures {
  std::string name, driver_name, driver_info;
  std::uint32_t vendor_id = 0, device_id = 0, api_version = 0;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;

  // Subgroups. sizes_controllable: VK_EXT_subgroup_size_control (core 1.3)
  // lets a compute pipeline require any power of two in [min, max].
  std::uint32_t subgroup_size = 0, min_subgroup_size = 0, max_subgroup_size = 0;
  std::uint32_t max_compute_workgroup_subgroups = 0;  // 0: unknown (before Vulkan 1.3)
  bool subgroup_size_control = false, compute_full_subgroups = false, sizes_controllable = false;

  bool storage_buffer_8bit = false, storage_buffer_16bit = false, shader_float16 = false, shader_int8 = false,
       shader_int64 = false;
  bool integer_dot_product = false, int8_packed_dot_accelerated = false;
  bool khr_cooperative_matrix = false, nv_cooperative_matrix = false, nv_cooperative_matrix2 = false;
  // VK_NV_cooperative_matrix lists int8 × int8 + int32 -> int32 at 16x16x32,
  // subgroup scope (gemm_cm.comp's shape), and the cooperativeMatrix feature.
  bool nv_coopmat_int8_16x16x32 = false;
  bool vulkan_memory_model = false;  // Vulkan 1.2 feature (coopmat loads use its scopes)
  // VK_KHR_pipeline_executable_properties listed: the driver can report compile
  // statistics (registers, spills, …) of a pipeline (DeviceOptions::pipeline_statistics).
  bool pipeline_executable_properties = false;
  // Float controls for fp32 (the numerics contract does not rely on them:
  // docs/numerics.md defines tiny values itself).
  bool f32_denorm_preserve = false, f32_denorm_flush_to_zero = false, f32_rounding_rte = false;

  bool push_descriptor = false;
  bool timestamps = false;  // timestampComputeAndGraphics
  float timestamp_period_ns = 0;

  std::uint32_t max_shared_memory = 0, max_workgroup_invocations = 0, max_push_constants = 0;
  std::uint64_t max_storage_buffer_range = 0;
  std::uint64_t min_storage_buffer_offset_alignment = 0;  // bound storage-buffer ranges must start at a multiple

  // Whether a workgroup of `invocations` may be pinned to subgroup size `size`
  // (VUID-VkPipelineShaderStageCreateInfo-pNext-02756: at most size ·
  // maxComputeWorkgroupSubgroups invocations); size 0 (driver's choice) always may.
  bool workgroup_fits_subgroup(std::uint32_t invocations, std::uint32_t size) const {
    return size == 0 || max_compute_workgroup_subgroups == 0 ||
           std::uint64_t(invocations) <= std::uint64_t(size) * max_compute_workgroup_subgroups;
  }

  // Every subgroup size a compute pipeline may be given (0 = "driver's
  // choice" is not listed). Without size control: just the default size.
  std::vector<std::uint32_t> allowed_subgroup_sizes() const {
    std::vector<std::uint32_t> sizes;
    if (sizes_controllable)
      for (std::uint32_t s = min_subgroup_size; s != 0 && s <= max_subgroup_size; s *= 2) sizes.push_back(s);
    else
      sizes.push_back(subgroup_size);
    return sizes;
  }

  // A multi-line human-readable report.
  std::string report() const {
    auto yn = [](bool b) { return b ? "yes" : "no"; };
    std::string s;
    s += "device: " + name + " (" + driver_name + ", " + driver_info + ")\n";
    s += "  vulkan " + std::to_string(VK_API_VERSION_MAJOR(api_version)) + "." +
         std::to_string(VK_API_VERSION_MINOR(api_version)) + "." + std::to_string(VK_API_VERSION_PATCH(api_version)) +
         ", type " + std::to_string(int(type)) + "\n";
    s += "  subgroup size " + std::to_string(subgroup_size) + ", range [" + std::to_string(min_subgroup_size) + ", " +
         std::to_string(max_subgroup_size) + "], size control " + yn(sizes_controllable) + ", full subgroups " +
         yn(compute_full_subgroups) + "\n";
    s += "  storage 8-bit " + std::string(yn(storage_buffer_8bit)) + ", 16-bit " + yn(storage_buffer_16bit) +
         ", float16 " + yn(shader_float16) + ", int8 " + yn(shader_int8) + ", int64 " + yn(shader_int64) + "\n";
    s += "  integer dot product " + std::string(yn(integer_dot_product)) + ", packed 4x8 accelerated " +
         yn(int8_packed_dot_accelerated) + "\n";
    s += "  cooperative matrix: KHR " + std::string(yn(khr_cooperative_matrix)) + ", NV " + yn(nv_cooperative_matrix) +
         ", NV2 " + yn(nv_cooperative_matrix2) +
         " (NV int8 16x16x32 " + yn(nv_coopmat_int8_16x16x32) + ", memory model " + yn(vulkan_memory_model) + ")\n";
    s += "  fp32 float controls: denorm preserve " + std::string(yn(f32_denorm_preserve)) + ", flush-to-zero " +
         yn(f32_denorm_flush_to_zero) + ", RTE " + yn(f32_rounding_rte) + "\n";
    s += "  pipeline statistics " + std::string(yn(pipeline_executable_properties)) + "\n";
    s += "  push descriptors " + std::string(yn(push_descriptor)) + ", timestamps " + yn(timestamps) + " (period " +
         std::to_string(timestamp_period_ns) + " ns)\n";
    s += "  limits: shared " + std::to_string(max_shared_memory) + " B, invocations " +
         std::to_string(max_workgroup_invocations) + ", push constants " + std::to_string(max_push_constants) +
         " B, storage range " + std::to_string(max_storage_buffer_range) + " B\n";
    return s;
  }
};

inline std::vector<std::string> device_extensions(VkPhysicalDevice pd) {
  std::uint32_t n = 0;
  check(vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr), "vkEnumerateDeviceExtensionProperties");
  std::vector<VkExtensionProperties> props(n);
  check(vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, props.data()), "vkEnumerateDeviceExtensionProperties");
  std::vector<std::string> names;
  for (const auto& p : props) names.emplace_back(p.extensionName);
  return names;
}

inline bool has_extension(const std::vector<std::string>& exts, const char* name) {
  for (const auto& e : exts)
    if (e == name) return true;
  return false;
}

// Needs vkGetPhysicalDeviceProperties2 (instance loaded through volk).
inline DeviceFeatures query_features(VkPhysicalDevice pd) {
  DeviceFeatures f;
  VkPhysicalDeviceProperties basic{};
  vkGetPhysicalDeviceProperties(pd, &basic);
  f.name = basic.deviceName;
  f.vendor_id = basic.vendorID;
  f.device_id = basic.deviceID;
  f.api_version = basic.apiVersion;
  f.type = basic.deviceType;
  f.timestamps = basic.limits.timestampComputeAndGraphics == VK_TRUE;
  f.timestamp_period_ns = basic.limits.timestampPeriod;
  f.max_shared_memory = basic.limits.maxComputeSharedMemorySize;
  f.max_workgroup_invocations = basic.limits.maxComputeWorkGroupInvocations;
  f.max_push_constants = basic.limits.maxPushConstantsSize;
  f.max_storage_buffer_range = basic.limits.maxStorageBufferRange;
  f.min_storage_buffer_offset_alignment = basic.limits.minStorageBufferOffsetAlignment;

  const auto exts = device_extensions(pd);
  f.push_descriptor = has_extension(exts, "VK_KHR_push_descriptor");
  f.khr_cooperative_matrix = has_extension(exts, "VK_KHR_cooperative_matrix");
  f.nv_cooperative_matrix = has_extension(exts, "VK_NV_cooperative_matrix");
  f.nv_cooperative_matrix2 = has_extension(exts, "VK_NV_cooperative_matrix2");
  f.pipeline_executable_properties = has_extension(exts, "VK_KHR_pipeline_executable_properties");
  if (basic.apiVersion < VK_API_VERSION_1_3) return f;  // the 1.3 structures below may not be filled

  VkPhysicalDeviceShaderIntegerDotProductProperties dot{};
  dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES;
  VkPhysicalDeviceVulkan13Properties p13{};
  p13.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_PROPERTIES;
  p13.pNext = &dot;
  VkPhysicalDeviceVulkan12Properties p12{};
  p12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES;
  p12.pNext = &p13;
  VkPhysicalDeviceVulkan11Properties p11{};
  p11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES;
  p11.pNext = &p12;
  VkPhysicalDeviceProperties2 props{};
  props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  props.pNext = &p11;
  vkGetPhysicalDeviceProperties2(pd, &props);
  f.driver_name = p12.driverName;
  f.driver_info = p12.driverInfo;
  f.subgroup_size = p11.subgroupSize;
  f.min_subgroup_size = p13.minSubgroupSize;
  f.max_subgroup_size = p13.maxSubgroupSize;
  f.max_compute_workgroup_subgroups = p13.maxComputeWorkgroupSubgroups;
  f.f32_denorm_preserve = p12.shaderDenormPreserveFloat32 == VK_TRUE;
  f.f32_denorm_flush_to_zero = p12.shaderDenormFlushToZeroFloat32 == VK_TRUE;
  f.f32_rounding_rte = p12.shaderRoundingModeRTEFloat32 == VK_TRUE;
  f.int8_packed_dot_accelerated = dot.integerDotProduct4x8BitPackedSignedAccelerated == VK_TRUE;

  VkPhysicalDeviceVulkan13Features f13{};
  f13.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES;
  VkPhysicalDeviceVulkan12Features f12{};
  f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
  f12.pNext = &f13;
  VkPhysicalDeviceVulkan11Features f11{};
  f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
  f11.pNext = &f12;
  // The NV cooperative-matrix feature struct rides the same query, where the extension is listed.
  VkPhysicalDeviceCooperativeMatrixFeaturesNV cm{};
  cm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
  if (f.nv_cooperative_matrix) f13.pNext = &cm;
  VkPhysicalDeviceFeatures2 feats{};
  feats.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  feats.pNext = &f11;
  vkGetPhysicalDeviceFeatures2(pd, &feats);
  f.shader_int64 = feats.features.shaderInt64 == VK_TRUE;
  f.storage_buffer_16bit = f11.storageBuffer16BitAccess == VK_TRUE;
  f.storage_buffer_8bit = f12.storageBuffer8BitAccess == VK_TRUE;
  f.shader_float16 = f12.shaderFloat16 == VK_TRUE;
  f.shader_int8 = f12.shaderInt8 == VK_TRUE;
  f.vulkan_memory_model = f12.vulkanMemoryModel == VK_TRUE;
  if (f.nv_cooperative_matrix && vkGetPhysicalDeviceCooperativeMatrixPropertiesNV) {
    std::uint32_t n = 0;
    vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &n, nullptr);
    std::vector<VkCooperativeMatrixPropertiesNV> shapes(n);
    for (auto& p : shapes) p.sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
    if (n > 0) vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &n, shapes.data());
    for (const auto& p : shapes)
      if (p.MSize == 16 && p.NSize == 16 && p.KSize == 32 && p.AType == VK_COMPONENT_TYPE_SINT8_NV &&
          p.BType == VK_COMPONENT_TYPE_SINT8_NV && p.CType == VK_COMPONENT_TYPE_SINT32_NV &&
          p.DType == VK_COMPONENT_TYPE_SINT32_NV && p.scope == VK_SCOPE_SUBGROUP_NV)
        f.nv_coopmat_int8_16x16x32 = cm.cooperativeMatrix == VK_TRUE;
  }
  f.subgroup_size_control = f13.subgroupSizeControl == VK_TRUE;
  f.compute_full_subgroups = f13.computeFullSubgroups == VK_TRUE;
  f.integer_dot_product = f13.shaderIntegerDotProduct == VK_TRUE;
  f.sizes_controllable = f.subgroup_size_control && (p13.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0 &&
                         f.min_subgroup_size != 0 && f.min_subgroup_size <= f.max_subgroup_size;
  return f;
}

// Throws a vk::Error naming every missing requirement.
inline void require_features(const DeviceFeatures& f) {
  std::string missing;
  if (f.api_version < VK_API_VERSION_1_3) missing += " Vulkan 1.3;";
  if (!f.push_descriptor) missing += " VK_KHR_push_descriptor;";
  if (!missing.empty()) throw Error("device '" + f.name + "' lacks what qvk requires:" + missing);
}

}  // namespace qvk::vk
