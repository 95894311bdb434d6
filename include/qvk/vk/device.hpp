// qvk/vk/device.hpp — a Vulkan device qvk records into: created by qvk, or
// adopted from the caller (qvk then never destroys the caller's objects).
//
// Creation: volk loads libvulkan.so.1; the physical device is chosen by
// QVK_DEVICE (a decimal index into vkEnumeratePhysicalDevices, or a
// case-insensitive substring of the device name) or else the first discrete
// GPU, then integrated, virtual, CPU (lavapipe). Validation
// (VK_LAYER_KHRONOS_validation with synchronization validation) is enabled
// when asked for (or QVK_VALIDATION=1) and the layer is installed; errors and
// SYNC-* hazards are counted, and tests assert the count is zero.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "qvk/vk/error.hpp"
#include "qvk/vk/features.hpp"
#include "qvk/vk/volk.hpp"

namespace qvk::vk {

struct DeviceOptions {
  // Index or name substring; empty: the QVK_DEVICE environment variable, then the preference order.
  std::string select;
  // Enable the Khronos validation layer (with sync validation) if installed; also QVK_VALIDATION=1.
  bool validation = false;
  // Enable VK_NV_cooperative_matrix where the device has int8 16x16x32 (the
  // cooperative-matrix GEMM); QVK_COOPMAT=0 also turns it off.
  bool cooperative_matrix = true;
  // Enable VK_KHR_pipeline_executable_properties where listed, so pipelines are
  // created with their compile statistics captured (PipelineCache::statistics):
  // a profiling aid for benchmarks, off by default.
  bool pipeline_statistics = false;
};

// A device the caller owns. The caller must have created it with Vulkan 1.3
// and VK_KHR_push_descriptor enabled (and subgroupSizeControl if it wants qvk
// to pin subgroup sizes), and must not use `queue` from another thread while
// qvk submits to it (qvk submits only from upload/download/submit helpers).
struct AdoptedDevice {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t queue_family = 0;
  // Optional: the caller's loader entry point (else volk opens libvulkan.so.1).
  PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
  // Set if the caller enabled the Vulkan 1.3 feature subgroupSizeControl: qvk
  // may then pin subgroup sizes (otherwise it leaves them to the driver).
  bool subgroup_size_control_enabled = false;
  // Set if the caller enabled VK_NV_cooperative_matrix (feature cooperativeMatrix),
  // shaderInt8 and vulkanMemoryModel: qvk may then use its cooperative-matrix GEMM.
  bool nv_cooperative_matrix_enabled = false;
};

class Device {
 public:
  explicit Device(const DeviceOptions& options = {}) : owns_(true) {
    init_volk(nullptr);
    try {
      create_instance(options);
      pick_physical(options.select.empty() ? env_or("QVK_DEVICE", "") : options.select);
      create_device(options.cooperative_matrix && env_or("QVK_COOPMAT", "1") != "0", options.pipeline_statistics);
    } catch (...) {
      release();  // a constructor that throws runs no destructor: the instance (and device) would leak
      throw;
    }
  }

  explicit Device(const AdoptedDevice& a)
      : instance_(a.instance), physical_(a.physical), device_(a.device), queue_(a.queue), family_(a.queue_family) {
    if (!a.instance || !a.physical || !a.device || !a.queue) throw Error("AdoptedDevice needs instance, physical, device and queue");
    init_volk(a.get_instance_proc_addr);
    volkLoadInstanceOnly(instance_);
    features_ = query_features(physical_);
    require_features(features_);
    volkLoadDeviceTable(&fn_, device_);
    if (!fn_.vkCmdPushDescriptorSetKHR)
      throw Error("adopted device was created without VK_KHR_push_descriptor, which qvk requires");
    subgroup_control_enabled_ = a.subgroup_size_control_enabled;  // Vulkan cannot tell us what the caller enabled
    coopmat_enabled_ = a.nv_cooperative_matrix_enabled && coopmat_usable(features_);
    read_physical_properties();
  }

  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  ~Device() { release(); }

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical() const { return physical_; }
  VkDevice handle() const { return device_; }
  VkQueue queue() const { return queue_; }
  std::uint32_t queue_family() const { return family_; }
  const VolkDeviceTable& fn() const { return fn_; }
  const DeviceFeatures& features() const { return features_; }
  bool owns_device() const { return owns_; }
  std::uint32_t timestamp_valid_bits() const { return timestamp_bits_; }
  // The physical device's memory heaps and types, read once at construction.
  const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_; }
  // Whether qvk may give pipelines a required subgroup size (it enabled subgroupSizeControl itself).
  bool can_pin_subgroup_size() const { return subgroup_control_enabled_ && features_.sizes_controllable; }
  // Whether the cooperative-matrix GEMM (ops::kCoopmatGemm) may run: VK_NV_cooperative_matrix
  // enabled with int8 16x16x32, shaderInt8, vulkanMemoryModel, and 32-wide subgroups.
  bool cooperative_matrix_int8() const { return coopmat_enabled_; }
  // Whether pipelines capture compile statistics (DeviceOptions::pipeline_statistics on a device that lists the extension).
  bool pipeline_statistics() const { return stats_enabled_; }

  bool validation_enabled() const { return validation_; }
  // Validation errors and synchronization hazards reported so far, with their messages.
  int validation_failures() const { return failures_.load(); }
  std::vector<std::string> validation_messages() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }

  // A command pool of qvk's own on the device's queue family (created on first use).
  VkCommandPool command_pool() {
    if (!pool_) {
      auto ci = make_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
      ci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
      ci.queueFamilyIndex = family_;
      check(fn_.vkCreateCommandPool(device_, &ci, nullptr, &pool_), "vkCreateCommandPool");
    }
    return pool_;
  }

 private:
  // Everything this Device owns, in reverse order of creation. Only the Device's own
  // function pointers are used: volk's instance-level globals belong to whichever
  // instance was loaded last (a second Device, or the caller), and that instance may
  // lack debug utils.
  void release() {
    if (device_ && pool_) fn_.vkDestroyCommandPool(device_, pool_, nullptr);
    pool_ = VK_NULL_HANDLE;
    if (!owns_) return;
    if (device_) fn_.vkDestroyDevice(device_, nullptr);
    if (messenger_) destroy_messenger_(instance_, messenger_, nullptr);
    if (instance_) destroy_instance_(instance_, nullptr);
    device_ = VK_NULL_HANDLE;
    messenger_ = VK_NULL_HANDLE;
    instance_ = VK_NULL_HANDLE;
  }

  static std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
  }

  static void init_volk(PFN_vkGetInstanceProcAddr gipa) {
    if (gipa) {
      volkInitializeCustom(gipa);
      return;
    }
    if (vkGetInstanceProcAddr) return;  // already initialized (by us or by the caller)
    if (volkInitialize() != VK_SUCCESS) throw Error("cannot load the Vulkan loader (libvulkan.so.1)");
  }

  static VkBool32 VKAPI_PTR on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                       const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    auto* self = static_cast<Device*>(user);
    const std::string id = data->pMessageIdName ? data->pMessageIdName : "";
    const bool error = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0;
    const bool sync = id.rfind("SYNC-", 0) == 0;
    if (error || sync) {
      ++self->failures_;
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->messages_.push_back(id + ": " + (data->pMessage ? data->pMessage : ""));
    }
    return VK_FALSE;
  }

  void create_instance(const DeviceOptions& options) {
    const std::uint32_t loader = volkGetInstanceVersion();
    if (loader < VK_API_VERSION_1_3) throw Error("the Vulkan loader supports only API " + std::to_string(VK_API_VERSION_MAJOR(loader)) + "." + std::to_string(VK_API_VERSION_MINOR(loader)) + "; qvk needs 1.3");
    const bool want_validation = options.validation || env_or("QVK_VALIDATION", "0") == "1";
    std::vector<const char*> layers, extensions;
    if (want_validation) {
      std::uint32_t n = 0;
      check(vkEnumerateInstanceLayerProperties(&n, nullptr), "vkEnumerateInstanceLayerProperties");
      std::vector<VkLayerProperties> props(n);
      check(vkEnumerateInstanceLayerProperties(&n, props.data()), "vkEnumerateInstanceLayerProperties");
      for (const auto& p : props)
        if (std::string(p.layerName) == "VK_LAYER_KHRONOS_validation") validation_ = true;
      if (validation_) {
        layers.push_back("VK_LAYER_KHRONOS_validation");
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      }
    }
    auto app = make_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.pApplicationName = "qvk";
    app.pEngineName = "qvk";
    app.apiVersion = VK_API_VERSION_1_3;
    const VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    auto vf = make_struct<VkValidationFeaturesEXT>(VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT);
    vf.enabledValidationFeatureCount = 1;
    vf.pEnabledValidationFeatures = enables;
    auto mi = make_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
    mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    mi.pfnUserCallback = &Device::on_message;
    mi.pUserData = this;
    vf.pNext = &mi;  // also reports during vkCreateInstance/vkDestroyInstance
    auto ci = make_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    ci.pApplicationInfo = &app;
    ci.enabledLayerCount = std::uint32_t(layers.size());
    ci.ppEnabledLayerNames = layers.data();
    ci.enabledExtensionCount = std::uint32_t(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    if (validation_) ci.pNext = &vf;
    // Handles are kept only once created (a failed vkCreate* leaves its output undefined),
    // so release() destroys exactly what exists.
    VkInstance instance = VK_NULL_HANDLE;
    check(vkCreateInstance(&ci, nullptr, &instance), "vkCreateInstance");
    instance_ = instance;
    volkLoadInstanceOnly(instance_);
    destroy_instance_ = vkDestroyInstance;  // volk's globals are this instance's only until the next load
    if (validation_) {
      destroy_messenger_ = vkDestroyDebugUtilsMessengerEXT;
      VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
      check(vkCreateDebugUtilsMessengerEXT(instance_, &mi, nullptr, &messenger), "vkCreateDebugUtilsMessengerEXT");
      messenger_ = messenger;
    }
  }

  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
  }

  static std::uint32_t compute_family(VkPhysicalDevice pd) {
    std::uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> q(n);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q.data());
    for (std::uint32_t i = 0; i < n; ++i)  // prefer a family that does compute (graphics families time-stamp too)
      if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) return i;
    return UINT32_MAX;
  }

  void pick_physical(const std::string& select) {
    std::uint32_t n = 0;
    check(vkEnumeratePhysicalDevices(instance_, &n, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> all(n);
    check(vkEnumeratePhysicalDevices(instance_, &n, all.data()), "vkEnumeratePhysicalDevices");
    if (n == 0) throw Error("no Vulkan physical device (is an ICD installed? VK_DRIVER_FILES may name it)");
    std::vector<std::string> names;
    for (auto pd : all) {
      VkPhysicalDeviceProperties p{};
      vkGetPhysicalDeviceProperties(pd, &p);
      names.emplace_back(p.deviceName);
    }
    auto listing = [&] {
      std::string s;
      for (std::size_t i = 0; i < names.size(); ++i) s += " [" + std::to_string(i) + "] " + names[i] + ";";
      return s;
    };
    int chosen = -1;
    if (!select.empty()) {
      if (std::all_of(select.begin(), select.end(), [](unsigned char c) { return std::isdigit(c); })) {
        const unsigned long i = std::stoul(select);
        if (i >= n) throw Error("QVK_DEVICE=" + select + " is out of range; devices:" + listing());
        chosen = int(i);
      } else {
        for (std::size_t i = 0; i < n && chosen < 0; ++i)
          if (lower(names[i]).find(lower(select)) != std::string::npos) chosen = int(i);
        if (chosen < 0) throw Error("no device name contains '" + select + "'; devices:" + listing());
      }
    } else {
      const VkPhysicalDeviceType order[] = {VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
                                            VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU, VK_PHYSICAL_DEVICE_TYPE_CPU,
                                            VK_PHYSICAL_DEVICE_TYPE_OTHER};
      for (auto t : order)
        for (std::size_t i = 0; i < n && chosen < 0; ++i) {
          VkPhysicalDeviceProperties p{};
          vkGetPhysicalDeviceProperties(all[i], &p);
          if (p.deviceType == t && p.apiVersion >= VK_API_VERSION_1_3 && compute_family(all[i]) != UINT32_MAX)
            chosen = int(i);
        }
      if (chosen < 0) throw Error("no device with Vulkan 1.3 and a compute queue; devices:" + listing());
    }
    physical_ = all[std::size_t(chosen)];
    features_ = query_features(physical_);
    require_features(features_);
    family_ = compute_family(physical_);
    if (family_ == UINT32_MAX) throw Error("device '" + features_.name + "' has no compute queue");
  }

  static bool coopmat_usable(const DeviceFeatures& f) {
    // 44 KiB: the shared memory of gemm_cm.comp (ops::Gemm<T, kCoopmatGemm>::kSharedBytes).
    return f.nv_coopmat_int8_16x16x32 && f.shader_int8 && f.vulkan_memory_model && f.subgroup_size == 32 &&
           f.max_shared_memory >= 44 * 1024 &&
           (!f.sizes_controllable || (f.min_subgroup_size == 32 && f.max_subgroup_size == 32));
  }

  void create_device(bool want_coopmat, bool want_stats) {
    const DeviceFeatures& f = features_;
    const bool coopmat = want_coopmat && coopmat_usable(f);
    auto f13 = make_struct<VkPhysicalDeviceVulkan13Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES);
    f13.subgroupSizeControl = f.subgroup_size_control;
    f13.computeFullSubgroups = f.compute_full_subgroups;
    f13.shaderIntegerDotProduct = f.integer_dot_product;
    auto f12 = make_struct<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    f12.pNext = &f13;
    f12.storageBuffer8BitAccess = f.storage_buffer_8bit;
    f12.shaderFloat16 = f.shader_float16;
    f12.shaderInt8 = f.shader_int8;
    f12.vulkanMemoryModel = coopmat ? VK_TRUE : VK_FALSE;
    auto cm = make_struct<VkPhysicalDeviceCooperativeMatrixFeaturesNV>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV);
    cm.cooperativeMatrix = VK_TRUE;
    if (coopmat) f13.pNext = &cm;
    const bool stats = want_stats && f.pipeline_executable_properties;
    auto pe = make_struct<VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR);
    pe.pipelineExecutableInfo = VK_TRUE;
    if (stats) {
      pe.pNext = f13.pNext;
      f13.pNext = &pe;
    }
    auto f11 = make_struct<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    f11.pNext = &f12;
    f11.storageBuffer16BitAccess = f.storage_buffer_16bit;
    auto feats = make_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    feats.pNext = &f11;
    feats.features.shaderInt64 = f.shader_int64;
    const float priority = 1.0f;
    auto qi = make_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
    qi.queueFamilyIndex = family_;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;
    std::vector<const char*> exts{VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME};
    if (coopmat) exts.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
    if (stats) exts.push_back(VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
    auto ci = make_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
    ci.pNext = &feats;
    ci.queueCreateInfoCount = 1;
    ci.pQueueCreateInfos = &qi;
    ci.enabledExtensionCount = std::uint32_t(exts.size());
    ci.ppEnabledExtensionNames = exts.data();
    VkDevice device = VK_NULL_HANDLE;
    check(vkCreateDevice(physical_, &ci, nullptr, &device), "vkCreateDevice");
    device_ = device;
    volkLoadDeviceTable(&fn_, device_);
    fn_.vkGetDeviceQueue(device_, family_, 0, &queue_);
    subgroup_control_enabled_ = f.subgroup_size_control;
    coopmat_enabled_ = coopmat;
    stats_enabled_ = stats;
    read_physical_properties();
  }

  // What later calls need from the physical device, read while volk's instance
  // functions are this Device's (they may not be afterwards).
  void read_physical_properties() {
    vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
    std::uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n, nullptr);
    std::vector<VkQueueFamilyProperties> q(n);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n, q.data());
    timestamp_bits_ = family_ < n ? q[family_].timestampValidBits : 0;
  }

  bool owns_ = false;
  bool validation_ = false;
  bool subgroup_control_enabled_ = false;
  bool coopmat_enabled_ = false;
  bool stats_enabled_ = false;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t family_ = 0;
  std::uint32_t timestamp_bits_ = 0;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  PFN_vkDestroyInstance destroy_instance_ = nullptr;                 // this instance's, not volk's global
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger_ = nullptr;  // set with messenger_
  VkPhysicalDeviceMemoryProperties memory_{};
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VolkDeviceTable fn_{};
  DeviceFeatures features_;
  std::atomic<int> failures_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

}  // namespace qvk::vk
